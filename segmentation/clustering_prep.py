"""Preparation of the customer feature frame for distance-based clustering.

Conventions that hold in this file:

* the input is the frame of :func:`segmentation.features.build_features`, one
  row per customer; columns it does not know are ignored;
* money (``spend``, ``profit``, ``avg_order_value``) and counts or durations
  (per-month rates, days) go through a signed ``log1p`` before scaling, so one
  large customer cannot decide the clusters;
* issue-type shares are fractions in [0, 1]; they skip the log transform
  and, unless ``scale_shares`` is False, are scaled like every other
  column. Left unscaled, their standard deviation of about 0.3 gives the
  need dimension a third of the pull of the others, and on the sample data
  k-means then mixes customers who differ only in their needs;
* after scaling, each dimension's columns are multiplied by that dimension's
  weight (``value``, ``activity``, ``need``, ``loyalty``), the same mapping the
  weight-tuning step produces. A missing weight counts as 1.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import RobustScaler, StandardScaler
from sklearn.utils.validation import check_is_fitted

from .config import SCORE_DIMENSIONS
from .i18n import Catalog

logger = logging.getLogger(__name__)

SCALERS = ("standard", "robust")


@dataclass(frozen=True)
class FeatureSpec:
    """Dimension, transform and NaN fill of one feature column.

    Attributes
    ----------
    dimension : str
        One of ``value``, ``activity``, ``need``, ``loyalty``.
    transform : str
        ``log`` (signed log1p, then scaled), ``scale`` (scaled only) or
        ``share`` (a fraction in [0, 1], scaled unless ``scale_shares`` is False).
    fill : str
        Value used where the feature is NaN: ``zero``, ``max`` (the largest
        value seen in fit, e.g. "never contacted" is at least as stale as the
        stalest customer) or ``median``.
    """

    dimension: str
    transform: str
    fill: str


FEATURE_SPECS: dict[str, FeatureSpec] = {
    "spend": FeatureSpec("value", "log", "zero"),
    "profit": FeatureSpec("value", "log", "zero"),
    "avg_order_value": FeatureSpec("value", "log", "zero"),
    "contacts_per_month": FeatureSpec("activity", "log", "zero"),
    "orders_per_month": FeatureSpec("activity", "log", "zero"),
    "days_since_last_contact": FeatureSpec("activity", "log", "max"),
    "days_since_last_order": FeatureSpec("activity", "log", "max"),
    "share_product_consultation": FeatureSpec("need", "share", "zero"),
    "share_after_sales": FeatureSpec("need", "share", "zero"),
    "share_potential_demand": FeatureSpec("need", "share", "zero"),
    "tenure_days": FeatureSpec("loyalty", "log", "median"),
    "repeat_purchase": FeatureSpec("loyalty", "scale", "zero"),
    "csat_mean_100": FeatureSpec("loyalty", "scale", "median"),
}

FEATURE_NAMES = {
    "spend": {"zh": "消费金额", "en": "spend"},
    "profit": {"zh": "利润", "en": "profit"},
    "avg_order_value": {"zh": "客单价", "en": "average order value"},
    "contacts_per_month": {"zh": "月均咨询次数", "en": "contacts per month"},
    "orders_per_month": {"zh": "月均订单数", "en": "orders per month"},
    "days_since_last_contact": {"zh": "距上次咨询天数", "en": "days since last contact"},
    "days_since_last_order": {"zh": "距上次下单天数", "en": "days since last order"},
    "share_product_consultation": {"zh": "产品咨询占比", "en": "product-consultation share"},
    "share_after_sales": {"zh": "售后支持占比", "en": "after-sales share"},
    "share_potential_demand": {"zh": "潜在需求占比", "en": "potential-demand share"},
    "tenure_days": {"zh": "客户时长（天）", "en": "tenure (days)"},
    "repeat_purchase": {"zh": "复购", "en": "repeat purchase"},
    "csat_mean_100": {"zh": "满意度（百分制）", "en": "CSAT (0-100)"},
    "size": {"zh": "客户数", "en": "customers"},
    "share": {"zh": "占比", "en": "share"},
}

MESSAGES = Catalog({
    "dimensions_missing": {
        "zh": "数据缺少以下维度，聚类只使用其余维度：{dimensions}。",
        "en": "The data lacks these dimensions, so clustering uses the others only: {dimensions}.",
    },
    "columns_dropped": {
        "zh": "以下特征列缺失、全为空或取值不变，已舍弃：{columns}。",
        "en": "These feature columns are missing, empty or constant and were dropped: {columns}.",
    },
    "no_columns": {
        "zh": "没有可用于聚类的特征列；需要以下列中的至少一列：{expected}，数据中的列为：{found}",
        "en": "no feature column can be clustered; expected at least one of {expected}, found {found}",
    },
})

DIMENSION_NAMES = {
    "value": {"zh": "价值", "en": "value"},
    "activity": {"zh": "活跃度", "en": "activity"},
    "need": {"zh": "需求", "en": "need"},
    "loyalty": {"zh": "忠诚度", "en": "loyalty"},
}


def feature_name(column: str, lang: str = "zh") -> str:
    """Return the display name of a feature column, or the column itself if unknown."""
    return FEATURE_NAMES.get(column, {}).get(lang, column)


def validate_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Return the dimension weights with missing dimensions set to 1.

    Raises
    ------
    ValueError
        If a key is not a dimension or a weight is negative or not a number.
    """
    weights = dict(weights or {})
    unknown = sorted(set(weights) - set(SCORE_DIMENSIONS))
    if unknown:
        raise ValueError(f"unknown dimension(s) {unknown} in weights; allowed: {list(SCORE_DIMENSIONS)}")

    for dimension, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight >= 0:
            raise ValueError(f"weight of {dimension!r} must be a number >= 0, got {weight!r}")

    return {dimension: float(weights.get(dimension, 1.0)) for dimension in SCORE_DIMENSIONS}


