"""Tests of working minutes on China's official calendar."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from segmentation.config import load_config
from segmentation.errors import CalendarCoverageError
from segmentation.workcalendar import (
    covered_years,
    elapsed_minutes,
    to_local,
    working_minutes,
    workday_flags,
)

TZ = "Asia/Shanghai"


@pytest.fixture(scope="module")
def config():
    return load_config()


def local(*stamps: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(stamps))).dt.tz_localize(TZ)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2024-04-01 09:00", "2024-04-01 18:00", 540.0),
        ("2024-04-01 08:00", "2024-04-01 09:30", 30.0),
        ("2024-04-01 17:50", "2024-04-02 09:10", 20.0),
        ("2024-04-01 12:00:30", "2024-04-01 12:01:00", 0.5),
        ("2024-04-06 10:00", "2024-04-06 12:00", 0.0),
        ("2024-04-03 17:00", "2024-04-08 10:00", 660.0),
        ("2024-04-07 10:00", "2024-04-07 11:00", 60.0),
        ("2024-04-01 19:00", "2024-04-01 23:00", 0.0),
    ],
    ids=["whole-day", "before-opening", "overnight", "seconds", "saturday",
         "qingming-holiday-and-makeup-sunday", "makeup-sunday", "after-closing"],
)
def test_working_minutes_single_pairs(config, start, end, expected):
    result = working_minutes(local(start), local(end), config)
    assert result.iloc[0] == pytest.approx(expected)


def test_working_minutes_keeps_index_and_blanks(config):
    start = local("2024-04-01 09:00", None, "2024-04-01 10:00")
    end = local("2024-04-01 09:30", "2024-04-01 10:00", "2024-04-01 09:00")
    start.index = end.index = ["a", "b", "c"]

    result = working_minutes(start, end, config)

    assert list(result.index) == ["a", "b", "c"]
    assert result["a"] == 30.0
    assert np.isnan(result["b"])
    assert np.isnan(result["c"])


def test_working_minutes_custom_hours():
    config = load_config(overrides={"working_hours": {"start": "08:30", "end": "17:30"}})
    result = working_minutes(local("2024-04-01 08:00"), local("2024-04-01 09:00"), config)
    assert result.iloc[0] == 30.0


def test_workday_flags_labour_day_2021():
    flags = workday_flags(dt.date(2021, 4, 24), dt.date(2021, 5, 9))
    expected_workdays = {
        dt.date(2021, 4, 25), dt.date(2021, 4, 26), dt.date(2021, 4, 27), dt.date(2021, 4, 28),
        dt.date(2021, 4, 29), dt.date(2021, 4, 30), dt.date(2021, 5, 6), dt.date(2021, 5, 7),
        dt.date(2021, 5, 8),
    }
    assert len(flags) == 16
    assert set(flags[flags].index) == expected_workdays


def test_covered_years_match_package():
    assert covered_years() == (2004, 2026)


@pytest.mark.parametrize(
    ("start", "end", "named"),
    [("2027-01-04 10:00", "2027-01-04 11:00", "2027-01-04"),
     ("2003-12-31 10:00", "2004-01-02 11:00", "2003-12-31")],
    ids=["after-coverage", "before-coverage"],
)
def test_out_of_coverage_raises(config, start, end, named):
    with pytest.raises(CalendarCoverageError, match=rf"{named}.*2004.2026.*pip install -U chinesecalendar"):
        working_minutes(local(start), local(end), config)


def test_out_of_coverage_ignored_for_24x7(config):
    result = elapsed_minutes(local("2030-01-01 10:00"), local("2030-01-01 10:15"), config)
    assert result.iloc[0] == 15.0


def test_mixed_zones_convert_to_config_zone(config):
    start = pd.Series(["2024-04-01 09:00:00+08:00", "2024-04-01 09:00:00"])
    end = pd.Series(["2024-04-01T01:05:00Z", "2024-04-01T01:10:00Z"])

    assert list(to_local(start, TZ).dt.strftime("%H:%M")) == ["09:00", "09:00"]
    assert list(to_local(end, TZ).dt.strftime("%H:%M")) == ["09:05", "09:10"]
    assert list(working_minutes(start, end, config)) == [5.0, 10.0]


def test_aware_utc_series_is_converted(config):
    start = local("2024-04-01 09:00")
    end = pd.Series(pd.to_datetime(["2024-04-01 01:10"])).dt.tz_localize("UTC")
    assert elapsed_minutes(start, end, config).iloc[0] == 10.0
    assert working_minutes(start, end, config).iloc[0] == 10.0


def test_working_minutes_is_vectorised_over_many_tickets(config):
    starts = pd.Series(pd.date_range("2024-01-01 08:00", periods=20_000, freq="37min", tz=TZ))
    ends = starts + pd.Timedelta(hours=5)

    result = working_minutes(starts, ends, config)

    assert len(result) == 20_000
    assert result.between(0, 300).all()
