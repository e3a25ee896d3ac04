"""Parsing timestamps from export text into timezone-aware values in one zone.

Conventions that hold for the whole file:

* the result is ``datetime64[ns, <tz>]`` in the target zone ``tz``;
* a value with a zone or offset (``Z``, ``+08:00``, ``+0800``, ``UTC``) is
  converted to ``tz``. A naive value is read as local time of ``source_tz``
  (default ``tz``) and then converted. For naive times that a DST change makes
  ambiguous, the first (summer-time) reading is taken; times that do not exist
  move forward to the first valid time. Both rules are deterministic;
* parsing is vectorised: declared formats, then ISO 8601 and a few common
  Chinese layouts, each tried on all still-unparsed values at once. Only the
  few values that none of them read are parsed one by one, and all-numeric
  day/month layouts such as ``01/02/2024`` are never guessed: they are bad
  until the source file declares their format;
* ``parse_datetimes`` returns ``(parsed, bad)``; bad rows are never silently
  turned into missing values, and :func:`date_problem_kinds` tells an
  impossible calendar date (``2018-02-29``) from unreadable text.

Accepted without declaration: ISO 8601 with or without a zone,
``2016/8/1 11:05``, ``yyyymmdd``, ``2018-01-01 星期五`` (the weekday is dropped
and not checked), ``2024年5月10日 10时30分`` and full-width digits. Excel serial
day numbers are read only when the formats include ``"excel"`` (the loader adds
it for ``.xlsx`` files), because a bare number is otherwise ambiguous.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .parse_values import fold_width

logger = logging.getLogger(__name__)

EXCEL = "excel"
DEFAULT_FORMATS = ("ISO8601", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y%m%d")
EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # day 0 of Excel's 1900 date system, after its 1900-02-29 bug
_FIRST_VALID = pd.Timestamp("1678-01-01")  # the range of nanosecond timestamps
_LAST_VALID = pd.Timestamp("2261-12-31")
_EXCEL_MAX_SERIAL = (_LAST_VALID - EXCEL_EPOCH).days

_ZONE_SUFFIX = r"(?:Z|[+-]\d\d:?\d\d|UTC|GMT)$"  # written so pyarrow, not Python re, runs it
_WEEKDAY = r"\s*(?:星期|周|礼拜)[一二三四五六日天]\s*"
_AMBIGUOUS_NUMERIC = r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?:\s.*)?$"
_DATE_FIELDS = r"^(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?"


def parse_datetimes(
    series: pd.Series,
    tz: str,
    source_tz: str | None = None,
    formats: Sequence[str] | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Parse text timestamps to aware timestamps in ``tz``.

    Parameters
    ----------
    series : Series of str
        Timestamps as text; missing values are ``NaN``.
    tz : str
        IANA zone of the result, e.g. ``"Asia/Shanghai"``.
    source_tz : str, optional
        Zone in which naive values were written; default ``tz``.
    formats : sequence of str, optional
        ``strptime`` formats to try first, and ``"excel"`` for serial day numbers.

    Returns
    -------
    parsed : Series of datetime64[ns, tz]
    bad : Series of bool
        Non-missing text that no format reads, or a date outside 1678-2261.
    """
    text = normalise_date_text(series)
    aware = text.str.contains(_ZONE_SUFFIX, regex=True).fillna(False).astype(bool)
    parsed = pd.Series(pd.NaT, index=series.index, dtype=f"datetime64[ns, {tz}]")

    if aware.any():
        parsed[aware] = _parse_aware(text[aware], tz)
    naive = text.notna() & ~aware
    if naive.any():
        local = _parse_naive(text[naive], list(formats or ()))
        parsed[naive] = _localise(local, source_tz or tz, tz)

    bad = text.notna() & parsed.isna()
    return parsed, bad


def normalise_date_text(series: pd.Series) -> pd.Series:
    """Fold full-width digits, drop weekday names and rewrite ``年月日时分秒`` to ISO separators."""
    text = series.astype("str").str.strip()
    text = text.mask(text == "")
    chinese = text.notna() & ~text.str.isascii().fillna(True).astype(bool)
    if not chinese.any():
        return text

    # TODO: read 上午/下午 (a.m./p.m.) markers; until then such values are reported as bad_date.
    local = fold_width(text[chinese]).str.replace(_WEEKDAY, " ", regex=True)
    local = local.str.replace(r"(\d)\s*[年月]\s*", r"\1-", regex=True)
    local = local.str.replace(r"(\d)\s*[日号]\s*", r"\1 ", regex=True)
    local = local.str.replace(r"(\d)\s*[时点]\s*", r"\1:", regex=True)
    local = local.str.replace(r"(\d)\s*分\s*", r"\1:", regex=True).str.replace(r"(\d)\s*秒", r"\1", regex=True)
    text[chinese] = local.str.replace(r"\s+", " ", regex=True).str.strip().str.rstrip(":")
    return text


