"""Value tiers: rank customers by contribution into high, mid and low value.

The rule is tie-safe and independent of row order. With ``n`` customers and
intended shares ``high_share`` and ``low_share``:

1. a contribution <= 0 is low, because a customer who brought nothing is
   never mid or high value;
2. otherwise high if fewer than ``high_share * n`` customers contributed
   strictly more;
3. otherwise low if fewer than ``low_share * n`` customers contributed
   strictly less;
4. otherwise mid. A block of equal contributions that qualifies for both
   high and low goes to mid, with a warning.

Equal contributions therefore always share a tier, so real shares can differ
from the intended ones. The fitted ``shares_`` table reports both. A tier's
quota is the customer count the rule gives when no two contributions are
equal, and a :class:`UserWarning` names every tier whose count is more than
one customer away from its quota. Shares are fractions in [0, 1].
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .config import VALUE_TIERS, ValueConfig
from .i18n import Catalog, check_lang

logger = logging.getLogger(__name__)

DEFAULT_SHARES = {"high": 0.10, "mid": 0.60, "low": 0.30}
# Customer counts are compared with share * n; the slack absorbs float error
# such as 0.3 * 20 == 6.000000000000001, so an exact quota boundary stays exact.
_COUNT_SLACK = 1e-9

MESSAGES = Catalog({
    "off_quota": {
        "zh": "价值分层因贡献值并列偏离目标占比：{details}。并列客户必须同层，可调整 value.shares 或接受该结果。",
        "en": "ties moved value tiers off their intended shares: {details}. "
              "Equal contributions share a tier; adjust value.shares or accept the result.",
    },
    "off_quota_item": {
        "zh": "{tier} 实际 {actual}（{customers} 人），目标 {intended}（{quota} 人）",
        "en": "{tier} {actual} ({customers} customers) against {intended} requested, a quota of {quota}",
    },
    "separator": {"zh": "；", "en": "; "},
    "tier_high": {"zh": "高价值", "en": "high"},
    "tier_mid": {"zh": "中价值", "en": "mid"},
    "tier_low": {"zh": "低价值", "en": "low"},
    "both_tiers": {
        "zh": "{count} 位贡献值相同（{value:g}）的客户同时满足高价值和低价值条件，已归入中价值。",
        "en": "{count} customers with the same contribution ({value:g}) qualify for both high and low "
              "value and were put in mid value.",
    },
    "bad_shares": {
        "zh": "shares 必须给出 high、mid、low 三个 [0, 1] 内且合计为 1 的占比，收到 {shares!r}。",
        "en": "shares must give high, mid and low as fractions in [0, 1] summing to 1, got {shares!r}.",
    },
    "no_customers": {
        "zh": "没有可分层的客户（贡献值为空）。",
        "en": "no customers to tier: the contribution is empty.",
    },
    "one_column": {
        "zh": "贡献值必须是一列，收到 {columns} 列；请只传入贡献值这一列。",
        "en": "the contribution must be one column, got {columns}; pass only the contribution column.",
    },
    "missing_contribution": {
        "zh": "有 {count} 个贡献值缺失或无穷大（位置 {positions}）；请先补齐或剔除这些客户。",
        "en": "{count} contribution value(s) are missing or infinite (positions {positions}); "
              "fill them or remove those customers first.",
    },
    "unknown_contribution": {
        "zh": "未知的贡献口径 {contribution!r}；可选 spend、profit、mix。",
        "en": "unknown contribution {contribution!r}; use spend, profit or mix.",
    },
})


def value_contribution(features: pd.DataFrame, value: ValueConfig) -> pd.Series:
    """Return each customer's contribution as configured in ``value.contribution``.

    ``spend`` and ``profit`` are the feature columns of that name; ``mix`` is
    ``mix_weights["spend"] * spend + mix_weights["profit"] * profit``, in the
    data's currency. A customer without orders has profit 0 when the data has
    profit at all, so only a data set without any profit yields NaN here;
    :func:`segmentation.classification.classify` falls back to spend in that case.
    """
    spend = features["spend"].astype("float64")
    profit = features["profit"].astype("float64").fillna(0.0)
    if value.contribution == "spend":
        contribution = spend
    elif value.contribution == "profit":
        contribution = profit
    elif value.contribution == "mix":
        weights = value.mix_weights
        contribution = weights.get("spend", 0.0) * spend + weights.get("profit", 0.0) * profit
    else:
        raise ValueError(MESSAGES("unknown_contribution", contribution=value.contribution))
    return contribution.rename("contribution")


def format_share(share: float) -> str:
    """Format a share as a percentage with one decimal, dropping a ``.0`` (0.6 -> "60%", 0.6004 -> "60.0%").

    A share that is not a whole percentage keeps its decimal, so "60.0%"
    next to an intended "60%" still shows that the two differ.
    """
    text = f"{share:.1%}"
    return text.replace(".0%", "%") if np.isclose(share * 100, round(share * 100), rtol=0, atol=1e-9) else text


def _strictly_greater_and_smaller(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Count, for each value, the values strictly greater and strictly smaller."""
    _, block, block_size = np.unique(values, return_inverse=True, return_counts=True)
    through = np.cumsum(block_size)
    greater = len(values) - through[block]
    smaller = (through - block_size)[block]
    return greater, smaller


