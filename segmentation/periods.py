"""Calendar quarters and months in the configured time zone.

Conventions that hold for the whole file:

* a period runs from local midnight on its first day (inclusive) to local
  midnight on the first day of the next period (exclusive), in the zone given,
  so ``start <= t < end`` assigns every instant to exactly one period;
* timestamps are converted to the local zone before their quarter or month is
  read: ``2024-06-30T20:00Z`` is 2024-07-01 04:00 in Beijing, so it belongs to
  2024Q3, not 2024Q2. Naive timestamps are taken to be local time already;
* labels are ``YYYYQn`` for quarters and ``YYYY-MM`` for months. pandas 3 no
  longer accepts the ``Q``/``M`` frequency aliases, so bounds are computed from
  ``Period`` objects rather than resampling frequencies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from .errors import ParameterError
from .i18n import Catalog

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

MESSAGES = Catalog({
    "bad_quarter": {
        "zh": "季度 {value!r} 无效；请写成 YYYYQn，例如 2024Q2（n 为 1 到 4）。",
        "en": "quarter {value!r} is invalid; write it as YYYYQn, e.g. 2024Q2 (n from 1 to 4).",
    },
    "bad_month": {
        "zh": "月份 {value!r} 无效；请写成 YYYY-MM，例如 2024-06。",
        "en": "month {value!r} is invalid; write it as YYYY-MM, e.g. 2024-06.",
    },
})


@dataclass(frozen=True)
class CalendarPeriod:
    """A quarter or month in one time zone.

    Attributes
    ----------
    label : str
        ``"2024Q2"`` or ``"2024-06"``.
    start : Timestamp
        Local midnight of the first day, timezone-aware, inclusive.
    end : Timestamp
        Local midnight of the first day of the next period, exclusive.
    """

    label: str
    start: pd.Timestamp
    end: pd.Timestamp

    def contains(self, timestamps: pd.Series) -> pd.Series:
        """Return a boolean mask of the aware ``timestamps`` with ``start <= t < end``."""
        return (timestamps >= self.start) & (timestamps < self.end)

    def shift(self, steps: int) -> CalendarPeriod:
        """Return the period ``steps`` quarters or months later (earlier when negative)."""
        freq = "Q" if "Q" in self.label else "M"
        period = pd.Period(self.label, freq=freq) + steps
        return _from_period(period, str(self.start.tz))


def parse_quarter(text: str, tz: str, *, lang: str = "zh") -> CalendarPeriod:
    """Parse ``"2024Q2"`` into its bounds in zone ``tz``.

    Raises
    ------
    ParameterError
        If ``text`` is not ``YYYYQn`` with n in 1-4; the message is in ``lang``.
    """
    match = _QUARTER.match(str(text).strip().upper())
    if match is None:
        raise ParameterError(MESSAGES("bad_quarter", lang, value=text))
    return _from_period(pd.Period(f"{match.group(1)}Q{match.group(2)}", freq="Q"), tz)


def parse_month(text: str, tz: str, *, lang: str = "zh") -> CalendarPeriod:
    """Parse ``"2024-06"`` into its bounds in zone ``tz``.

    Raises
    ------
    ParameterError
        If ``text`` is not ``YYYY-MM``.
    """
    match = _MONTH.match(str(text).strip())
    if match is None:
        raise ParameterError(MESSAGES("bad_month", lang, value=text))
    return _from_period(pd.Period(match.group(0), freq="M"), tz)


def quarter_of(timestamps: pd.Series | pd.DatetimeIndex, tz: str) -> pd.Series:
    """Return the ``YYYYQn`` label of each timestamp, read in zone ``tz``.

    Parameters
    ----------
    timestamps : Series or DatetimeIndex of datetime64
        Aware values in any zone, or naive values already in local time.
    tz : str
        IANA zone, e.g. ``"Asia/Shanghai"``.

    Returns
    -------
    Series of str
        Missing where the timestamp is missing.
    """
    local = _to_local(timestamps, tz)
    labels = local.dt.year.astype("Int64").astype("str") + "Q" + local.dt.quarter.astype("Int64").astype("str")
    return labels.astype("str").mask(local.isna())


def month_of(timestamps: pd.Series | pd.DatetimeIndex, tz: str) -> pd.Series:
    """Return the ``YYYY-MM`` label of each timestamp, read in zone ``tz``."""
    local = _to_local(timestamps, tz)
    return local.dt.strftime("%Y-%m").astype("str").mask(local.isna())


def _to_local(timestamps: pd.Series | pd.DatetimeIndex, tz: str) -> pd.Series:
    series = pd.Series(timestamps)
    if series.dt.tz is None:
        return series.dt.tz_localize(tz)
    return series.dt.tz_convert(tz)


def _from_period(period: pd.Period, tz: str) -> CalendarPeriod:
    start = period.start_time.tz_localize(tz)
    end = (period + 1).start_time.tz_localize(tz)
    label = f"{period.year}Q{period.quarter}" if period.freqstr.startswith("Q") else period.strftime("%Y-%m")
    return CalendarPeriod(label=label, start=start, end=end)

