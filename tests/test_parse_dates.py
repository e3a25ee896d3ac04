"""Parsing timestamps: layouts seen in CRM exports, zones, impossible dates, vectorised fallbacks."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from segmentation.parse_dates import date_problem_kinds, normalise_date_text, parse_datetimes

TZ = "Asia/Shanghai"


def text(values) -> pd.Series:
    return pd.Series(values, dtype="str")


def beijing(value: str) -> pd.Timestamp:
    return pd.Timestamp(value, tz=TZ)


def test_sla_case_mixed_zone_column():
    parsed, bad = parse_datetimes(text(["2024-04-01 09:00:00+08:00", "2024-04-01T01:05:00Z"]), TZ)

    assert parsed.tolist() == [beijing("2024-04-01 09:00"), beijing("2024-04-01 09:05")]
    assert not bad.any()
    assert str(parsed.dtype) == "datetime64[ns, Asia/Shanghai]"


def test_sla_case_naive_minus_utc_is_ten_minutes():
    created, _ = parse_datetimes(text(["2024-04-01 09:00:00"]), TZ)
    first_response, _ = parse_datetimes(text(["2024-04-01T01:10:00Z"]), TZ)

    elapsed = first_response[0] - created[0]

    assert elapsed == pd.Timedelta(minutes=10)
    assert elapsed <= pd.Timedelta(minutes=15)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("2024-05-10T10:30:00", "2024-05-10 10:30", id="iso"),
        pytest.param("2024-05-10 10:30:00.250", "2024-05-10 10:30:00.250", id="iso-fraction"),
        pytest.param("2016/8/1 11:05", "2016-08-01 11:05", id="slash-unpadded"),
        pytest.param("19970101", "1997-01-01", id="yyyymmdd"),
        pytest.param("2018-01-01 星期五", "2018-01-01", id="weekday-suffix"),
        pytest.param("2024年5月10日", "2024-05-10", id="chinese-date"),
        pytest.param("2024年5月10日 10时30分", "2024-05-10 10:30", id="chinese-date-time"),
        pytest.param("２０２４-０５-１０", "2024-05-10", id="full-width"),
        pytest.param("2024.05.10", "2024-05-10", id="dots"),
        pytest.param("1 Aug 2016", "2016-08-01", id="month-name-leftover"),
        pytest.param("2024-04-01 01:10 UTC", "2024-04-01 09:10", id="utc-suffix"),
        pytest.param("2024-04-01T03:10:00+0200", "2024-04-01 09:10", id="compact-offset"),
    ],
)
def test_layouts_parse_to_beijing_time(raw, expected):
    parsed, bad = parse_datetimes(text([raw]), TZ)

    assert parsed[0] == beijing(expected)
    assert not bad[0]


def test_naive_values_are_localised_to_source_zone():
    parsed, _ = parse_datetimes(text(["2010-12-01 08:26:00", "2011-06-01 08:26:00"]), TZ, source_tz="Europe/London")

    assert parsed.tolist() == [beijing("2010-12-01 16:26"), beijing("2011-06-01 15:26")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("2011-10-30 01:30:00", "2011-10-30 08:30", id="ambiguous-takes-summer-time"),
        pytest.param("2011-03-27 01:30:00", "2011-03-27 09:00", id="nonexistent-moves-forward"),
    ],
)
def test_dst_edges_are_deterministic(raw, expected):
    parsed, bad = parse_datetimes(text([raw]), TZ, source_tz="Europe/London")

    assert parsed[0] == beijing(expected)
    assert not bad[0]


def test_declared_format_comes_first():
    # Day first: without the declaration this layout is never guessed.
    raw = text(["01/02/2024 10:00"])

    undeclared, bad_undeclared = parse_datetimes(raw, TZ)
    declared, bad_declared = parse_datetimes(raw, TZ, formats=["%d/%m/%Y %H:%M"])

    assert bad_undeclared[0]
    assert pd.isna(undeclared[0])
    assert declared[0] == beijing("2024-02-01 10:00")
    assert not bad_declared[0]


def test_excel_serials_only_when_declared():
    raw = text(["45422", "45422.5"])

    plain, plain_bad = parse_datetimes(raw, TZ)
    excel, excel_bad = parse_datetimes(raw, TZ, formats=["excel"])

    assert plain_bad.tolist() == [True, True]
    assert excel.tolist() == [beijing("2024-05-10"), beijing("2024-05-10 12:00")]
    assert not excel_bad.any()


def test_missing_values_are_not_bad():
    parsed, bad = parse_datetimes(text(["", None, "  "]), TZ)

    assert parsed.isna().all()
    assert not bad.any()


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        pytest.param("2018-02-29", "impossible_date", id="no-feb-29"),
        pytest.param("2024-13-01", "impossible_date", id="month-13"),
        pytest.param("2024-04-31 10:00", "impossible_date", id="april-31"),
        pytest.param("2024-05-10 25:00", "impossible_date", id="hour-25"),
        pytest.param("20180229", "impossible_date", id="yyyymmdd-feb-29"),
        pytest.param("2018年2月29日", "impossible_date", id="chinese-feb-29"),
        pytest.param("hello", "bad_date", id="text"),
        pytest.param("01/02/2024", "bad_date", id="ambiguous-day-month"),
        pytest.param("3000-01-01", "bad_date", id="outside-range"),
    ],
)
def test_bad_values_are_flagged_and_classified(raw, kind):
    parsed, bad = parse_datetimes(text([raw]), TZ)

    assert bad[0]
    assert pd.isna(parsed[0])
    assert date_problem_kinds(text([raw]))[0] == kind


def test_date_problem_kinds_keeps_index():
    kinds = date_problem_kinds(pd.Series(["x", "2018-02-29"], index=[7, 9], dtype="str"))

    assert kinds.to_dict() == {7: "bad_date", 9: "impossible_date"}


def test_normalise_date_text_only_touches_non_ascii():
    normalised = normalise_date_text(text(["2024-05-10", "2024年5月10日星期五 9点5分", None]))

    assert normalised.tolist()[:2] == ["2024-05-10", "2024-5-10 9:5"]
    assert pd.isna(normalised[2])


def test_large_column_parses_in_vectorised_passes():
    raw = text(["2010-12-01 08:26:00"] * 200_000 + ["2018-02-29 10:00:00", "2024年5月10日"])

    parsed, bad = parse_datetimes(raw, TZ)

    assert int(bad.sum()) == 1
    assert parsed.iloc[-1] == beijing("2024-05-10")


@given(st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2060, 12, 31)))
def test_iso_text_round_trips_in_any_source_zone(moment):
    stamp = pd.Timestamp(moment).floor("s").tz_localize("UTC")
    aware_text = stamp.isoformat()
    naive_text = stamp.tz_convert("America/New_York").strftime("%Y-%m-%d %H:%M:%S")

    aware, _ = parse_datetimes(text([aware_text]), TZ)
    naive, _ = parse_datetimes(text([naive_text]), TZ, source_tz="America/New_York")

    assert aware[0] == stamp
    # In the repeated autumn hour the naive text is read as summer time, one hour earlier.
    assert naive[0] == stamp or stamp - naive[0] == pd.Timedelta(hours=1)