def _signed_log1p(values: np.ndarray) -> np.ndarray:
    # Net spend can be negative after refunds; the sign is kept so refunds stay below zero.
    return np.sign(values) * np.log1p(np.abs(values))


def _make_scaler(scaler: str) -> RobustScaler | StandardScaler:
    if scaler not in SCALERS:
        raise ValueError(f"scaler must be one of {SCALERS}, got {scaler!r}")
    return RobustScaler() if scaler == "robust" else StandardScaler()


class FeaturePrep(TransformerMixin, BaseEstimator):
    """Log-transform, scale and weight the customer features for clustering.

    Parameters
    ----------
    scaler : {"standard", "robust"}, default "standard"
        ``standard`` centres on the mean and divides by the standard
        deviation; ``robust`` uses the median and the interquartile range.
        The log transform already tames large customers. The interquartile
        range of a column that separates two groups spans both groups, so
        robust scaling shrinks exactly the columns that carry the structure.
        It suits unimodal columns with outliers.
    weights : mapping of str to float, optional
        Multiplier per dimension (``value``, ``activity``, ``need``,
        ``loyalty``) applied after scaling; a weight of 0 removes the
        dimension from the distances.
    scale_shares : bool, default True
        Scale the issue-type shares too; False passes them unchanged as
        fractions in [0, 1].
    lang : {"zh", "en"}, default "zh"
        Language of :attr:`notes_`.

    Attributes
    ----------
    columns_ : list of str
        Feature columns used, in :data:`FEATURE_SPECS` order.
    dropped_columns_ : list of str
        Known feature columns that were absent, all NaN or constant.
    dimensions_missing_ : list of str
        Dimensions with no usable column.
    notes_ : list of str
        Plain-language notes on what was dropped, in ``lang``.
    fill_values_ : dict of str to float
        NaN replacement per column, learnt in fit.
    scaler_ : RobustScaler or StandardScaler
        Fitted on the log-transformed columns that are scaled.
    """

    def __init__(self, scaler: str = "standard", weights: Mapping[str, float] | None = None,
                 scale_shares: bool = True, lang: str = "zh"):
        self.scaler = scaler
        self.weights = weights
        self.scale_shares = scale_shares
        self.lang = lang

    def fit(self, X: pd.DataFrame, y: object = None) -> FeaturePrep:
        """Choose the usable columns, learn the fill values and fit the scaler.

        Parameters
        ----------
        X : DataFrame of shape (n_customers, n_columns)
            Customer features; ``X.attrs["dimensions_available"]``, when set,
            removes the columns of dimensions the data cannot support.
        y : ignored
        """
        weights = validate_weights(self.weights)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]

        self.columns_, self.dropped_columns_ = self._usable_columns(X)
        self.dimensions_missing_ = [
            dimension for dimension in SCORE_DIMENSIONS
            if not any(FEATURE_SPECS[column].dimension == dimension for column in self.columns_)
        ]
        self.notes_ = self._notes()
        for note in self.notes_:
            logger.info(note)

        self.fill_values_ = {column: self._fill_value(X[column], FEATURE_SPECS[column].fill) for column in self.columns_}
        self.scaled_columns_ = [
            column for column in self.columns_ if self.scale_shares or FEATURE_SPECS[column].transform != "share"
        ]
        self.scaler_ = _make_scaler(self.scaler)
        if self.scaled_columns_:
            self.scaler_.fit(self._logged(X)[self.scaled_columns_].to_numpy())

        self.column_weights_ = np.array([weights[FEATURE_SPECS[c].dimension] for c in self.columns_])
        return self

    def _usable_columns(self, X: pd.DataFrame) -> tuple[list[str], list[str]]:
        available = X.attrs.get("dimensions_available", {})
        usable, dropped = [], []
        for column, spec in FEATURE_SPECS.items():
            unsupported = available.get(spec.dimension) is False
            if column in X.columns and not unsupported and _varies(X[column]):
                usable.append(column)
            else:
                dropped.append(column)

        if not usable:
            raise ValueError(MESSAGES("no_columns", self.lang, expected=list(FEATURE_SPECS), found=list(X.columns)))
        return usable, dropped

    def _notes(self) -> list[str]:
        notes = []
        if self.dimensions_missing_:
            separator = "、" if self.lang == "zh" else ", "
            names = separator.join(DIMENSION_NAMES[d][self.lang] for d in self.dimensions_missing_)
            notes.append(MESSAGES("dimensions_missing", self.lang, dimensions=names))
        if self.dropped_columns_:
            notes.append(MESSAGES("columns_dropped", self.lang, columns=", ".join(self.dropped_columns_)))
        return notes

    @staticmethod
    def _fill_value(values: pd.Series, rule: str) -> float:
        numbers = values.astype("float64")
        if rule == "max":
            return float(numbers.max())
        if rule == "median":
            return float(numbers.median())
        return 0.0

    def _logged(self, X: pd.DataFrame) -> pd.DataFrame:
        """Return the used columns as floats, NaN filled and money and counts log-transformed."""
        frame = pd.DataFrame(index=X.index)
        for column in self.columns_:
            values = X[column].astype("float64").fillna(self.fill_values_[column]).to_numpy()
            if FEATURE_SPECS[column].transform == "log":
                values = _signed_log1p(values)
            frame[column] = values
        return frame

    def scaled_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        """Return the scaled, unweighted features, one column per used feature.

        Deviations in this frame are in scaled units, so they are comparable
        across columns: standard deviations for the standard scaler and
        interquartile ranges for the robust one.
        """
        check_is_fitted(self, "scaler_")
        missing = [column for column in self.columns_ if column not in X.columns]
        if missing:
            raise ValueError(f"columns {missing} were used in fit but are missing; columns found: {list(X.columns)}")

        frame = self._logged(X)
        if self.scaled_columns_:
            frame[self.scaled_columns_] = self.scaler_.transform(frame[self.scaled_columns_].to_numpy())
        return frame

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Return the weighted, scaled features.

        Returns
        -------
        ndarray of shape (n_customers, len(columns_))
        """
        return self.scaled_frame(X).to_numpy() * self.column_weights_

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Return the names of the columns :meth:`transform` outputs."""
        check_is_fitted(self, "columns_")
        return np.asarray(self.columns_, dtype=object)


def _varies(values: pd.Series) -> bool:
    numbers = values.astype("float64").dropna()
    return len(numbers) > 0 and numbers.nunique() > 1