def _tie_free_counts(n: int, shares: Mapping[str, float]) -> dict[str, int]:
    """Return the customer count of each tier that the rule gives ``n`` distinct positive contributions.

    Rank ``i`` (0 for the smallest) has ``n - 1 - i`` contributions strictly
    greater and ``i`` strictly smaller, so the rule of :meth:`ValueTierer._assign`
    reduces to comparisons of ranks. This is the quota that ties are measured against.
    """
    rank = np.arange(n)
    high = (n - 1 - rank) < shares["high"] * n - _COUNT_SLACK
    low = rank < shares["low"] * n - _COUNT_SLACK
    return {"high": int((high & ~low).sum()), "mid": int((high == low).sum()), "low": int((low & ~high).sum())}


class ValueTierer(TransformerMixin, BaseEstimator):
    """Tier contributions into high, mid and low value, ties kept together.

    Parameters
    ----------
    shares : mapping of str to float, optional
        Intended share of each tier, keys ``high``, ``mid``, ``low``,
        fractions summing to 1. Default ``{"high": 0.1, "mid": 0.6, "low": 0.3}``.
    boundary_margin : float, default 0.1
        A positive contribution within this fraction of a cut point is near
        the boundary (see :meth:`near_boundary`).
    lang : {"zh", "en"}, default "zh"
        Language of warnings.

    Attributes
    ----------
    high_cut_ : float
        Smallest contribution in the high tier (``inf`` when the tier is empty).
        New values at or above it are high.
    low_cut_ : float
        Largest contribution in the low tier, at least 0 (a contribution <= 0
        is always low). New values at or below it are low.
    shares_ : DataFrame
        Columns ``tier``, ``intended``, ``actual`` (fractions) and
        ``customers`` (count), one row per tier in the order high, mid, low.
    quota_ : dict of str to int
        Customer count of each tier when no two contributions are equal.
    off_quota_ : list of str
        Tiers whose customer count is more than one away from ``quota_``.
    n_features_in_ : int
        Always 1.

    Examples
    --------
    >>> tierer = ValueTierer().fit([[0], [0], [0], [0], [0], [0], [120], [380], [950], [5200]])
    >>> tierer.transform([[5200], [120], [0]]).ravel().tolist()
    ['high', 'mid', 'low']
    """

    def __init__(self, shares: Mapping[str, float] | None = None, boundary_margin: float = 0.1,
                 lang: str = "zh") -> None:
        self.shares = shares
        self.boundary_margin = boundary_margin
        self.lang = lang

    def fit(self, X, y=None) -> "ValueTierer":
        """Learn the cut points from contributions ``X`` of shape (n_customers, 1) or (n_customers,).

        Raises
        ------
        ValueError
            Invalid shares, no customers, or a missing or infinite contribution.

        Warns
        -----
        UserWarning
            Ties moved a tier more than one customer off its quota, or a tie
            block qualified for both high and low.
        """
        check_lang(self.lang)
        shares = self._checked_shares()
        values = self._column(X, reset=True)

        tiers, both = self._assign(values, shares)
        self.high_cut_ = float(values[tiers == "high"].min()) if (tiers == "high").any() else np.inf
        self.low_cut_ = float(max(values[tiers == "low"].max(), 0.0)) if (tiers == "low").any() else 0.0
        self.shares_ = self._share_table(tiers, shares)
        self.quota_ = _tie_free_counts(len(values), shares)
        counts = dict(zip(VALUE_TIERS, self.shares_["customers"].tolist()))
        self.off_quota_ = [tier for tier in VALUE_TIERS if abs(counts[tier] - self.quota_[tier]) > 1]

        self._warn_ties(values, both)
        return self

    def transform(self, X) -> np.ndarray:
        """Return the tier key of each contribution, an object array of shape (n_customers, 1)."""
        check_is_fitted(self, "high_cut_")
        values = self._column(X, reset=False)
        tiers = np.where(values >= self.high_cut_, "high",
                         np.where((values <= self.low_cut_) | (values <= 0), "low", "mid"))
        return tiers.astype(object).reshape(-1, 1)

    def near_boundary(self, X) -> np.ndarray:
        """Return True where a positive contribution lies within ``boundary_margin`` of a cut point.

        The margin is relative: ``|x - cut| <= boundary_margin * cut``. A cut
        point of 0 or ``inf`` has no neighbourhood. Shape (n_customers,), bool.
        """
        check_is_fitted(self, "high_cut_")
        values = self._column(X, reset=False)
        near = np.zeros(len(values), dtype=bool)
        for cut in (self.high_cut_, self.low_cut_):
            if np.isfinite(cut) and cut > 0:
                near |= np.abs(values - cut) <= self.boundary_margin * cut
        return near & (values > 0)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Return ``["value_tier"]``, the name of the single output column."""
        return np.array(["value_tier"], dtype=object)

    def _checked_shares(self) -> dict[str, float]:
        shares = dict(DEFAULT_SHARES if self.shares is None else self.shares)
        valid = (
            set(shares) == set(VALUE_TIERS)
            and all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in shares.values())
            and abs(sum(shares.values()) - 1) <= 1e-9
        )
        if not valid:
            raise ValueError(MESSAGES("bad_shares", self.lang, shares=self.shares))
        return {tier: float(shares[tier]) for tier in VALUE_TIERS}

    def _column(self, X, reset: bool) -> np.ndarray:
        if np.ndim(X) == 1:
            X = np.asarray(X, dtype="float64").reshape(-1, 1)
        if reset and len(X) == 0:
            raise ValueError(MESSAGES("no_customers", self.lang))
        X = validate_data(self, X, reset=reset, dtype="float64", ensure_all_finite=False,
                          ensure_min_samples=0)
        if X.shape[1] != 1:
            raise ValueError(MESSAGES("one_column", self.lang, columns=X.shape[1]))
        values = X[:, 0]
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            raise ValueError(MESSAGES("missing_contribution", self.lang, count=len(bad),
                                      positions=", ".join(map(str, bad[:5]))))
        return values

    def _assign(self, values: np.ndarray, shares: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
        n = len(values)
        greater, smaller = _strictly_greater_and_smaller(values)
        positive = values > 0
        high = positive & (greater < shares["high"] * n - _COUNT_SLACK)
        low = ~positive | (smaller < shares["low"] * n - _COUNT_SLACK)
        both = high & low

        tiers = np.full(n, "mid", dtype=object)
        tiers[high & ~both] = "high"
        tiers[low & ~both] = "low"
        return tiers, both

    def _share_table(self, tiers: np.ndarray, shares: Mapping[str, float]) -> pd.DataFrame:
        counts = np.array([(tiers == tier).sum() for tier in VALUE_TIERS], dtype="int64")
        return pd.DataFrame({
            "tier": pd.Categorical(VALUE_TIERS, categories=VALUE_TIERS, ordered=True),
            "intended": [shares[tier] for tier in VALUE_TIERS],
            "actual": counts / len(tiers),
            "customers": counts,
        })

    def _warn_ties(self, values: np.ndarray, both: np.ndarray) -> None:
        if both.any():
            message = MESSAGES("both_tiers", self.lang, count=int(both.sum()), value=float(values[both][0]))
            warnings.warn(message, UserWarning, stacklevel=3)
        if self.off_quota_:
            table = self.shares_.set_index("tier", drop=False)
            items = []
            for tier in self.off_quota_:
                row = table.loc[tier]
                items.append(MESSAGES("off_quota_item", self.lang, tier=MESSAGES(f"tier_{tier}", self.lang),
                                      actual=format_share(row["actual"]), customers=int(row["customers"]),
                                      intended=format_share(row["intended"]), quota=self.quota_[tier]))
            details = MESSAGES("separator", self.lang).join(items)
            warnings.warn(MESSAGES("off_quota", self.lang, details=details), UserWarning, stacklevel=3)