def _parse_aware(text: pd.Series, tz: str) -> pd.Series:
    iso = text.str.replace(r"\s?(?:UTC|GMT)$", "+00:00", regex=True)
    parsed = pd.to_datetime(iso, format="ISO8601", utc=True, errors="coerce")
    return _within_range(parsed.dt.tz_convert(tz))


def _parse_naive(text: pd.Series, formats: list[str]) -> pd.Series:
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    ordered = [fmt for fmt in formats if fmt != EXCEL] + [fmt for fmt in DEFAULT_FORMATS if fmt not in formats]
    for fmt in ordered:
        todo = parsed.isna()
        if not todo.any():
            return parsed
        parsed[todo] = _within_range(pd.to_datetime(text[todo], format=fmt, errors="coerce"))

    if EXCEL in formats:
        todo = parsed.isna()
        parsed[todo] = _parse_excel_serials(text[todo])

    return _parse_leftovers(text, parsed)


def _parse_excel_serials(text: pd.Series) -> pd.Series:
    serials = pd.to_numeric(text, errors="coerce")
    serials = serials.where((serials >= 1) & (serials <= _EXCEL_MAX_SERIAL))
    parsed = EXCEL_EPOCH + pd.to_timedelta(serials, unit="D")
    return _within_range(parsed.dt.round("s"))


def _parse_leftovers(text: pd.Series, parsed: pd.Series) -> pd.Series:
    """Parse the values no vectorised format read, one by one, except ambiguous day/month ones."""
    todo = parsed.isna() & ~text.str.fullmatch(_AMBIGUOUS_NUMERIC).fillna(False).astype(bool)
    todo &= ~text.str.fullmatch(r"[\d.]+").fillna(False).astype(bool)
    if not todo.any():
        return parsed

    unique = pd.Series(text[todo].unique())
    logger.debug("parsing %d leftover timestamp text(s) one by one", len(unique))
    lookup = dict(zip(unique, pd.to_datetime(unique, format="mixed", errors="coerce")))
    leftovers = pd.to_datetime(text[todo].map(lookup), errors="coerce")
    if getattr(leftovers.dt, "tz", None) is not None:
        # A value such as "Aug 1 2016 10:00 EST" carries a zone the suffix check missed.
        leftovers = leftovers.dt.tz_convert(None)
    parsed[todo] = _within_range(leftovers)
    return parsed


def _within_range(parsed: pd.Series) -> pd.Series:
    naive = parsed.dt.tz_convert(None) if parsed.dt.tz is not None else parsed
    inside = (naive >= _FIRST_VALID) & (naive <= _LAST_VALID)
    return parsed.where(inside).dt.as_unit("ns")


def _localise(local: pd.Series, source_tz: str, tz: str) -> pd.Series:
    summer_time = np.ones(len(local), dtype=bool)
    aware = local.dt.tz_localize(source_tz, ambiguous=summer_time, nonexistent="shift_forward")
    return aware.dt.tz_convert(tz)


def date_problem_kinds(text: pd.Series) -> pd.Series:
    """Classify unparseable timestamp text as ``impossible_date`` or ``bad_date``.

    A value is ``impossible_date`` when it has the shape of a date (year first,
    or ``yyyymmdd``) but names a day the calendar does not have: month 13,
    2018-02-29, hour 25. Everything else is ``bad_date``.

    Parameters
    ----------
    text : Series of str
        The values :func:`parse_datetimes` marked bad (few, so this is cheap).

    Returns
    -------
    Series of str
        Same index as ``text``.
    """
    fields = normalise_date_text(text).str.extract(_DATE_FIELDS)
    fields = fields.apply(lambda field: pd.to_numeric(field, errors="coerce")).astype("float64")
    year, month, day, hour, minute, second = (fields[i] for i in range(6))
    shaped = year.notna()

    last_day = pd.Series(
        [_days_in_month(y, m) for y, m in zip(year[shaped], month[shaped])], index=year[shaped].index,
        dtype="float64",
    ).reindex(text.index)
    impossible = shaped & (
        (month < 1) | (month > 12) | (day < 1) | (day > last_day)
        | (hour > 23) | (minute > 59) | (second > 59)
    )
    return pd.Series(np.where(impossible, "impossible_date", "bad_date"), index=text.index, dtype="str")


def _days_in_month(year: float, month: float) -> float:
    if not 1 <= month <= 12:
        return np.nan
    return float(calendar.monthrange(int(year), int(month))[1])
