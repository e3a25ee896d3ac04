"""Working minutes between timestamps on China's official working-day calendar.

Conventions for the whole file:

* the working-day calendar comes from the ``chinesecalendar`` package
  (module ``chinese_calendar``), which follows the State Council's yearly
  holiday notice: statutory holidays are days off and the weekend days
  declared as make-up workdays (调休) are workdays. There is no
  Monday-to-Friday fallback: a date outside the years the package covers
  raises :class:`~segmentation.errors.CalendarCoverageError`;
* working hours are ``config.working_start`` to ``config.working_end`` on
  every workday (default 09:00-18:00), read on the local wall clock;
* durations are in minutes (float); timestamps are converted to the
  configured zone before any day or hour is read.

The computation is vectorised over tickets. A table with one row per
calendar day contains that day's working minutes and their running total,
and each timestamp is mapped by a lookup to "working minutes since the first
day of the table".
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache

import chinese_calendar
import numpy as np
import pandas as pd

from .config import Config
from .errors import CalendarCoverageError
from .i18n import Catalog

logger = logging.getLogger(__name__)

MESSAGES = Catalog({
    "not_covered": {
        "zh": "日期 {date} 超出节假日日历的覆盖范围（chinesecalendar {version} 覆盖 {first}–{last} 年），"
              "无法计算工作时间；请升级 chinesecalendar（pip install -U chinesecalendar）后重试。",
        "en": "date {date} is outside the years the holiday calendar covers "
              "(chinesecalendar {version} covers {first}-{last}), so working time cannot be computed; "
              "upgrade chinesecalendar (pip install -U chinesecalendar) and run again.",
    },
})


def covered_years() -> tuple[int, int]:
    """Return the first and last year the installed ``chinesecalendar`` covers.

    Returns
    -------
    tuple of int
        ``(first, last)``, both inclusive, read from the package's holiday
        table rather than hard-coded, so an upgrade widens the range.
    """
    years = [day.year for day in chinese_calendar.holidays]
    return min(years), max(years)


def check_coverage(dates: pd.Series | list[dt.date], lang: str = "zh") -> None:
    """Raise if any date lies outside the years the holiday calendar covers.

    Parameters
    ----------
    dates : Series or list of datetime.date
        Calendar dates to check; missing values are ignored.
    lang : {"zh", "en"}
        Language of the error message.

    Raises
    ------
    CalendarCoverageError
        Naming the first uncovered date, the covered years and the upgrade to
        install.
    """
    first, last = covered_years()
    known = [day for day in dates if not pd.isna(day)]
    outside = sorted(day for day in known if not first <= day.year <= last)
    if outside:
        raise CalendarCoverageError(MESSAGES(
            "not_covered", lang, date=outside[0].isoformat(), first=first, last=last,
            version=_package_version(),
        ))


def _package_version() -> str:
    return getattr(chinese_calendar, "__version__", "?")


@lru_cache(maxsize=64)
def _workdays_of_year(year: int) -> frozenset[dt.date]:
    """Return the official workdays of one covered year (make-up weekend days included)."""
    days = chinese_calendar.get_workdays(dt.date(year, 1, 1), dt.date(year, 12, 31))
    return frozenset(days)


def workday_flags(first: dt.date, last: dt.date) -> pd.Series:
    """Return whether each calendar day from ``first`` to ``last`` is an official workday.

    Parameters
    ----------
    first, last : datetime.date
        Inclusive range of days.

    Returns
    -------
    Series of bool
        Indexed by ``datetime.date``, one entry per calendar day.

    Raises
    ------
    CalendarCoverageError
        If the range reaches a year the calendar does not cover.
    """
    check_coverage([first, last])
    days = pd.date_range(first, last, freq="D").date
    workdays = frozenset().union(*(_workdays_of_year(year) for year in range(first.year, last.year + 1)))
    return pd.Series([day in workdays for day in days], index=days, dtype=bool, name="workday")


def to_local(timestamps: pd.Series, timezone: str) -> pd.Series:
    """Convert timestamps to ``timezone``; naive values are read as local time there.

    Parameters
    ----------
    timestamps : Series
        datetime64 values, naive or aware in any zone, or objects mixing
        zones (such as ``+08:00`` and ``Z`` strings or Timestamps).
    timezone : str
        IANA zone, e.g. ``Asia/Shanghai``.

    Returns
    -------
    Series of datetime64[ns, timezone]
    """
    if isinstance(timestamps.dtype, pd.DatetimeTZDtype):
        return timestamps.dt.tz_convert(timezone)
    if pd.api.types.is_datetime64_dtype(timestamps.dtype):
        return timestamps.dt.tz_localize(timezone)
    return pd.Series(
        [_one_to_local(value, timezone) for value in timestamps],
        index=timestamps.index, dtype=f"datetime64[ns, {timezone}]", name=timestamps.name,
    )


def _one_to_local(value: object, timezone: str) -> pd.Timestamp:
    if pd.isna(value):
        return pd.NaT
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        return stamp.tz_localize(timezone)
    return stamp.tz_convert(timezone)


def _minutes_into_day(local: pd.Series) -> np.ndarray:
    """Wall-clock minutes since local midnight, with seconds as fractions."""
    return (local.dt.hour * 60 + local.dt.minute + local.dt.second / 60).to_numpy(dtype=float)


def _working_minutes_before(local: pd.Series, day_table: pd.DataFrame, config: Config) -> np.ndarray:
    """Working minutes from the start of the day table up to each timestamp."""
    open_minute = config.working_start.hour * 60 + config.working_start.minute
    close_minute = config.working_end.hour * 60 + config.working_end.minute

    positions = day_table.index.get_indexer(local.dt.date)
    earlier_days = day_table["cumulative_before"].to_numpy()[positions]
    is_workday = day_table["workday"].to_numpy()[positions]

    into_day = np.clip(_minutes_into_day(local) - open_minute, 0, close_minute - open_minute)
    return earlier_days + np.where(is_workday, into_day, 0.0)


def _day_table(first: dt.date, last: dt.date, config: Config) -> pd.DataFrame:
    """Build one row per calendar day: workday flag, working minutes, and the total of earlier days."""
    workday = workday_flags(first, last)
    day_length = (
        (config.working_end.hour - config.working_start.hour) * 60
        + config.working_end.minute - config.working_start.minute
    )
    minutes = workday.astype(float) * day_length
    return pd.DataFrame({
        "workday": workday,
        "minutes": minutes,
        "cumulative_before": minutes.cumsum() - minutes,
    })


def working_minutes(start: pd.Series, end: pd.Series, config: Config) -> pd.Series:
    """Count working minutes between paired timestamps on China's official calendar.

    Only minutes inside working hours on official workdays count: statutory
    holidays are skipped and make-up weekend workdays count.

    Parameters
    ----------
    start, end : Series of datetime64
        Paired timestamps of equal length (e.g. ticket creation and first
        response). Aware values in any zone are converted to ``config.timezone``;
        naive values are read as local time there.
    config : Config
        Supplies the zone and ``working_start`` / ``working_end``.

    Returns
    -------
    Series of float
        Working minutes, same index as ``start``. NaN where either timestamp
        is missing or ``end`` is before ``start`` (a warning gives the count).

    Raises
    ------
    CalendarCoverageError
        If a timestamp falls in a year the calendar does not cover.
    """
    start_local = to_local(start, config.timezone)
    end_local = to_local(end.set_axis(start.index), config.timezone)
    valid = start_local.notna() & end_local.notna()
    result = pd.Series(np.nan, index=start.index, dtype=float, name="working_minutes")
    if not valid.any():
        return result

    days = pd.concat([start_local[valid], end_local[valid]]).dt.date
    first, last = days.min(), days.max()
    check_coverage([first, last])
    day_table = _day_table(first, last, config)

    minutes = (
        _working_minutes_before(end_local[valid], day_table, config)
        - _working_minutes_before(start_local[valid], day_table, config)
    )
    result[valid] = minutes
    return _blank_reversed(result, start_local, end_local)


def _blank_reversed(result: pd.Series, start_local: pd.Series, end_local: pd.Series) -> pd.Series:
    """Set NaN where the end precedes the start: such a pair has no duration."""
    reversed_pairs = end_local < start_local  # False wherever a value is NaT
    if reversed_pairs.any():
        logger.warning(
            "%d of %d timestamp pairs end before they start; their working minutes are left blank",
            int(reversed_pairs.sum()), len(result),
        )
        result = result.mask(reversed_pairs)
    return result


def elapsed_minutes(start: pd.Series, end: pd.Series, config: Config) -> pd.Series:
    """Count every minute between paired timestamps (a 24x7 clock).

    Parameters and returned values are as in :func:`working_minutes`, but all
    minutes count, so no calendar lookup is needed.
    """
    start_local = to_local(start, config.timezone)
    end_local = to_local(end.set_axis(start.index), config.timezone)
    minutes = (end_local - start_local).dt.total_seconds() / 60
    return _blank_reversed(minutes.astype(float).rename("elapsed_minutes"), start_local, end_local)
