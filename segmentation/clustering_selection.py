"""Choosing the number of clusters from internal quality scores.

Conventions that hold in this file:

* scores are computed in the prepared feature space the model was fitted in;
* silhouette (higher is better, in [-1, 1]) runs on a seeded sample of
  ``sample_size`` customers when there are more, because it costs
  O(n^2); Calinski-Harabasz (higher is better) and Davies-Bouldin (lower is
  better) use every customer;
* BIC (lower is better) is reported for Gaussian mixtures only;
* HDBSCAN noise (-1) is left out of the scores, and the noise share is given;
* a score that is undefined (one cluster, all noise) is NaN, and the
  ``reason`` column gives the cause.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from .clustering_models import NOISE, CustomerClustering
from .i18n import Catalog

logger = logging.getLogger(__name__)

MESSAGES = Catalog({
    "one_cluster": {
        "zh": "只有 {n} 个有效簇，轮廓系数等指标至少需要 2 个簇",
        "en": "only {n} effective cluster(s); silhouette and the other scores need at least 2",
    },
    "every_point_own_cluster": {
        "zh": "每个客户自成一簇，指标没有意义",
        "en": "every customer is its own cluster, so the scores are undefined",
    },
    "no_scores": {
        "zh": "k = {k_values} 的轮廓系数均无定义，取最小的 k = {k}",
        "en": "silhouette is undefined for every k in {k_values}; using the smallest, k = {k}",
    },
})


@dataclass(frozen=True)
class InternalScores:
    """Internal quality of one clustering.

    Attributes
    ----------
    n_effective : int
        Distinct non-noise clusters.
    silhouette, calinski_harabasz, davies_bouldin : float
        NaN when undefined, with ``reason`` saying why.
    noise_share : float
        Share of customers marked noise, in [0, 1].
    reason : str
        Empty when every score is defined.
    """

    n_effective: int
    silhouette: float
    calinski_harabasz: float
    davies_bouldin: float
    noise_share: float
    reason: str


def internal_scores(Z: np.ndarray, labels: np.ndarray, sample_size: int = 20_000, random_state: int = 0,
                    lang: str = "zh") -> InternalScores:
    """Score a clustering by silhouette, Calinski-Harabasz and Davies-Bouldin.

    Parameters
    ----------
    Z : ndarray of shape (n, p)
        Prepared features.
    labels : ndarray of shape (n,)
        Cluster ids; -1 is noise and is left out.
    sample_size : int, default 20_000
        Silhouette runs on a seeded sample of this many customers when there are more.
    random_state : int, default 0
        Seed of the silhouette sample.
    lang : {"zh", "en"}
        Language of ``reason``.
    """
    labels = np.asarray(labels)
    clustered = labels != NOISE
    noise_share = float(1 - clustered.mean()) if len(labels) else 0.0
    Z, labels = Z[clustered], labels[clustered]
    n_effective = len(np.unique(labels))

    reason = ""
    if n_effective < 2:
        reason = MESSAGES("one_cluster", lang, n=n_effective)
    elif n_effective >= len(labels):
        reason = MESSAGES("every_point_own_cluster", lang)
    if reason:
        return InternalScores(n_effective, np.nan, np.nan, np.nan, noise_share, reason)

    sample = sample_size if len(labels) > sample_size else None
    silhouette = silhouette_score(Z, labels, sample_size=sample, random_state=random_state)
    return InternalScores(
        n_effective=n_effective,
        silhouette=float(silhouette),
        calinski_harabasz=float(calinski_harabasz_score(Z, labels)),
        davies_bouldin=float(davies_bouldin_score(Z, labels)),
        noise_share=noise_share,
        reason="",
    )


def score_model(model: CustomerClustering, X: pd.DataFrame, sample_size: int = 20_000) -> dict[str, object]:
    """Return one row of scores for a fitted model: k, effective clusters, the scores, BIC, reason."""
    Z = model.transform_features(X)
    scores = internal_scores(Z, model.labels_, sample_size=sample_size, random_state=model.random_state,
                             lang=model.lang)
    bic = model.estimator_.bic(Z) if model.algorithm == "gmm" else np.nan
    requested = model.n_clusters if model.algorithm != "hdbscan" else scores.n_effective
    fit_notes = [note for note in model.notes_ if note not in model.prep_.notes_]
    return {
        "algorithm": model.algorithm,
        "k": requested,
        "n_effective": scores.n_effective,
        "silhouette": scores.silhouette,
        "calinski_harabasz": scores.calinski_harabasz,
        "davies_bouldin": scores.davies_bouldin,
        "bic": float(bic),
        "noise_share": scores.noise_share,
        "reason": " ".join([scores.reason, *fit_notes]).strip(),
    }


def evaluate_k(X: pd.DataFrame, algorithm: str, k_values: Iterable[int], *, sample_size: int = 20_000,
               random_state: int = 0, **model_params: object) -> pd.DataFrame:
    """Fit one model per k and score each.

    Parameters
    ----------
    X : DataFrame of shape (n_customers, n_columns)
        Customer features.
    algorithm : {"kmeans", "gmm", "ward"}
        HDBSCAN chooses its own number of clusters; score it with :func:`score_model`.
    k_values : iterable of int
    sample_size : int, default 20_000
        Silhouette sample size.
    random_state : int, default 0
        Seed of every model and of the silhouette sample.
    **model_params
        Further :class:`~segmentation.clustering_models.CustomerClustering` parameters.

    Returns
    -------
    DataFrame
        One row per k with columns ``algorithm, k, n_effective, silhouette,
        calinski_harabasz, davies_bouldin, bic, noise_share, reason``.
    """
    if algorithm == "hdbscan":
        raise ValueError("HDBSCAN chooses its own number of clusters; score one fit with score_model")

    rows = []
    for k in k_values:
        model = CustomerClustering(algorithm=algorithm, n_clusters=k, random_state=random_state, **model_params)
        rows.append(score_model(model.fit(X), X, sample_size=sample_size))
    return pd.DataFrame(rows)


def choose_k(scores: pd.DataFrame, tolerance: float = 0.01, lang: str = "zh") -> int:
    """Return the largest k whose silhouette is within ``tolerance`` of the best.

    A silhouette difference of a hundredth is no real preference, and for
    the comparison with rule labels a finer clustering costs little (extra
    clusters are matched to their majority label) while a coarser one hides
    groups. When silhouette is undefined for every k, the smallest k is
    returned and the reason is logged.

    Parameters
    ----------
    scores : DataFrame
        Rows of :func:`evaluate_k` for one algorithm.
    tolerance : float, default 0.01
        Silhouette distance from the best that still counts as equally good.
    lang : {"zh", "en"}
        Language of the logged reason.
    """
    defined = scores.dropna(subset=["silhouette"])
    if defined.empty:
        k = int(scores["k"].min())
        logger.warning(MESSAGES("no_scores", lang, k_values=list(scores["k"]), k=k))
        return k
    near_best = defined[defined["silhouette"] >= defined["silhouette"].max() - tolerance]
    return int(near_best["k"].max())

