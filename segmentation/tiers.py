"""Activity and need tiers, and the per-tier counts that reports read.

Conventions that hold for the whole file:

* Tier columns are ordered pandas Categoricals whose categories are every
  tier in its defined order: ``high, mid, low``, or the need types followed
  by ``none``. A per-tier table therefore keeps an empty tier as a zero row.
* Activity thresholds are inclusive: a rate exactly at ``high_min_per_month``
  is high. Counts are compared with ``threshold * window months`` rather than
  dividing, so 18 contacts in six months is exactly 3 a month.
* Need shares are fractions in [0, 1] of the contacts that carry a need signal.

Value tiers are fitted, so they live in :mod:`segmentation.tiers_value`;
:class:`ValueTierer` is re-exported here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .config import ACTIVITY_TIERS, NEED_TYPES_WITH_NONE, VALUE_TIERS, ActivityConfig
from .i18n import Catalog
from .tiers_value import ValueTierer, value_contribution
from .windows import window_months, window_start

__all__ = [
    "ACTIVITY_BASES",
    "TIER_COLUMNS",
    "ValueTierer",
    "activity_tiers",
    "need_types",
    "resolve_activity_basis",
    "tier_categorical",
    "tier_counts",
    "value_contribution",
]

logger = logging.getLogger(__name__)

ACTIVITY_BASES = ("contacts", "orders")
# Label-frame column of each dimension, and the dimension names callers may use instead.
TIER_COLUMNS = {"value": "value_tier", "activity": "activity_tier", "need": "need_type", "label": "label"}
_DEFAULT_CATEGORIES = {"value_tier": VALUE_TIERS, "activity_tier": ACTIVITY_TIERS, "need_type": NEED_TYPES_WITH_NONE}
_COUNT_SLACK = 1e-9

MESSAGES = Catalog({
    "unknown_basis": {
        "zh": "未知的活跃度口径 {basis!r}；可选 contacts、orders、auto。",
        "en": "unknown activity basis {basis!r}; use contacts, orders or auto.",
    },
    "unknown_dimension": {
        "zh": "未知的维度 {dimension!r}；可选 {allowed}。",
        "en": "unknown dimension {dimension!r}; use one of {allowed}.",
    },
    "no_categories": {
        "zh": "{column} 列不是分类类型，无法得知全部取值；请传入 categories（例如配置中的标签顺序）。",
        "en": "column {column} is not categorical, so its full set of values is unknown; "
              "pass categories (e.g. the label order of the configuration).",
    },
    "unknown_values": {
        "zh": "{column} 列含有不在 {categories} 中的取值：{values}；请检查数据或传入完整的 categories。",
        "en": "column {column} has values outside {categories}: {values}; "
              "check the data or pass the full categories.",
    },
})


def tier_categorical(values: Sequence[str] | np.ndarray | pd.Series, categories: Sequence[str],
                     lang: str = "zh") -> pd.Categorical:
    """Return ``values`` as an ordered Categorical with every tier of ``categories``.

    Missing values stay missing.

    Raises
    ------
    ValueError
        If a value is not one of ``categories``, naming the values.
    """
    categories = list(categories)
    # Factorising first means only the few distinct values are looked up.
    value_codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    positions = pd.Index(categories).get_indexer(uniques)
    if (positions < 0).any():
        outside = sorted(map(str, uniques[positions < 0]))
        raise ValueError(MESSAGES("unknown_values", lang, column=getattr(values, "name", None) or "tier",
                                  categories=categories, values=outside))
    codes = np.where(value_codes >= 0, positions[value_codes], -1)
    return pd.Categorical.from_codes(codes, categories=categories, ordered=True)


def resolve_activity_basis(setting: str, has_tickets: bool, lang: str = "zh") -> str:
    """Return the activity basis to use: ``"contacts"`` or ``"orders"``.

    ``"auto"`` means contacts when the data has tickets, else orders.

    Raises
    ------
    ValueError
        If ``setting`` is not ``contacts``, ``orders`` or ``auto``.
    """
    if setting == "auto":
        return "contacts" if has_tickets else "orders"
    if setting not in ACTIVITY_BASES:
        raise ValueError(MESSAGES("unknown_basis", lang, basis=setting))
    return setting


def activity_tiers(features: pd.DataFrame, activity: ActivityConfig, *, basis: str) -> pd.Series:
    """Tier customers by contacts (or orders) per month, with the recency rule.

    A rate at or above the high threshold is high, at or above the mid
    threshold mid, else low; the thresholds are ``high_min_per_month`` and
    ``mid_min_per_month`` on contacts, ``orders_high_min_per_month`` and
    ``orders_mid_min_per_month`` on orders. A customer with no contact (or
    order, on the orders basis) in the last ``recency_months`` calendar months
    before ``as_of`` is low whatever the rate. ``recency_months = 0`` turns
    that rule off.

    Parameters
    ----------
    features : DataFrame
        Output of :func:`~segmentation.features.build_features`, with its
        ``attrs["as_of"]`` and ``attrs["window"]``.
    activity : ActivityConfig
        Thresholds in events per month and the recency rule.
    basis : {"contacts", "orders"}
        Which events count, as resolved by :func:`resolve_activity_basis`.

    Returns
    -------
    Series of ordered Categorical, index as ``features``, named ``activity_tier``.
    """
    if basis not in ACTIVITY_BASES:
        raise ValueError(MESSAGES("unknown_basis", basis=basis))
    counts = features["contacts" if basis == "contacts" else "order_count"].to_numpy(dtype="float64")
    months = window_months(features.attrs["window"])

    high_rate, mid_rate = activity.thresholds(basis)
    high = counts >= high_rate * months - _COUNT_SLACK
    mid = counts >= mid_rate * months - _COUNT_SLACK
    codes = np.select([high, mid], [ACTIVITY_TIERS.index("high"), ACTIVITY_TIERS.index("mid")],
                      default=ACTIVITY_TIERS.index("low"))

    if activity.recency_months > 0:
        last = features["last_contact_at" if basis == "contacts" else "last_order_at"]
        cutoff = window_start(features.attrs["as_of"], f"{activity.recency_months}M")
        recent = (last > cutoff).to_numpy(dtype=bool, na_value=False)
        codes = np.where(recent, codes, ACTIVITY_TIERS.index("low"))
    tiers = pd.Categorical.from_codes(codes, categories=list(ACTIVITY_TIERS), ordered=True)
    return pd.Series(tiers, index=features.index, name="activity_tier")


def need_types(features: pd.DataFrame, tie_break: Sequence[str]) -> pd.DataFrame:
    """Pick each customer's dominant need type and its share.

    The dominant type has the most contacts among those with a need signal;
    equal counts go to the type listed first in ``tie_break``. A customer
    without any signal gets ``none`` with share NaN.

    Returns
    -------
    DataFrame, index as ``features``
        ``need_type`` (ordered Categorical over the need types and ``none``)
        and ``need_share`` (float in (0, 1], NaN for ``none``).
    """
    counts = features[[f"n_{need}" for need in tie_break]].to_numpy(dtype="float64")
    total = counts.sum(axis=1)
    # argmax returns the first maximum, and the columns are in tie-break order.
    winner = counts.argmax(axis=1) if len(counts) else np.zeros(0, dtype=int)
    code_of_column = np.array([NEED_TYPES_WITH_NONE.index(need) for need in tie_break], dtype="int64")
    codes = np.where(total > 0, code_of_column[winner], NEED_TYPES_WITH_NONE.index("none"))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, counts.max(axis=1, initial=0) / total, np.nan)
    need = pd.Categorical.from_codes(codes, categories=list(NEED_TYPES_WITH_NONE), ordered=True)
    return pd.DataFrame({"need_type": need, "need_share": share}, index=features.index)


def tier_counts(labels: pd.DataFrame, dimension: str, *, categories: Sequence[str] | None = None,
                lang: str = "zh") -> pd.DataFrame:
    """Count customers per tier, every tier listed in order, empty tiers as 0.

    Parameters
    ----------
    labels : DataFrame
        ``Classification.labels`` or any frame with the dimension's column.
    dimension : str
        ``value``, ``activity``, ``need`` or ``label``, or the column name
        (``value_tier``, ``activity_tier``, ``need_type``, ``label``).
    categories : sequence of str, optional
        Tiers in display order. Defaults to the column's categories, or for a
        plain text column to the configured tier keys (required for ``label``).
    lang : {"zh", "en"}, default "zh"
        Language of error messages.

    Returns
    -------
    DataFrame
        ``tier`` (ordered Categorical), ``customers`` (int) and ``share``
        (fraction of all rows, NaN when ``labels`` is empty), one row per tier.

    Raises
    ------
    ValueError
        Unknown dimension, no known categories, or values outside them.
    """
    column = _tier_column(dimension, lang)
    values = labels[column]
    categories = _categories_of(values, column, categories, lang)
    tiers = tier_categorical(values.rename(column), categories, lang)

    counts = pd.DataFrame({"tier": tiers}).groupby("tier", observed=False).size()
    total = int(counts.sum())
    return pd.DataFrame({
        "tier": tier_categorical(counts.index.astype(str), categories),
        "customers": counts.to_numpy(dtype="int64"),
        "share": counts.to_numpy(dtype="float64") / total if total else np.nan,
    })


def _tier_column(dimension: str, lang: str) -> str:
    if dimension in TIER_COLUMNS:
        return TIER_COLUMNS[dimension]
    if dimension in TIER_COLUMNS.values():
        return dimension
    allowed = ", ".join([*TIER_COLUMNS, *TIER_COLUMNS.values()])
    raise ValueError(MESSAGES("unknown_dimension", lang, dimension=dimension, allowed=allowed))


def _categories_of(values: pd.Series, column: str, categories: Sequence[str] | None, lang: str) -> list[str]:
    if categories is not None:
        return list(categories)
    if isinstance(values.dtype, pd.CategoricalDtype):
        return list(values.cat.categories)
    if column in _DEFAULT_CATEGORIES:
        return list(_DEFAULT_CATEGORIES[column])
    raise ValueError(MESSAGES("no_categories", lang, column=column))
