"""Search for dimension weights that best predict what customers did next.

:mod:`segmentation.tuning_run` contains the one-call run (folds, search and
baseline comparison) and the list of customers whose tier a new weight set
changes.

Conventions that hold for the whole file:

* a weight matrix has shape (k, 4), one weight vector a row, columns in
  :data:`~segmentation.config.SCORE_DIMENSIONS` order, each row summing to 1;
  dimensions the data cannot support get weight 0;
* a fold's composite scores for k weight vectors are one matrix product,
  ``fold.scores.matrix @ weights.T`` of shape (n, k), so a grid costs one
  product plus one ranking per column;
* objectives are "higher is better" and are averaged over the folds
  (rolling origin);
* label change is the share of current customers whose score tier differs
  from their tier under the configured weights;
* every random draw comes from one ``numpy.random.Generator`` seeded by the
  caller.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.stats import rankdata

from .backtest import Fold
from .backtest_metrics import CAPTURE_FRACTIONS
from .config import SCORE_DIMENSIONS, parse_window
from .errors import ConfigError, ParameterError
from .scoring import tier_codes, weight_vector

logger = logging.getLogger(__name__)

OBJECTIVES = ("top10_capture", "top30_capture", "spearman", "retention_auc")
REFINE_DIVISIONS = 4
BOOTSTRAP_CANDIDATES = 30


def _grid_parts(step: float) -> int:
    parts = round(1 / step) if 0 < step <= 1 else 0
    if parts < 1 or abs(parts * step - 1) > 1e-9:
        raise ParameterError(f"grid_step must divide 1 evenly (e.g. 0.1, 0.05, 0.25), got {step!r}")
    return parts


def simplex_grid(dimensions: int, step: float) -> np.ndarray:
    """Return every weight vector on the simplex whose entries are multiples of ``step``.

    Parameters
    ----------
    dimensions : int
        Number of weights, at least 1.
    step : float
        Grid spacing; ``1 / step`` must be a whole number.

    Returns
    -------
    array of float, shape (comb(1/step + dimensions - 1, dimensions - 1), dimensions)
        66 rows for 3 dimensions at step 0.1, 286 for 4; the vertices are included.
    """
    if dimensions < 1:
        raise ParameterError(f"a weight grid needs at least 1 dimension, got {dimensions}")
    parts = _grid_parts(step)
    rows = []
    # Stars and bars: dimensions - 1 bar positions among parts + dimensions - 1 slots.
    for bars in itertools.combinations(range(parts + dimensions - 1), dimensions - 1):
        edges = (-1, *bars, parts + dimensions - 1)
        rows.append([edges[i + 1] - edges[i] - 1 for i in range(dimensions)])
    return np.array(rows, dtype="float64") / parts


def refine_grid(center: np.ndarray, step: float, divisions: int = REFINE_DIVISIONS) -> np.ndarray:
    """Return the finer simplex points within ``step`` of ``center`` in every coordinate.

    The finer spacing is ``step / divisions``; ``center`` must lie on that finer grid.

    Returns
    -------
    array of float, shape (m, len(center))
        At most ``(2 * divisions + 1) ** (len(center) - 1)`` rows, ``center`` included.
    """
    parts = _grid_parts(step) * divisions
    units = np.rint(np.asarray(center, dtype="float64") * parts).astype(int)
    offsets = itertools.product(range(-divisions, divisions + 1), repeat=len(units) - 1)
    rows = []
    for offset in offsets:
        head = units[:-1] + np.array(offset, dtype=int)
        last = parts - head.sum()
        if (head >= 0).all() and last >= 0 and abs(last - units[-1]) <= divisions:
            rows.append([*head, last])
    return np.array(rows, dtype="float64") / parts


def embed(weights: np.ndarray, dimensions: Sequence[str]) -> np.ndarray:
    """Place weights over ``dimensions`` into full (k, 4) rows, zero elsewhere."""
    full = np.zeros((len(weights), len(SCORE_DIMENSIONS)))
    for column, dim in enumerate(dimensions):
        full[:, SCORE_DIMENSIONS.index(dim)] = weights[:, column]
    return full


def check_objective(objective: str) -> str:
    """Return ``objective`` if it is a known objective, else raise ``ParameterError``."""
    if objective not in OBJECTIVES:
        raise ParameterError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    return objective


def check_parameters(objective: str, step: float, horizon: str) -> None:
    """Validate a tuning run's objective, grid step and horizon before any data is read.

    Raises
    ------
    ParameterError
        Naming the first invalid value and what is allowed.
    """
    check_objective(objective)
    _grid_parts(step)
    try:
        parse_window(horizon)
    except ConfigError as error:
        raise ParameterError({lang: f"horizon: {error.text(lang)}" for lang in ("zh", "en")}) from None


def objective_values(scores: np.ndarray, outcomes: pd.DataFrame, objective: str) -> np.ndarray:
    """Evaluate ``objective`` for every column of a score matrix.

    Parameters
    ----------
    scores : array of float, shape (n, k)
    outcomes : DataFrame, n rows
        ``next_spend`` and ``retained`` as from :func:`segmentation.backtest.outcomes`.
    objective : str
        One of :data:`OBJECTIVES`.

    Returns
    -------
    array of float, shape (k,)
        Equal to :func:`segmentation.backtest_metrics.evaluate_score` column by
        column; NaN where that metric is undefined.
    """
    check_objective(objective)
    spend = outcomes["next_spend"].to_numpy(dtype="float64")
    if objective in CAPTURE_FRACTIONS:
        return _capture_columns(scores, spend, CAPTURE_FRACTIONS[objective])
    ranks = rankdata(scores, axis=0)
    if objective == "spearman":
        return _pearson_columns(ranks, rankdata(spend))
    return _auc_columns(ranks, outcomes["retained"].to_numpy(dtype=bool))


def _capture_columns(scores: np.ndarray, spend: np.ndarray, fraction: float) -> np.ndarray:
    """Column-wise :func:`~segmentation.backtest_metrics.capture_curve` at one fraction, without sorting.

    The customer at position ``ceil(fraction * n)`` from the top sets a
    threshold. Customers above it count fully, and the tie block at it counts
    in proportion to the slots left, exactly as the interpolated curve does.
    """
    spend = np.clip(spend, 0.0, None)
    total = spend.sum()
    n = len(spend)
    slots = fraction * n
    if total <= 0 or n == 0:
        return np.full(scores.shape[1], np.nan)
    if slots <= 0:
        return np.zeros(scores.shape[1])

    kth = n - int(np.ceil(slots - 1e-9))
    threshold = np.partition(scores, kth, axis=0)[kth]
    above, tied = scores > threshold, scores == threshold
    tie_fraction = (slots - above.sum(axis=0)) / tied.sum(axis=0)
    return (spend @ above + tie_fraction * (spend @ tied)) / total


def _pearson_columns(ranks: np.ndarray, target: np.ndarray) -> np.ndarray:
    centred = ranks - ranks.mean(axis=0)
    target = target - target.mean()
    denominator = np.sqrt((centred**2).sum(axis=0) * (target**2).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, centred.T @ target / denominator, np.nan)


def _auc_columns(ranks: np.ndarray, positive: np.ndarray) -> np.ndarray:
    # Mann-Whitney U over average ranks equals ROC AUC with ties counted as half.
    n_pos, n_neg = positive.sum(), (~positive).sum()
    if n_pos == 0 or n_neg == 0:
        return np.full(ranks.shape[1], np.nan)
    rank_sum = ranks[positive].sum(axis=0)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def evaluate_grid(folds: Sequence[Fold], weights: np.ndarray, objective: str) -> np.ndarray:
    """Return the objective of each weight row on each fold, shape (len(folds), k)."""
    return np.vstack([objective_values(fold.scores.matrix @ weights.T, fold.outcomes, objective)
                      for fold in folds])


def label_change_share(matrix: np.ndarray, weights: np.ndarray, reference: np.ndarray,
                       shares: Mapping[str, float]) -> np.ndarray:
    """Return, per weight row, the share of customers whose score tier differs from the reference.

    Parameters
    ----------
    matrix : array of float, shape (n, 4)
        Current dimension scores.
    weights : array of float, shape (k, 4)
    reference : array of float, shape (4,)
        Weights in force (the configured ones).
    shares : mapping
        Tier shares, e.g. ``config.value.shares``.

    Returns
    -------
    array of float in [0, 1], shape (k,)
    """
    before = tier_codes(matrix @ reference, shares)
    return np.array([(tier_codes(matrix @ row, shares) != before).mean() for row in weights])


def pareto_front(power: np.ndarray, change: np.ndarray) -> np.ndarray:
    """Mark the points that no other point beats on both power (higher) and label change (lower).

    Returns
    -------
    array of bool, shape (k,)
        NaN power counts as the worst value.
    """
    power = np.where(np.isnan(power), -np.inf, power)
    at_least = (power[None, :] >= power[:, None]) & (change[None, :] <= change[:, None])
    strictly = (power[None, :] > power[:, None]) | (change[None, :] < change[:, None])
    return ~(at_least & strictly).any(axis=1)


def best_index(power: np.ndarray, change: np.ndarray) -> int:
    """Return the row with the highest power; ties go to the smaller label change, then the first row."""
    power = np.where(np.isnan(power), -np.inf, power)
    tied = np.flatnonzero(power >= power.max() - 1e-12)
    return int(tied[np.argmin(change[tied])])


def bootstrap_weights(folds: Sequence[Fold], candidates: np.ndarray, objective: str, n_boot: int,
                      seed: int) -> np.ndarray:
    """Re-pick the best candidate on customers resampled with replacement, ``n_boot`` times.

    Each replicate draws the customers of every fold anew from one generator
    seeded with ``seed``.

    Returns
    -------
    array of float, shape (n_boot, 4)
        The winning weight row of each replicate.
    """
    rng = np.random.default_rng(seed)
    winners = np.empty((n_boot, candidates.shape[1]))
    for replicate in range(n_boot):
        total = np.zeros(len(candidates))
        for fold in folds:
            rows = rng.integers(0, len(fold.outcomes), len(fold.outcomes))
            scores = fold.scores.matrix[rows] @ candidates.T
            total += objective_values(scores, fold.outcomes.iloc[rows], objective)
        winners[replicate] = candidates[int(np.argmax(np.where(np.isnan(total), -np.inf, total)))]
    return winners


def weight_intervals(recommended: np.ndarray, samples: np.ndarray, level: float = 0.95) -> pd.DataFrame:
    """Return the recommended weights with percentile bootstrap intervals.

    Returns
    -------
    DataFrame indexed by dimension
        Columns ``weight``, ``low``, ``high`` (fractions).
    """
    tail = (1 - level) / 2 * 100
    return pd.DataFrame({
        "weight": recommended,
        "low": np.percentile(samples, tail, axis=0),
        "high": np.percentile(samples, 100 - tail, axis=0),
    }, index=pd.Index(list(SCORE_DIMENSIONS), name="dimension"))


@dataclass(frozen=True)
class SearchResult:
    """Outcome of a weight search.

    Attributes
    ----------
    grid : DataFrame, one row per weight vector evaluated
        Weight columns, ``stage`` (``grid`` or ``refine``), ``objective_mean``,
        ``objective_min``, ``objective_max``, ``label_change`` and ``pareto``.
    recommended : dict of str to float
    intervals : DataFrame
        See :func:`weight_intervals`.
    objective : str
    step : float
        Spacing of the coarse grid.
    n_boot, seed : int
        Bootstrap replicates and their seed.
    """

    grid: pd.DataFrame
    recommended: dict[str, float]
    intervals: pd.DataFrame
    objective: str
    step: float
    n_boot: int
    seed: int


def search_weights(folds: Sequence[Fold], current: np.ndarray, reference: Mapping[str, float],
                   shares: Mapping[str, float], dimensions: Sequence[str], *, objective: str = "top10_capture",
                   step: float = 0.1, n_boot: int = 100, seed: int = 42) -> SearchResult:
    """Search the weight simplex over ``dimensions``, refine near the best point, and bootstrap it.

    Parameters
    ----------
    folds : sequence of Fold
        Backtest cut-offs; the objective is their mean.
    current : array of float, shape (n, 4)
        Dimension scores now, for the label-change share.
    reference : mapping
        Weights in force, the baseline of label change.
    shares : mapping
        Score-tier shares.
    dimensions : sequence of str
        Dimensions to weight; the others get 0.
    objective, step, n_boot, seed
        Objective name, grid spacing, bootstrap replicates and their seed.
    """
    check_objective(objective)
    coarse = embed(simplex_grid(len(dimensions), step), dimensions)
    table = _score_points(folds, coarse, "grid", current, reference, shares, objective)
    start = table.iloc[best_index(table["objective_mean"].to_numpy(), table["label_change"].to_numpy())]
    center = start[list(dimensions)].to_numpy(dtype="float64")

    fine = embed(refine_grid(center, step), dimensions)
    table = pd.concat([table, _score_points(folds, fine, "refine", current, reference, shares, objective)])
    table = table.drop_duplicates(subset=list(SCORE_DIMENSIONS), keep="first").reset_index(drop=True)
    table["pareto"] = pareto_front(table["objective_mean"].to_numpy(), table["label_change"].to_numpy())
    best = best_index(table["objective_mean"].to_numpy(), table["label_change"].to_numpy())
    recommended = table.loc[best, list(SCORE_DIMENSIONS)].to_numpy(dtype="float64")

    # NOTE: resamples re-pick only among the best BOOTSTRAP_CANDIDATES weight vectors of the full sample,
    # so the intervals assume that no vector outside that set would win a resample.
    candidates = table.nlargest(BOOTSTRAP_CANDIDATES, "objective_mean")[list(SCORE_DIMENSIONS)].to_numpy()
    samples = bootstrap_weights(folds, candidates, objective, n_boot, seed)
    logger.info("searched %d weight vectors; best %s = %.4f", len(table), objective,
                table.loc[best, "objective_mean"])
    return SearchResult(grid=table, recommended=dict(zip(SCORE_DIMENSIONS, recommended.round(6).tolist())),
                        intervals=weight_intervals(recommended, samples), objective=objective, step=step,
                        n_boot=n_boot, seed=seed)


def _score_points(folds: Sequence[Fold], weights: np.ndarray, stage: str, current: np.ndarray,
                  reference: Mapping[str, float], shares: Mapping[str, float], objective: str) -> pd.DataFrame:
    values = evaluate_grid(folds, weights, objective)
    table = pd.DataFrame(weights.round(10), columns=list(SCORE_DIMENSIONS))
    table["stage"] = stage
    table["objective_mean"] = values.mean(axis=0)
    table["objective_min"] = values.min(axis=0)
    table["objective_max"] = values.max(axis=0)
    table["label_change"] = label_change_share(current, weights, weight_vector(reference), shares)
    return table


def weights_fragment(weights: Mapping[str, float], decimals: int = 4) -> dict:
    """Return ``{"scoring": {"weights": {...}}}`` rounded so the weights still sum to 1 exactly."""
    vector = weight_vector(weights).round(decimals)
    vector[int(np.argmax(vector))] += round(1 - vector.sum(), decimals)
    return {"scoring": {"weights": {dim: round(float(w), decimals) for dim, w in zip(SCORE_DIMENSIONS, vector)}}}


def weights_yaml(weights: Mapping[str, float], comment: str = "") -> str:
    """Return the weights as a YAML config fragment that ``load_config(path)`` accepts."""
    header = "".join(f"# {line}\n" for line in comment.splitlines())
    return header + yaml.safe_dump(weights_fragment(weights), sort_keys=False, allow_unicode=True)


def write_weights_yaml(weights: Mapping[str, float], path: str | Path, comment: str = "") -> Path:
    """Write the weights fragment to ``path`` (UTF-8), creating parent folders, and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(weights_yaml(weights, comment), encoding="utf-8")
    logger.info("wrote tuned weights to %s", path)
    return path
