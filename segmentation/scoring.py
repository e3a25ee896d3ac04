"""Dimension scores and the composite priority score.

Conventions that hold for the whole file:

* every dimension score is a percentile in (0, 1] computed with average
  ranks (``rank(pct=True, method="average")``), so equal raw values get equal
  scores and row order never changes a score;
* a dimension the data cannot support (need without tickets, say) gets the
  constant score 0.5, so its weight shifts every composite score equally and
  cannot change any ranking;
* weights are fractions in [0, 1] over :data:`~segmentation.config.SCORE_DIMENSIONS`
  that sum to 1;
* score tiers (``high`` / ``mid`` / ``low``) use the value-tier shares and
  the tie rule of the standard's value tiers, so identical scores always
  share a tier;
* the RFM and rule-table scores are the baselines the composite score is
  judged against.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import SCORE_DIMENSIONS, VALUE_TIERS, Config
from .errors import ConfigError
from .tiers_value import value_contribution

logger = logging.getLogger(__name__)

NEUTRAL_SCORE = 0.5
LOYALTY_COMPONENTS = ("tenure_days", "repeat_purchase", "renewal_rate", "csat_mean_100")
_WEIGHT_TOLERANCE = 1e-6
# Counts are compared with share * n; the slack keeps 0.3 * 20 == 6.000000000000001 an exact quota.
_COUNT_SLACK = 1e-9


def percentile_score(values: pd.Series) -> pd.Series:
    """Return each value's percentile among the non-missing values, with average ranks.

    Parameters
    ----------
    values : Series of float or bool, length n

    Returns
    -------
    Series of float, length n
        Scores in (0, 1]; missing values stay missing.
    """
    return values.astype("float64").rank(method="average", pct=True)


def contribution(features: pd.DataFrame, config: Config) -> pd.Series:
    """Return the value-dimension measure chosen by ``config.value.contribution``.

    The measure is the standard's (:func:`~segmentation.tiers_value.value_contribution`).
    Without profit data it falls back to spend with a warning, as
    :func:`~segmentation.classification.classify` does.
    """
    value = config.value
    has_profit = "profit" in features and features["profit"].notna().any()
    if value.contribution != "spend" and not has_profit:
        warnings.warn(
            f"value.contribution is {value.contribution!r} but the data has no profit; scoring value by spend",
            UserWarning,
            stacklevel=2,
        )
        value = dataclasses.replace(value, contribution="spend")
    return value_contribution(features, value).fillna(0.0)


def activity_basis(features: pd.DataFrame, config: Config) -> str:
    """Return ``"contacts"`` or ``"orders"``: the feature that measures activity."""
    if config.activity.basis != "auto":
        return config.activity.basis
    available = features.attrs.get("dimensions_available", {})
    has_tickets = available.get("need", features.get("contacts", pd.Series(dtype=float)).sum() > 0)
    return "contacts" if has_tickets else "orders"


def need_signal(features: pd.DataFrame) -> pd.Series:
    """Return the potential-demand signal: its share damped-weighted by contact volume.

    The share alone would rank one upgrade question above ten contacts of
    which half ask about upgrades. Weighting by ``log1p(contacts)`` lets
    volume count without letting heavy callers swamp the share.
    """
    share = features["share_potential_demand"].fillna(0.0)
    return share * np.log1p(features["contacts"].fillna(0.0))


def loyalty_signal(features: pd.DataFrame) -> pd.Series:
    """Return the mean percentile of the loyalty components each customer has.

    Components are tenure, repeat purchase, renewal rate and CSAT; a
    component missing for a customer (no rated contact, say) is left out of
    that customer's mean rather than counted as zero. A customer with none
    of them gets NaN.
    """
    present = [name for name in LOYALTY_COMPONENTS if name in features and features[name].notna().any()]
    if not present:
        return pd.Series(np.nan, index=features.index)
    components = pd.concat([percentile_score(features[name]) for name in present], axis=1)
    return components.mean(axis=1, skipna=True)


def available_dimensions(features: pd.DataFrame) -> tuple[str, ...]:
    """Return the score dimensions the features can support, in canonical order."""
    flags = dict(features.attrs.get("dimensions_available", {}))
    flags.setdefault("value", "spend" in features)
    flags.setdefault("activity", "contacts_per_month" in features or "orders_per_month" in features)
    flags.setdefault("need", "contacts" in features and features["contacts"].sum() > 0)
    flags["loyalty"] = any(name in features and features[name].notna().any() for name in LOYALTY_COMPONENTS)
    return tuple(dim for dim in SCORE_DIMENSIONS if flags.get(dim, False))


@dataclass(frozen=True)
class DimensionScores:
    """Per-customer scores of the four dimensions, computed once and reused for any weights.

    Attributes
    ----------
    frame : DataFrame, shape (n, 4)
        Index ``customer_id``; columns :data:`SCORE_DIMENSIONS`; scores in (0, 1].
    available : tuple of str
        Dimensions the data supports; the others hold the constant 0.5.
    """

    frame: pd.DataFrame
    available: tuple[str, ...]

    @property
    def matrix(self) -> np.ndarray:
        """Scores as a float array of shape (n, 4), columns in :data:`SCORE_DIMENSIONS` order."""
        return self.frame.to_numpy(dtype="float64")

    def composite(self, weights: Mapping[str, float]) -> pd.Series:
        """Return the composite score ``matrix @ weights`` as a Series in [0, 1]."""
        vector = weight_vector(weights)
        return pd.Series(self.matrix @ vector, index=self.frame.index, name="score")


def dimension_scores(features: pd.DataFrame, config: Config) -> DimensionScores:
    """Score every customer on value, activity, need and loyalty.

    Parameters
    ----------
    features : DataFrame, n rows
        Output of :func:`segmentation.features.build_features`.
    config : Config

    Returns
    -------
    DimensionScores
        A constant dimension warns, because its weight can then change no ranking.
    """
    available = available_dimensions(features)
    raw = {
        "value": contribution(features, config),
        "activity": features[f"{activity_basis(features, config)}_per_month"].fillna(0.0),
        "need": need_signal(features) if "need" in available else None,
        "loyalty": loyalty_signal(features) if "loyalty" in available else None,
    }

    columns = {}
    for dim in SCORE_DIMENSIONS:
        if dim not in available or raw[dim] is None:
            columns[dim] = pd.Series(NEUTRAL_SCORE, index=features.index)
            continue
        _warn_if_constant(dim, raw[dim])
        columns[dim] = percentile_score(raw[dim]).fillna(NEUTRAL_SCORE)
    frame = pd.DataFrame(columns, index=features.index)
    logger.debug("scored %d customers on %s", len(frame), ", ".join(available))
    return DimensionScores(frame=frame, available=available)


def _warn_if_constant(dim: str, values: pd.Series) -> None:
    distinct = values.dropna().nunique()
    if len(values) > 1 and distinct <= 1:
        warnings.warn(
            f"dimension {dim!r} has {distinct} distinct value(s) over {len(values)} customers; "
            "its weight cannot change any ranking",
            UserWarning,
            stacklevel=3,
        )


def weight_vector(weights: Mapping[str, float]) -> np.ndarray:
    """Validate weights and return them as a float array of shape (4,).

    Parameters
    ----------
    weights : mapping of str to float
        Keys among :data:`SCORE_DIMENSIONS` (a missing key means 0); each in
        [0, 1]; the sum must be 1 within 1e-6.

    Raises
    ------
    ConfigError
        Unknown dimension, a weight outside [0, 1], or a sum other than 1.
    """
    unknown = sorted(set(weights) - set(SCORE_DIMENSIONS))
    if unknown:
        raise ConfigError(f"unknown score dimension(s) {unknown}; allowed: {list(SCORE_DIMENSIONS)}")
    vector = np.array([float(weights.get(dim, 0.0)) for dim in SCORE_DIMENSIONS])
    outside = {dim: w for dim, w in zip(SCORE_DIMENSIONS, vector) if not 0 <= w <= 1}
    if outside:
        raise ConfigError(f"score weights must be in [0, 1], got {outside}")
    if abs(vector.sum() - 1) > _WEIGHT_TOLERANCE:
        raise ConfigError(
            f"score weights must sum to 1, got {dict(zip(SCORE_DIMENSIONS, vector.round(6)))} "
            f"(sum {vector.sum():.6f}); rescale them"
        )
    return vector


def tier_codes(score: np.ndarray, shares: Mapping[str, float]) -> np.ndarray:
    """Cut scores into tiers by share; return codes 0 (high), 1 (mid), 2 (low).

    The rule is the value-tier rule of :class:`~segmentation.tiers_value.ValueTierer`,
    so score tiers and value tiers compare customer by customer. A customer
    is high when fewer than ``shares["high"] * n`` customers score strictly
    more, and low when fewer than ``shares["low"] * n`` score strictly less.
    Everyone else is mid, as is a tie block that qualifies for both. Equal
    scores therefore share a tier.

    Parameters
    ----------
    score : array of float, shape (n,)
    shares : mapping
        ``{"high": h, "mid": m, "low": l}`` fractions summing to 1.

    Returns
    -------
    array of int8, shape (n,)
    """
    score = np.asarray(score, dtype="float64")
    n = len(score)
    # "fewer than c customers score strictly more" is "score >= the ceil(c)-th largest score",
    # so two partial sorts (O(n)) replace a full ranking.
    high_count = int(np.ceil(shares["high"] * n - _COUNT_SLACK))
    low_count = int(np.ceil(shares["low"] * n - _COUNT_SLACK))
    high = score >= np.partition(score, n - high_count)[n - high_count] if high_count >= 1 else np.zeros(n, bool)
    low = score <= np.partition(score, low_count - 1)[low_count - 1] if low_count >= 1 else np.zeros(n, bool)

    codes = np.where(high, 0, np.where(low, 2, 1)).astype("int8")
    codes[high & low] = 1
    return codes


def score_tiers(score: pd.Series, shares: Mapping[str, float]) -> pd.Series:
    """Return the score tier (``high`` / ``mid`` / ``low``) of every customer.

    Warns with the intended and the real shares when ties moved customers
    across a cut-point.

    Parameters
    ----------
    score : Series of float, indexed by customer_id
    shares : mapping
        Intended tier shares, e.g. ``config.value.shares``.

    Returns
    -------
    Series of ordered Categorical with categories ``high, mid, low``
    """
    codes = tier_codes(score.to_numpy(), shares)
    tiers = pd.Series(
        pd.Categorical.from_codes(codes, categories=list(VALUE_TIERS), ordered=True),
        index=score.index,
        name="score_tier",
    )
    _warn_if_shares_moved(tiers, shares)
    return tiers


def tier_share_table(tiers: pd.Series, shares: Mapping[str, float]) -> pd.DataFrame:
    """Return the intended share, real share and count of each tier, in tier order.

    Returns
    -------
    DataFrame indexed by tier with columns ``intended``, ``actual``, ``customers``;
    every tier has a row, zero-filled.
    """
    counts = tiers.value_counts().reindex(list(VALUE_TIERS), fill_value=0)
    total = max(len(tiers), 1)
    return pd.DataFrame({
        "intended": [float(shares[tier]) for tier in VALUE_TIERS],
        "actual": (counts / total).to_numpy(),
        "customers": counts.to_numpy(),
    }, index=pd.Index(list(VALUE_TIERS), name="tier"))


def _warn_if_shares_moved(tiers: pd.Series, shares: Mapping[str, float]) -> None:
    table = tier_share_table(tiers, shares)
    n = len(tiers)
    # One customer more or less than the share is rounding, not a tie effect.
    moved = (table["actual"] - table["intended"]).abs() * n > 1
    if moved.any():
        detail = ", ".join(
            f"{tier} {row.intended:.0%} -> {row.actual:.1%}" for tier, row in table[moved].iterrows()
        )
        warnings.warn(f"tied scores moved the score-tier shares (intended -> real): {detail}",
                      UserWarning, stacklevel=3)


def compare_tiers(score_tier: pd.Series, rule_tier: pd.Series) -> pd.DataFrame:
    """Cross-tabulate score tiers against rule tiers, customer by customer.

    Parameters
    ----------
    score_tier, rule_tier : Series indexed by customer_id
        Tier keys ``high`` / ``mid`` / ``low``; customers are matched by index.

    Returns
    -------
    DataFrame, shape (3, 3)
        Rows are rule tiers, columns score tiers, counts zero-filled, both in tier order.
    """
    rule, score = rule_tier.align(score_tier, join="inner")
    order = list(VALUE_TIERS)
    table = pd.crosstab(
        pd.Categorical(rule.astype(str), categories=order),
        pd.Categorical(score.astype(str), categories=order),
        dropna=False,
    )
    table.index.name, table.columns.name = "rule_tier", "score_tier"
    return table.reindex(index=order, columns=order, fill_value=0)


def rfm_score(features: pd.DataFrame) -> pd.Series:
    """Return the classic RFM score: recency, frequency and monetary quintiles (1-5 each), summed.

    Quintiles come from average ranks, so tied customers share a quintile.
    A customer who never ordered has the worst recency.
    """
    recency_days = features["days_since_last_order"].fillna(np.inf)
    parts = (-recency_days, features["order_count"], features["spend"])
    n = max(len(features), 1)
    # The slack keeps an exact quintile edge such as rank 3 of 5 (3 * 5 / 5) from rounding up.
    quintiles = [np.ceil(part.astype("float64").rank(method="average") * 5 / n - 1e-9).clip(1, 5) for part in parts]
    return (quintiles[0] + quintiles[1] + quintiles[2]).rename("rfm")


def rule_score(labels: pd.DataFrame, config: Config) -> pd.Series:
    """Return an ordinal score from the rule table: label first, value tier second.

    Labels rank in the order the configuration lists them (first is the
    highest priority), so VIP > regular > to be activated by default.
    """
    label_order = list(config.labels)
    label_rank = labels["label"].map({label: len(label_order) - i for i, label in enumerate(label_order)})
    tier_rank = labels["value_tier"].map({tier: len(VALUE_TIERS) - i for i, tier in enumerate(VALUE_TIERS)})
    return (label_rank.astype("float64") * 10 + tier_rank.astype("float64")).rename("rule")
