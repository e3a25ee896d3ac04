"""Clustering models on customer features, always behind the feature preparation.

Conventions that hold in this file:

* :class:`CustomerClustering` takes the raw feature frame and fits
  :class:`~segmentation.clustering_prep.FeaturePrep` itself, so raw money
  never reaches a distance-based model;
* every random choice (k-means seeds, mixture initialisation, the fit sample
  of Ward and HDBSCAN) comes from the one ``random_state`` parameter;
* cluster ids are 0..k-1; HDBSCAN marks noise as -1;
* ``confidence_`` is in [0, 1]: the mixture posterior of the chosen
  component, the relative margin ``(d2 - d1) / d2`` between the nearest and
  second-nearest centroid distance, or HDBSCAN's membership strength.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import HDBSCAN, AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import pairwise_distances_argmin_min
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_is_fitted

from .clustering_prep import FeaturePrep
from .i18n import Catalog

logger = logging.getLogger(__name__)

ALGORITHMS = ("kmeans", "gmm", "ward", "hdbscan")
NOISE = -1

MESSAGES = Catalog({
    "fewer_distinct_points": {
        "zh": "请求 {requested} 个簇，但数据只有 {observed} 个不同的点，按 {observed} 个簇拟合",
        "en": "requested {requested} clusters but the data has only {observed} distinct points; fitting {observed}",
    },
    "fewer_clusters": {
        "zh": "{algorithm} 请求 {requested} 个簇，实际得到 {observed} 个有效簇",
        "en": "{algorithm} was asked for {requested} clusters and found {observed} effective clusters",
    },
    "all_noise": {
        "zh": "HDBSCAN 把全部 {n} 个客户判为噪声，没有找到簇；可减小 min_cluster_size（当前 {size}）",
        "en": "HDBSCAN marked all {n} customers as noise and found no cluster; "
              "try a smaller min_cluster_size (now {size})",
    },
    "fit_sample": {
        "zh": "{algorithm} 在 {sample} 个随机抽样客户上拟合，其余 {rest} 个客户按最近的簇分配",
        "en": "{algorithm} was fitted on a seeded sample of {sample} customers; "
              "the other {rest} were assigned to the nearest cluster",
    },
})


class DegenerateClusteringWarning(UserWarning):
    """The data allows fewer clusters than requested, or none at all."""


def _check_params(algorithm: str, n_clusters: int, n_samples: int) -> None:
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
    if algorithm != "hdbscan" and not 1 <= n_clusters <= n_samples:
        raise ValueError(f"n_clusters must be between 1 and the {n_samples} customers, got {n_clusters}")


def count_distinct_rows(Z: np.ndarray, at_least: int) -> int:
    """Return the number of distinct rows of ``Z``, capped at ``at_least``.

    The first 10,000 rows are checked first, because on large data they
    almost always hold ``at_least`` distinct points already and the full
    scan is skipped.
    """
    head = pd.DataFrame(Z[:10_000]).drop_duplicates()
    if len(head) >= at_least:
        return at_least
    return min(len(pd.DataFrame(Z).drop_duplicates()), at_least)


def centroid_margin(Z: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the nearest centre of each row and the relative margin to the second nearest.

    Returns
    -------
    labels : ndarray of shape (n,)
    margin : ndarray of shape (n,)
        ``(d2 - d1) / d2`` in [0, 1]; 1 when there is a single centre, 0 when
        the row is equally far from two centres.
    """
    distances = euclidean_distances(Z, centers)
    order = np.sort(distances, axis=1)
    labels = distances.argmin(axis=1)
    if centers.shape[0] < 2:
        return labels, np.ones(len(Z))

    nearest, second = order[:, 0], order[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        margin = np.where(second > 0, (second - nearest) / second, 0.0)
    return labels, margin


class CustomerClustering(ClusterMixin, BaseEstimator):
    """Cluster customers on prepared features with one of four algorithms.

    Parameters
    ----------
    algorithm : {"kmeans", "gmm", "ward", "hdbscan"}, default "kmeans"
        k-means (mini-batch above ``minibatch_threshold`` customers), a
        Gaussian mixture, Ward agglomerative clustering, or HDBSCAN.
    n_clusters : int, default 3
        Requested clusters; HDBSCAN ignores it and finds its own number.
    scaler : {"standard", "robust"}, default "standard"
    weights : mapping of str to float, optional
        Dimension weights, see :class:`~segmentation.clustering_prep.FeaturePrep`.
    scale_shares : bool, default True
        Scale the issue-type shares like the other columns.
    random_state : int, default 0
        Seed of every random choice in the fit.
    n_init : int, default 10
        Restarts of k-means and of the mixture's EM.
    minibatch_threshold : int, default 50_000
        Above this many customers, k-means runs as MiniBatchKMeans.
    max_fit_samples : int, default 5_000
        Ward and HDBSCAN fit on a seeded sample of this size when the data is
        larger, because Ward's memory grows with the square of the customers.
        The other customers go to the nearest Ward centroid or to the
        HDBSCAN cluster of the nearest sampled customer.
    min_cluster_size : int, optional
        HDBSCAN's smallest cluster; default 2% of the fitted customers, at least 5.
    covariance_type : str, default "diag"
        Covariance of the mixture components. Customers without orders or
        contacts sit on exact zeros and fill values, and full-covariance
        components collapse onto those point masses. Diagonal ones do not
        collapse, and they fit many times faster.
    lang : {"zh", "en"}, default "zh"
        Language of warnings and notes.

    Attributes
    ----------
    prep_ : FeaturePrep
    estimator_ : fitted scikit-learn estimator
    labels_ : ndarray of shape (n_customers,)
    confidence_ : ndarray of shape (n_customers,)
    cluster_centers_ : ndarray of shape (n_effective_clusters_, n_used_features)
        Mean of each cluster in the prepared space (indexed by cluster id).
    n_effective_clusters_ : int
        Distinct non-noise clusters found.
    notes_ : list of str
        Notes on dropped data, sampling and degenerate results, in ``lang``.
    """

    def __init__(self, algorithm: str = "kmeans", n_clusters: int = 3, scaler: str = "standard",
                 weights: Mapping[str, float] | None = None, scale_shares: bool = True,
                 random_state: int = 0, n_init: int = 10,
                 minibatch_threshold: int = 50_000, max_fit_samples: int = 5_000,
                 min_cluster_size: int | None = None, covariance_type: str = "diag", lang: str = "zh"):
        self.algorithm = algorithm
        self.n_clusters = n_clusters
        self.scaler = scaler
        self.weights = weights
        self.scale_shares = scale_shares
        self.random_state = random_state
        self.n_init = n_init
        self.minibatch_threshold = minibatch_threshold
        self.max_fit_samples = max_fit_samples
        self.min_cluster_size = min_cluster_size
        self.covariance_type = covariance_type
        self.lang = lang

    def fit(self, X: pd.DataFrame, y: object = None) -> CustomerClustering:
        """Prepare the features and fit the clustering.

        Parameters
        ----------
        X : DataFrame of shape (n_customers, n_columns)
            Customer features as built by ``features.build_features``.
        y : ignored
        """
        _check_params(self.algorithm, self.n_clusters, len(X))
        self.prep_ = FeaturePrep(scaler=self.scaler, weights=self.weights, scale_shares=self.scale_shares,
                                 lang=self.lang).fit(X)
        self.notes_ = list(self.prep_.notes_)
        Z = self.prep_.transform(X)
        self.n_features_in_ = X.shape[1]

        k = self._k_fitted = self._feasible_k(Z)
        fit = {"kmeans": self._fit_kmeans, "gmm": self._fit_gmm,
               "ward": self._fit_ward, "hdbscan": self._fit_hdbscan}[self.algorithm]
        self.labels_, self.confidence_ = fit(Z, k)

        self._summarise(Z)
        return self

    def _feasible_k(self, Z: np.ndarray) -> int:
        if self.algorithm == "hdbscan":
            return 0
        distinct = count_distinct_rows(Z, self.n_clusters)
        if distinct < self.n_clusters:
            self._warn("fewer_distinct_points", requested=self.n_clusters, observed=distinct)
        return distinct

    def _fit_kmeans(self, Z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if len(Z) > self.minibatch_threshold:
            self.estimator_ = MiniBatchKMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state,
                                              batch_size=4096)
        else:
            self.estimator_ = KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state)
        with warnings.catch_warnings():
            # Fewer distinct points than clusters was reported above with the counts.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.estimator_.fit(Z)
        return centroid_margin(Z, self.estimator_.cluster_centers_)

    def _fit_gmm(self, Z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        # NOTE: the mixture fits on every customer; its time above 50,000 customers has not been measured.
        self.estimator_ = GaussianMixture(n_components=k, covariance_type=self.covariance_type,
                                          n_init=self.n_init, random_state=self.random_state)
        self.estimator_.fit(Z)
        posterior = self.estimator_.predict_proba(Z)
        return posterior.argmax(axis=1), posterior.max(axis=1)

    def _fit_sample(self, Z: np.ndarray) -> np.ndarray:
        """Return the row positions to fit on: all rows, or a seeded sample of ``max_fit_samples``."""
        if len(Z) <= self.max_fit_samples:
            return np.arange(len(Z))
        rng = np.random.default_rng(self.random_state)
        sample = np.sort(rng.choice(len(Z), size=self.max_fit_samples, replace=False))
        self.notes_.append(MESSAGES("fit_sample", self.lang, algorithm=self.algorithm, sample=len(sample),
                                    rest=len(Z) - len(sample)))
        return sample

    def _fit_ward(self, Z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        sample = self._fit_sample(Z)
        self.estimator_ = AgglomerativeClustering(n_clusters=k, linkage="ward").fit(Z[sample])
        centers = np.vstack([Z[sample][self.estimator_.labels_ == c].mean(axis=0) for c in range(k)])

        labels, margin = centroid_margin(Z, centers)
        labels[sample] = self.estimator_.labels_
        return labels, margin

    def _fit_hdbscan(self, Z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        sample = self._fit_sample(Z)
        size = self.min_cluster_size or max(5, int(round(0.02 * len(sample))))
        self.estimator_ = HDBSCAN(min_cluster_size=size, copy=True).fit(Z[sample])
        self._hdbscan_size = size

        self.neighbours_ = NearestNeighbors(n_neighbors=1).fit(Z[sample])
        nearest = self.neighbours_.kneighbors(Z, return_distance=False)[:, 0]
        return self.estimator_.labels_[nearest], self.estimator_.probabilities_[nearest]

    def _summarise(self, Z: np.ndarray) -> None:
        found = np.unique(self.labels_[self.labels_ != NOISE])
        self.n_effective_clusters_ = len(found)
        self.cluster_centers_ = np.vstack([Z[self.labels_ == c].mean(axis=0) for c in found]) if len(found) else (
            np.empty((0, Z.shape[1])))

        if self.algorithm == "hdbscan" and len(found) == 0:
            self._warn("all_noise", n=len(Z), size=self._hdbscan_size)
        elif self.algorithm != "hdbscan" and len(found) < self._k_fitted:
            self._warn("fewer_clusters", algorithm=self.algorithm, requested=self.n_clusters, observed=len(found))

    def _warn(self, key: str, **fields: object) -> None:
        message = MESSAGES(key, self.lang, **fields)
        self.notes_.append(message)
        warnings.warn(message, DegenerateClusteringWarning, stacklevel=3)

    def transform_features(self, X: pd.DataFrame) -> np.ndarray:
        """Return ``X`` in the prepared space the clusters were fitted in."""
        check_is_fitted(self, "prep_")
        return self.prep_.transform(X)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Assign customers to the fitted clusters.

        k-means and Ward use the nearest centroid, the mixture its most likely
        component, HDBSCAN the cluster of the nearest fitted customer (noise stays -1).
        """
        check_is_fitted(self, "labels_")
        Z = self.prep_.transform(X)
        if self.algorithm == "gmm":
            return self.estimator_.predict(Z)
        if self.algorithm == "hdbscan":
            nearest = self.neighbours_.kneighbors(Z, return_distance=False)[:, 0]
            return self.estimator_.labels_[nearest]
        centers = self.estimator_.cluster_centers_ if self.algorithm == "kmeans" else self.cluster_centers_
        return pairwise_distances_argmin_min(Z, centers)[0]
