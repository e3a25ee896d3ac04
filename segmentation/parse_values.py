"""Parsing identifiers, money, satisfaction scores and coded values from export text.

Every column arrives as text (the loader reads files with ``dtype=str``), so no
value is coerced by pandas before these functions see it. Conventions that hold
for the whole file:

* each ``parse_*`` function takes a Series of text and returns
  ``(parsed, bad)``: the parsed Series on the same index and a boolean mask of
  the rows whose non-missing text could not be parsed (their parsed value is
  missing). Missing input is never bad;
* missing means empty after stripping, or one of the NA tokens the caller
  passes to :func:`clean_text`;
* full-width characters (``１２３``, ``，``, ``￥``) are folded with Unicode
  NFKC, and only in the values that contain non-ASCII characters, because
  normalising a few hundred thousand ASCII values would only cost time;
* CSAT keeps the raw score; ``csat_100 = (x - min) / (max - min) * 100`` puts
  every scale on 0-100, so scores from a 1-5 and a 0-10 survey can be averaged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

DEFAULT_NA_TOKENS = ("NA", "N/A", "#N/A", "NaN", "nan", "NULL", "null")

# Status words seen in Chinese and English CRM exports, per table; a source file
# maps anything else with its ``values`` key.
STATUS_SYNONYMS: dict[str, dict[str, str]] = {
    "orders": {
        "paid": "paid", "已支付": "paid", "已付款": "paid", "已完成": "paid", "完成": "paid",
        "cancelled": "cancelled", "canceled": "cancelled", "已取消": "cancelled", "取消": "cancelled",
        "refunded": "refunded", "refund": "refunded", "已退款": "refunded", "退款": "refunded",
        "unpaid": "unpaid", "未支付": "unpaid", "未付款": "unpaid", "待支付": "unpaid",
    },
    "tickets": {
        "open": "open", "新建": "open", "待处理": "open",
        "pending": "pending", "处理中": "pending", "跟进中": "pending",
        "resolved": "resolved", "已解决": "resolved",
        "closed": "closed", "已关闭": "closed", "关闭": "closed", "已结案": "closed",
    },
    "customers": {
        "active": "active", "正常": "active", "活跃": "active",
        "churned": "churned", "流失": "churned", "已流失": "churned",
        "test": "test", "测试": "test", "测试账号": "test",
    },
}

_MONEY_NOISE = r"[\s,¥$£€]|RMB|CNY|USD|人民币|元"
_FLOAT_ID = r"^(\d+)\.0+$"
_SCIENTIFIC_ID = r"^\d(?:\.\d+)?[eE]\+?\d+$"
_SCORE_OVER_MAX = r"^\s*([-+]?\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*$"


def clean_text(series: pd.Series, na_tokens: Sequence[str] = DEFAULT_NA_TOKENS) -> pd.Series:
    """Strip surrounding spaces and turn empty text and ``na_tokens`` into missing values.

    Parameters
    ----------
    series : Series of str
        Raw text as read from the file.
    na_tokens : sequence of str
        Values that mean "missing", compared after stripping.

    Returns
    -------
    Series of str
        Same index; missing values are ``NaN``.
    """
    text = series.astype("str").str.strip()
    missing = text.isna() | (text == "") | text.isin(list(na_tokens))
    return text.mask(missing)


def fold_width(text: pd.Series) -> pd.Series:
    """Apply NFKC to the values holding non-ASCII characters (full-width digits, ``￥``)."""
    wide = text.notna() & ~text.str.isascii().fillna(True).astype(bool)
    if not wide.any():
        return text
    folded = text.copy()
    folded[wide] = text[wide].str.normalize("NFKC")
    return folded


def parse_ids(series: pd.Series, na_tokens: Sequence[str] = DEFAULT_NA_TOKENS) -> tuple[pd.Series, pd.Series]:
    """Parse identifiers as strings, undoing what spreadsheets do to numeric-looking ids.

    ``"00123"`` stays ``"00123"``; ``"17850.0"`` (an id written out as a float)
    becomes ``"17850"``. An id in scientific notation such as ``"1.23457E+17"``
    is bad, because Excel has already rounded away its last digits.

    Returns
    -------
    ids : Series of str
    bad : Series of bool
    """
    ids = fold_width(clean_text(series, na_tokens))
    float_like = ids.str.contains(".", regex=False).fillna(False).astype(bool)
    if float_like.any():
        ids[float_like] = ids[float_like].str.replace(_FLOAT_ID, r"\1", regex=True)

    bad = ids.str.fullmatch(_SCIENTIFIC_ID).fillna(False).astype(bool)
    return ids.mask(bad), bad


def parse_amounts(series: pd.Series, na_tokens: Sequence[str] = DEFAULT_NA_TOKENS) -> tuple[pd.Series, pd.Series]:
    """Parse money and other numbers written the way people write them.

    Accepts ``"¥1,234.50"``, ``"1234.5元"``, ``"RMB 12"``, full-width digits
    (``"１２３"``), a minus sign (``"-5.00"``) and accounting brackets
    (``"(5.00)"`` is -5).

    Returns
    -------
    amounts : Series of float
        In the data's currency; ``NaN`` where missing or bad.
    bad : Series of bool
    """
    text = clean_text(series, na_tokens)
    amounts = pd.to_numeric(text, errors="coerce").astype("float64")

    retry = text.notna() & amounts.isna()
    if retry.any():
        amounts[retry] = _parse_decorated_numbers(text[retry])

    bad = text.notna() & (amounts.isna() | np.isinf(amounts))
    return amounts.mask(bad), bad


def _parse_decorated_numbers(text: pd.Series) -> pd.Series:
    plain = fold_width(text).str.replace(_MONEY_NOISE, "", regex=True)
    bracketed = plain.str.fullmatch(r"\(.*\)").fillna(False).astype(bool)
    plain = plain.where(~bracketed, "-" + plain.str.strip("()"))
    return pd.to_numeric(plain, errors="coerce").astype("float64")


def parse_csat(
    series: pd.Series,
    scale: tuple[float, float] | tuple[pd.Series, pd.Series] = (1, 5),
    na_tokens: Sequence[str] = DEFAULT_NA_TOKENS,
) -> tuple[pd.Series, pd.Series]:
    """Parse satisfaction scores and check them against their scale.

    Parameters
    ----------
    series : Series of str
        Scores as text: ``"4"``, ``"4.8"``, ``"85%"`` (on a 0-100 scale) or
        ``"4.8/5"`` (accepted when the denominator equals the scale's maximum).
    scale : (min, max)
        Two numbers for one scale, or two Series aligned with ``series`` when
        the scale differs by row (by channel, say).

    Returns
    -------
    scores : Series of float
        The raw scores; ``NaN`` where missing or bad.
    bad : Series of bool
        Text that is not a number, or a score outside ``[min, max]``.
    """
    low, high = _broadcast_scale(scale, series.index)
    text = fold_width(clean_text(series, na_tokens)).str.rstrip("%")
    text = _strip_denominator(text, high)
    scores = pd.to_numeric(text, errors="coerce").astype("float64")

    outside = (scores < low) | (scores > high)
    bad = text.notna() & (scores.isna() | outside)
    return scores.mask(bad), bad


def _broadcast_scale(scale, index: pd.Index) -> tuple[pd.Series, pd.Series]:
    low, high = scale
    return (pd.Series(low, index=index, dtype="float64"), pd.Series(high, index=index, dtype="float64"))


def _strip_denominator(text: pd.Series, high: pd.Series) -> pd.Series:
    parts = text.str.extract(_SCORE_OVER_MAX)
    written = parts[0].notna()
    if not written.any():
        return text
    denominator = pd.to_numeric(parts[1], errors="coerce")
    matches = written & (denominator == high)
    # A score over a different maximum (4/10 on a 1-5 scale) stays as text and is reported as bad.
    return text.where(~matches, parts[0])


def rescale_csat(scores: pd.Series, low: pd.Series | float, high: pd.Series | float) -> pd.Series:
    """Map scores linearly from ``[low, high]`` to ``[0, 100]``: ``(x - low) / (high - low) * 100``."""
    return (scores - low) / (high - low) * 100.0


def csat_from_100(scores_100: pd.Series | float, scale: tuple[float, float]) -> pd.Series | float:
    """Map 0-100 scores back onto ``scale``, e.g. 70.0 on 0-100 is 3.8 on 1-5."""
    low, high = scale
    return low + scores_100 / 100.0 * (high - low)


def map_values(
    series: pd.Series,
    allowed: Sequence[str],
    mapping: Mapping[str, str] | None = None,
    synonyms: Mapping[str, str] | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Translate coded values (``"1"``, ``"已取消"``) to canonical ones (``"paid"``, ``"cancelled"``).

    The source file's ``mapping`` is looked up first with the text as written,
    then the built-in ``synonyms`` case-insensitively, then the canonical
    values themselves case-insensitively.

    Returns
    -------
    values : Series of str
        Canonical values; ``NaN`` where missing or unknown.
    bad : Series of bool
        Non-missing text that matched nothing in ``allowed``.
    """
    lookup = {str(key).strip().lower(): value for key, value in (synonyms or {}).items()}
    lookup.update({value.lower(): value for value in allowed})
    values = series.str.lower().map(lookup)

    if mapping:
        exact = series.map({str(key).strip(): value for key, value in mapping.items()})
        values = exact.where(exact.notna(), values)

    values = values.astype("str")
    bad = series.notna() & values.isna()
    return values, bad
