"""Quarters and months in Beijing time: bounds, assignment of UTC instants, invalid labels."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from segmentation.errors import ParameterError
from segmentation.periods import month_of, parse_month, parse_quarter, quarter_of

TZ = "Asia/Shanghai"


def test_quarter_case_utc_instants_fall_in_beijing_quarters():
    instants = pd.Series(pd.to_datetime(["2024-06-30T20:00Z", "2024-03-31T17:00Z"]))

    assert quarter_of(instants, TZ).tolist() == ["2024Q3", "2024Q2"]
    assert quarter_of(instants, "UTC").tolist() == ["2024Q2", "2024Q1"]


def test_quarter_case_bounds_of_2024q2():
    quarter = parse_quarter("2024Q2", TZ)

    assert quarter.label == "2024Q2"
    assert quarter.start == pd.Timestamp("2024-04-01 00:00", tz=TZ)
    assert quarter.end == pd.Timestamp("2024-07-01 00:00", tz=TZ)


def test_quarter_end_is_exclusive():
    quarter = parse_quarter("2024q2", TZ)
    stamps = pd.Series(pd.to_datetime(["2024-03-31 23:59:59", "2024-04-01 00:00:00", "2024-06-30 23:59:59",
                                       "2024-07-01 00:00:00"]).tz_localize(TZ))

    assert quarter.contains(stamps).tolist() == [False, True, True, False]


def test_month_bounds_and_labels():
    month = parse_month("2024-12", TZ)
    instants = pd.Series(pd.to_datetime(["2024-11-30T16:00Z", "2024-11-30T15:59Z"]))

    assert (month.start, month.end) == (pd.Timestamp("2024-12-01", tz=TZ), pd.Timestamp("2025-01-01", tz=TZ))
    assert month_of(instants, TZ).tolist() == ["2024-12", "2024-11"]


@pytest.mark.parametrize(
    ("label", "steps", "expected"),
    [
        pytest.param("2024Q1", -1, "2023Q4", id="quarter-back-over-year"),
        pytest.param("2024Q4", 1, "2025Q1", id="quarter-forward-over-year"),
        pytest.param("2024Q2", 0, "2024Q2", id="quarter-same"),
    ],
)
def test_quarter_shift(label, steps, expected):
    shifted = parse_quarter(label, TZ).shift(steps)

    assert shifted == parse_quarter(expected, TZ)


def test_month_shift():
    assert parse_month("2024-01", TZ).shift(-1) == parse_month("2023-12", TZ)


def test_naive_and_missing_timestamps():
    stamps = pd.Series(pd.to_datetime(["2024-06-30 23:00", None]))

    assert quarter_of(stamps, TZ).tolist()[0] == "2024Q2"
    assert pd.isna(quarter_of(stamps, TZ)[1])
    assert pd.isna(month_of(stamps, TZ)[1])


@pytest.mark.parametrize("text", ["2024Q5", "2024-Q2", "Q2 2024", "24Q1", ""])
def test_invalid_quarter_names_value_and_form(text):
    with pytest.raises(ParameterError, match=rf"quarter '{text}' is invalid; write it as YYYYQn"):
        parse_quarter(text, TZ, lang="en")


@pytest.mark.parametrize("text", ["2024-13", "2024/06", "202406", "2024-6"])
def test_invalid_month_names_value_and_form(text):
    with pytest.raises(ParameterError, match=rf"月份 '{text}' 无效；请写成 YYYY-MM"):
        parse_month(text, TZ)


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 12, 31)))
def test_every_instant_lies_in_its_quarter(moment):
    instant = pd.Series([pd.Timestamp(moment, tz="UTC")])

    quarter = parse_quarter(quarter_of(instant, TZ)[0], TZ)
    month = parse_month(month_of(instant, TZ)[0], TZ)

    assert bool(quarter.contains(instant)[0])
    assert bool(month.contains(instant)[0])
