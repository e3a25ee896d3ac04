"""Metrics of a backtest: how well a score ranks customers by what they did next.

Each metric compares one score with the outcomes of a
:class:`~segmentation.backtest.Fold` (see :func:`segmentation.backtest.outcomes`),
and :func:`compare_schemes` evaluates every scoring scheme on every fold.

Conventions that hold for the whole file:

* Capture shares count a customer's negative net spend (refunds of earlier
  orders) as 0, so shares are fractions in [0, 1].
* A metric that is undefined (one class only, constant input, no spend) is
  returned as NaN with a note saying why, not raised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from .backtest import Fold
from .config import Config
from .i18n import Catalog
from .scoring import rfm_score, rule_score

CAPTURE_FRACTIONS = {"top10_capture": 0.10, "top30_capture": 0.30}
METRICS = ("top10_capture", "top30_capture", "retention_auc", "spearman", "upgrade_auc", "csat_spearman")

MESSAGES = Catalog({
    "no_spend": {"zh": "结果期内没有正的消费额", "en": "no positive spend in the outcome period"},
    "one_class": {"zh": "结果只有一类（{value}），AUC 无定义", "en": "one class only ({value}), so AUC is undefined"},
    "constant": {"zh": "得分或结果为常数，相关系数无定义", "en": "the score or the outcome is constant"},
    "too_few": {"zh": "只有 {count} 个客户有结果", "en": "only {count} customer(s) have this outcome"},
})


def capture_curve(score: np.ndarray, spend: np.ndarray, fractions: Sequence[float]) -> np.ndarray:
    """Return the share of total spend held by the top ``fraction`` of customers by score.

    Customers tied on score share the slots at a boundary in proportion, so
    the result does not depend on row order.

    Parameters
    ----------
    score, spend : array of float, shape (n,)
    fractions : sequence of float in [0, 1]

    Returns
    -------
    array of float, shape (len(fractions),)
        Shares in [0, 1]; NaN when no customer has positive spend.
    """
    score = np.asarray(score, dtype="float64")
    spend = np.clip(np.asarray(spend, dtype="float64"), 0.0, None)
    total = spend.sum()
    if total <= 0:
        return np.full(len(fractions), np.nan)

    # Any order within a tie block gives the same group sums, so the sort need not be stable.
    order = np.argsort(-score)
    ranked_score, ranked_spend = score[order], spend[order]
    group_ends = np.flatnonzero(np.r_[ranked_score[1:] != ranked_score[:-1], True]) + 1
    cumulative = np.cumsum(ranked_spend)[group_ends - 1]

    positions = np.asarray(fractions, dtype="float64") * len(score)
    return np.interp(positions, np.r_[0, group_ends], np.r_[0.0, cumulative]) / total


def evaluate_score(score: pd.Series, result: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Judge one score against the outcomes of the same customers.

    Returns
    -------
    DataFrame indexed by :data:`METRICS`
        Columns ``value`` (float; NaN when undefined) and ``note`` (why it is
        undefined, else empty).
    """
    score = score.reindex(result.index).astype("float64")
    rows = {}
    captures = capture_curve(score.to_numpy(), result["next_spend"].to_numpy(), list(CAPTURE_FRACTIONS.values()))
    for name, value in zip(CAPTURE_FRACTIONS, captures):
        rows[name] = (value, MESSAGES("no_spend", lang) if np.isnan(value) else "")
    rows["retention_auc"] = _auc(score, result["retained"].astype("float64"), lang)
    rows["spearman"] = _spearman(score, result["next_spend"], lang)
    rows["upgrade_auc"] = _auc(score, result["upgraded"], lang)
    rows["csat_spearman"] = _spearman(score, result["next_csat"], lang)
    return pd.DataFrame.from_dict(rows, orient="index", columns=["value", "note"]).rename_axis("metric")


def _auc(score: pd.Series, outcome: pd.Series, lang: str) -> tuple[float, str]:
    known = outcome.notna() & score.notna()
    classes = outcome[known].unique()
    if len(classes) < 2:
        value = "-" if len(classes) == 0 else bool(classes[0])
        return np.nan, MESSAGES("one_class", lang, value=value)
    return float(roc_auc_score(outcome[known].astype(bool), score[known])), ""


def _spearman(score: pd.Series, outcome: pd.Series, lang: str) -> tuple[float, str]:
    known = outcome.notna()
    if known.sum() < 3:
        return np.nan, MESSAGES("too_few", lang, count=int(known.sum()))
    if score[known].nunique() < 2 or outcome[known].nunique() < 2:
        return np.nan, MESSAGES("constant", lang)
    return float(spearmanr(score[known], outcome[known]).statistic), ""


def scheme_scores(fold: Fold, config: Config, weight_sets: Mapping[str, Mapping[str, float]]) -> dict[str, pd.Series]:
    """Return the scores of the rule table, RFM and each named weight set for one fold."""
    scores = {"rule_table": rule_score(fold.labels, config), "rfm": rfm_score(fold.features)}
    for name, weights in weight_sets.items():
        scores[name] = fold.scores.composite(weights)
    return scores


def compare_schemes(folds: Sequence[Fold], config: Config, weight_sets: Mapping[str, Mapping[str, float]],
                    lang: str = "zh") -> pd.DataFrame:
    """Evaluate every scheme on every fold.

    Returns
    -------
    DataFrame
        Long format: ``cutoff`` (date), ``scheme``, ``metric``, ``value``, ``note``.
    """
    rows = []
    for fold in folds:
        for scheme, score in scheme_scores(fold, config, weight_sets).items():
            table = evaluate_score(score, fold.outcomes, lang).reset_index()
            table.insert(0, "scheme", scheme)
            table.insert(0, "cutoff", fold.cutoff.date())
            rows.append(table)
    return pd.concat(rows, ignore_index=True)


def summarize_schemes(long: pd.DataFrame, metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Return the mean, min and max of each metric per scheme over the cut-offs.

    Returns
    -------
    DataFrame
        Index ``scheme`` in first-seen order; columns ``(metric, stat)`` with
        stat in ``mean``, ``min``, ``max``.
    """
    picked = long[long["metric"].isin(metrics)]
    table = picked.pivot_table(index="scheme", columns="metric", values="value", aggfunc=["mean", "min", "max"],
                               dropna=False, sort=False)
    table = table.swaplevel(axis=1)
    columns = pd.MultiIndex.from_product([list(metrics), ["mean", "min", "max"]], names=["metric", "stat"])
    return table.reindex(columns=columns).reindex(list(dict.fromkeys(picked["scheme"])))
