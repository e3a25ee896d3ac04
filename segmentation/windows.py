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
import pyarrow as pa
import pyarrow.compute as pc

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
        category_codes = _positions(ids.cat.categories, customers)
        codes = ids.cat.codes.to_numpy()
        return np.where(codes >= 0, category_codes[codes], -1)
    return _positions(ids, customers)


def _positions(values: pd.Index | pd.Series, customers: pd.Index) -> np.ndarray:
    # Arrow's hash lookup avoids turning millions of ids into Python strings.
    found = pc.index_in(_arrow_text(values), value_set=_arrow_text(customers))
    return found.fill_null(-1).to_numpy().astype("int64")


def _arrow_text(values: pd.Index | pd.Series) -> pa.Array:
    return pa.array(pd.array(values, dtype="str")).cast(pa.large_string())


def grouped_reduce(codes: np.ndarray, values: np.ndarray, n: int, how: str, fill: float | int) -> np.ndarray:
    """Reduce ``values`` per customer code into an array of length ``n``.

    Parameters
    ----------
    codes : ndarray of int, shape (m,)
        Customer code of each value, in ``[0, n)``.
    values : ndarray, shape (m,)
        Float values (NaN is skipped) or int64 values such as ns timestamps.
    n : int
        Number of customers.
    how : {"max", "min", "mean", "median"}
        The reduction. ``max`` and ``min`` keep the dtype of ``values``, so
        int64 timestamps stay exact.
    fill : float or int
        Result for a customer without any value.
    """
    dtype = "int64" if isinstance(fill, int) else "float64"
    if np.issubdtype(values.dtype, np.floating):
        present = ~np.isnan(values)
        codes, values = codes[present], values[present]
    counts = np.bincount(codes, minlength=n)

    if how in ("max", "min"):
        result = _extreme(codes, values.astype(dtype), n, how)
    elif how == "mean":
        result = np.bincount(codes, weights=values, minlength=n) / np.maximum(counts, 1)
    elif how == "median":
        # A categorical key with all n categories skips pandas' factorisation of the codes.
        key = pd.Categorical.from_codes(codes, categories=pd.RangeIndex(n))
        result = pd.Series(values).groupby(key, observed=False).median().to_numpy(dtype="float64")
    else:
        raise ValueError(f"unknown reduction {how!r}; use max, min, mean or median")
    return np.where(counts > 0, result, fill).astype(dtype)


def _extreme(codes: np.ndarray, values: np.ndarray, n: int, how: str) -> np.ndarray:
    if values.dtype.kind == "i":
        info = np.iinfo(values.dtype)
        start = info.min if how == "max" else info.max
    else:
        start = -np.inf if how == "max" else np.inf
    result = np.full(n, start, dtype=values.dtype)
    ufunc = np.maximum if how == "max" else np.minimum
    ufunc.at(result, codes, values)
    return result


def days_before(as_of_ns: int, stamps_ns: np.ndarray) -> np.ndarray:
    """Return float days from each stamp to ``as_of_ns``, NaN where the stamp is ``NO_TIME``."""
    days = (as_of_ns - stamps_ns.astype("float64")) / NS_PER_DAY
    return np.where(stamps_ns == NO_TIME, np.nan, days)

