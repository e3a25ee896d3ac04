"""Time windows and the per-customer aggregation primitives of the feature builders.

Conventions that hold for the whole file:

* A window is ``(as_of - window, as_of]``. An ``as_of`` given as a date
  (``"2024-06-30"`` or a :class:`datetime.date`) means the end of that local
  day in the configured zone, so the ``"6M"`` window ending ``"2024-06-30"``
  runs from 2024-01-01 00:00 to 2024-06-30 24:00 local time.
* A ``"<n>D"`` window counts ``n / 30.436875`` months (the mean Gregorian month).
* Timestamps are compared as int64 nanoseconds since the epoch (``NO_TIME``
  for NaT), so the zone of a timezone-aware column does not matter once read.
* Customers are integer codes (positions in a sorted unique id index);
  reductions per customer never loop over customers in Python.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from .config import parse_window
from .i18n import Catalog

DAYS_PER_MONTH = 365.2425 / 12
NS_PER_DAY = 86_400 * 10**9
NS_PER_MINUTE = 60 * 10**9
NO_TIME = np.iinfo(np.int64).min  # int64 view of NaT

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

MESSAGES = Catalog({
    "bad_as_of": {
        "zh": "无法识别的截止日期 as_of={value!r}；请写成 2024-06-30 或 2024-06-30 18:00。",
        "en": "as_of={value!r} is not a date or time; write e.g. 2024-06-30 or 2024-06-30 18:00.",
    },
})


def resolve_as_of(as_of: object, timezone: str, lang: str = "zh") -> pd.Timestamp:
    """Return ``as_of`` as a timezone-aware instant in ``timezone``.

    A date-only string (``"2024-06-30"``) or a :class:`datetime.date` means the
    last nanosecond of that local day. A naive time is read in ``timezone``,
    and an aware one is converted to it.

    Raises
    ------
    ValueError
        If ``as_of`` cannot be read as a date or time.
    """
    if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime):
        as_of = as_of.isoformat()
    try:
        stamp = pd.Timestamp(as_of)
    except (TypeError, ValueError):
        raise ValueError(MESSAGES("bad_as_of", lang, value=as_of)) from None
    if pd.isna(stamp):
        raise ValueError(MESSAGES("bad_as_of", lang, value=as_of))

    stamp = stamp.tz_localize(timezone) if stamp.tzinfo is None else stamp.tz_convert(timezone)
    stamp = stamp.as_unit("ns")
    if isinstance(as_of, str) and _DATE_ONLY.match(as_of.strip()):
        stamp = stamp + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    return stamp


def window_start(as_of: pd.Timestamp, window: str) -> pd.Timestamp:
    """Return the exclusive start of the window ``(start, as_of]``.

    The offset is applied to the instant just after ``as_of``, so a window
    ending at the end of a month starts at the beginning of a month.
    """
    count, unit = parse_window(window)
    offset = pd.DateOffset(months=count) if unit == "M" else pd.Timedelta(days=count)
    return (as_of + pd.Timedelta(1, "ns")) - offset - pd.Timedelta(1, "ns")


def window_months(window: str) -> float:
    """Return the length of ``window`` in months (``"90D"`` is 90 / 30.436875)."""
    count, unit = parse_window(window)
    return float(count) if unit == "M" else count / DAYS_PER_MONTH


def to_epoch_ns(series: pd.Series) -> np.ndarray:
    """Return timezone-aware timestamps as int64 ns since the epoch, NaT as ``NO_TIME``."""
    return series.to_numpy(dtype="datetime64[ns]").view("int64")


def customer_codes(ids: pd.Series, customers: pd.Index) -> np.ndarray:
    """Return the position of each id in the unique index ``customers``, -1 if absent.

    A categorical column is matched through its categories only, which is much
    cheaper than hashing millions of repeated strings.
    """
    if isinstance(ids.dtype, pd.CategoricalDtype):
        category_codes = customers.get_indexer(ids.cat.categories.astype("str"))
        codes = ids.cat.codes.to_numpy()
        return np.where(codes >= 0, category_codes[codes], -1)
    return customers.get_indexer(ids.astype("str"))


def grouped_reduce(codes: np.ndarray, values: np.ndarray, n: int, how: str, fill: float | int) -> np.ndarray:
    """Reduce ``values`` per customer code with ``how`` into an array of length ``n``.

    ``how`` is a pandas reduction name (``"max"``, ``"min"``, ``"mean"``,
    ``"median"``); NaN values are skipped and customers without values get
    ``fill``. An int ``fill`` keeps an int64 result, so timestamps in ns stay exact.
    """
    result = np.full(n, fill, dtype=np.asarray(fill).dtype if isinstance(fill, int) else "float64")
    if len(codes) == 0:
        return result
    reduced = pd.Series(values).groupby(codes, sort=False).agg(how)
    result[reduced.index.to_numpy()] = reduced.to_numpy()
    return result



def days_before(as_of_ns: int, stamps_ns: np.ndarray) -> np.ndarray:
    """Return float days from each stamp to ``as_of_ns``, NaN where the stamp is ``NO_TIME``."""
    days = (as_of_ns - stamps_ns.astype("float64")) / NS_PER_DAY
    return np.where(stamps_ns == NO_TIME, np.nan, days)

