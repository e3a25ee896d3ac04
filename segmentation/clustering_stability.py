"""Cluster stability under bootstrap resampling.

Each round draws customers with replacement, refits a clone of the model on
the draw, and compares every reference cluster with its best-matching cluster
of the refit on the distinct customers drawn: the Jaccard similarity
``|C & D| / |C | D|``. A cluster's stability is its mean Jaccard over the
rounds in which it had customers. Conventions:

* the draws and the refit seeds all come from ``random_state``;
* above ``sample_size`` customers, each round draws ``sample_size``
  customers (with replacement) instead of all of them, to bound the cost;
* noise (-1) is never a reference cluster and never a match;
* the verdicts follow the usual reading of bootstrap Jaccard means: below
  0.6 unstable, 0.6 to 0.75 doubtful, 0.75 to 0.85 acceptable, above 0.85
  highly stable.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone

from .clustering_models import NOISE, CustomerClustering, DegenerateClusteringWarning
from .i18n import Catalog

logger = logging.getLogger(__name__)

VERDICTS = Catalog({
    "unstable": {"zh": "不稳定", "en": "unstable"},
    "doubtful": {"zh": "存疑", "en": "doubtful"},
    "acceptable": {"zh": "可接受", "en": "acceptable"},
    "highly_stable": {"zh": "高度稳定", "en": "highly stable"},
    "no_rounds": {"zh": "无有效轮次", "en": "no valid round"},
})


def stability_verdict(mean_jaccard: float) -> str:
    """Return the verdict key of a mean Jaccard similarity.

    The value 0.85 itself is ``acceptable``; ``highly_stable`` starts above it.
    """
    if np.isnan(mean_jaccard):
        return "no_rounds"
    if mean_jaccard < 0.6:
        return "unstable"
    if mean_jaccard < 0.75:
        return "doubtful"
    if mean_jaccard <= 0.85:
        return "acceptable"
    return "highly_stable"


def best_jaccard(reference: np.ndarray, refit: np.ndarray) -> dict[int, float]:
    """Return, for each reference cluster, the highest Jaccard similarity with any refit cluster.

    Both arrays label the same customers; -1 (noise) is ignored on both sides.
    """
    table = pd.crosstab(reference, refit)
    table = table.drop(index=NOISE, columns=NOISE, errors="ignore")
    if table.empty:
        return {}
    if table.shape[1] == 0:
        return {int(cluster): 0.0 for cluster in table.index}

    counts = table.to_numpy()
    reference_sizes = (reference[:, None] == table.index.to_numpy()[None, :]).sum(axis=0)
    refit_sizes = (refit[:, None] == table.columns.to_numpy()[None, :]).sum(axis=0)
    union = reference_sizes[:, None] + refit_sizes[None, :] - counts
    jaccard = counts / union
    return dict(zip(table.index.astype(int), jaccard.max(axis=1)))


def _one_round(model: CustomerClustering, X: pd.DataFrame, reference: np.ndarray,
               rng: np.random.Generator, draw_size: int) -> dict[int, float]:
    # NOTE: repeated draws stack identical customers, which HDBSCAN reads as dense regions,
    # so its stability may come out too high. Drawing without replacement would avoid that.
    drawn = rng.integers(0, len(X), size=draw_size)
    refit = clone(model).set_params(random_state=int(rng.integers(0, 2**31 - 1)))
    with warnings.catch_warnings():
        # A degenerate refit (say, HDBSCAN finding only noise) is scored as a Jaccard of 0, not reported.
        warnings.simplefilter("ignore", DegenerateClusteringWarning)
        refit.fit(X.iloc[drawn])

    # Duplicated draws share one label; compare each distinct customer once.
    distinct, first = np.unique(drawn, return_index=True)
    return best_jaccard(reference[distinct], refit.labels_[first])


def bootstrap_stability(model: CustomerClustering, X: pd.DataFrame, n_boot: int = 20,
                        random_state: int = 0, sample_size: int = 5_000, lang: str = "zh") -> pd.DataFrame:
    """Measure how stable each cluster of a fitted model is under resampling.

    Parameters
    ----------
    model : CustomerClustering
        Fitted on ``X``; its ``labels_`` are the reference clustering.
    X : DataFrame of shape (n_customers, n_columns)
        The features the model was fitted on.
    n_boot : int, default 20
        Resampling rounds.
    random_state : int, default 0
        Seed of the draws and of each refit.
    sample_size : int, default 5_000
        Customers drawn per round when there are more.
    lang : {"zh", "en"}
        Language of the ``verdict_text`` column.

    Returns
    -------
    DataFrame
        One row per reference cluster (index ``cluster``) with ``size``,
        ``mean_jaccard``, ``rounds`` (rounds in which it had customers),
        ``verdict`` (a stable key) and ``verdict_text``.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    reference = np.asarray(model.labels_)
    rng = np.random.default_rng(random_state)
    draw_size = min(len(X), sample_size)

    per_round = [_one_round(model, X, reference, rng, draw_size) for _ in range(n_boot)]
    clusters = np.unique(reference[reference != NOISE])
    rows = []
    for cluster in clusters:
        values = [scores[cluster] for scores in per_round if cluster in scores]
        mean = float(np.mean(values)) if values else np.nan
        verdict = stability_verdict(mean)
        rows.append({"cluster": int(cluster), "size": int((reference == cluster).sum()), "mean_jaccard": mean,
                     "rounds": len(values), "verdict": verdict, "verdict_text": VERDICTS(verdict, lang)})

    logger.info("bootstrap stability over %d rounds of %d customers", n_boot, draw_size)
    columns = ["cluster", "size", "mean_jaccard", "rounds", "verdict", "verdict_text"]
    return pd.DataFrame(rows, columns=columns).set_index("cluster")
