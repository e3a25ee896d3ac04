"""One weight-tuning run: backtest folds, weight search and baseline comparison in one call.

:func:`run_tuning` builds the rolling-origin folds, searches the weights
with :func:`~segmentation.tuning.search_weights` and evaluates the tuned
weights beside the rule table, RFM, equal and configured weights on the same
folds. :func:`label_changes` lists the customers whose score tier a new
weight set would change.

Conventions that hold for the whole file:

* a weight set maps dimension names from
  :data:`~segmentation.config.SCORE_DIMENSIONS` to weights that sum to 1,
  and a missing dimension has weight 0;
* the configured weights (``config.weights``) are the baseline that label
  changes are counted against.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from .backtest import DEFAULT_HORIZON, Fold, build_fold, default_cutoffs, features_at
from .backtest_metrics import compare_schemes
from .classification import default_as_of
from .config import SCORE_DIMENSIONS, VALUE_TIERS, Config
from .schema import Tables
from .scoring import DimensionScores, dimension_scores, tier_codes
from .tuning import SearchResult, check_objective, search_weights


@dataclass(frozen=True)
class TuningResult:
    """Everything a weight-tuning run found, for reports and the interactive panel.

    Attributes
    ----------
    folds : tuple of Fold
        The backtest cut-offs, oldest first.
    current : DimensionScores
        Dimension scores at the end of the data, the customers a new weight set would relabel.
    search : SearchResult
    weight_sets : dict
        ``equal_weights``, ``configured`` and ``tuned`` weights, each a mapping over the four dimensions.
    schemes : DataFrame
        Every scheme's metrics per cut-off (see :func:`~segmentation.backtest_metrics.compare_schemes`).
    notes : tuple of str
        Warnings raised while building the folds, each once.
    horizon : str
    shares : dict
        Score-tier shares.
    config : Config
        The configuration the run used.
    """

    folds: tuple[Fold, ...]
    current: DimensionScores
    search: SearchResult
    weight_sets: dict[str, dict[str, float]]
    schemes: pd.DataFrame
    notes: tuple[str, ...]
    horizon: str
    shares: dict[str, float]
    config: Config


def run_tuning(tables: Tables, config: Config, *, cutoffs: Sequence[pd.Timestamp] = (), horizon: str = DEFAULT_HORIZON,
               objective: str = "top10_capture", step: float = 0.1, n_boot: int = 100, seed: int = 42,
               lang: str = "zh") -> TuningResult:
    """Backtest, search and compare weights on ``tables`` in one call.

    Parameters
    ----------
    tables : Tables
    config : Config
        Its weights are the reference for label change and the ``configured`` baseline.
    cutoffs : sequence of Timestamp, optional
        Empty means the last three quarter ends that leave a full horizon.
    horizon, objective, step, n_boot, seed
        See :func:`~segmentation.tuning.search_weights` and :func:`~segmentation.backtest.outcomes`.
    lang : {"zh", "en"}
        Language of notes and metric notes.
    """
    check_objective(objective)
    cutoffs = list(cutoffs) or default_cutoffs(tables, horizon, timezone=config.timezone, lang=lang)
    folds = tuple(build_fold(tables, cutoff, horizon, config, lang) for cutoff in cutoffs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        as_of = default_as_of(tables, config.timezone, lang)
        current = dimension_scores(features_at(tables, as_of, config, lang), config)

    search = search_weights(folds, current.matrix, config.weights, config.value.shares, current.available,
                            objective=objective, step=step, n_boot=n_boot, seed=seed)
    equal = {dim: (1 / len(current.available) if dim in current.available else 0.0) for dim in SCORE_DIMENSIONS}
    weight_sets = {"equal_weights": equal, "configured": dict(config.weights), "tuned": search.recommended}
    schemes = compare_schemes(folds, config, weight_sets, lang)
    notes = tuple(dict.fromkeys(note for fold in folds for note in fold.notes))
    return TuningResult(folds=folds, current=current, search=search, weight_sets=weight_sets, schemes=schemes,
                        notes=notes, horizon=horizon, shares=dict(config.value.shares), config=config)


def label_changes(result: TuningResult, weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """List the current customers whose score tier would change from the configured weights to ``weights``.

    ``weights`` defaults to the recommended ones. Only ids, scores and tier
    keys are returned, never names or contact details.

    Returns
    -------
    DataFrame
        Columns ``customer_id``, ``score_configured``, ``score_new``,
        ``tier_configured``, ``tier_new``; sorted by customer_id.
    """
    weights = result.search.recommended if weights is None else weights
    before = result.current.composite(result.weight_sets["configured"])
    after = result.current.composite(weights)
    tiers = list(VALUE_TIERS)
    tier_before = tier_codes(before.to_numpy(), result.shares)
    tier_after = tier_codes(after.to_numpy(), result.shares)
    changed = tier_before != tier_after
    return pd.DataFrame({
        "customer_id": before.index[changed].astype("str"),
        "score_configured": before.to_numpy()[changed],
        "score_new": after.to_numpy()[changed],
        "tier_configured": [tiers[code] for code in tier_before[changed]],
        "tier_new": [tiers[code] for code in tier_after[changed]],
    }).sort_values("customer_id", ignore_index=True)
