"""Tests of the clustering models and their degenerate cases."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import Pipeline

from segmentation.clustering_models import (
    CustomerClustering,
    DegenerateClusteringWarning,
    centroid_margin,
    count_distinct_rows,
)

ALGORITHMS = ["kmeans", "gmm", "ward", "hdbscan"]


def _blobs(per_group: int = 40, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Three groups of customers: small rare buyers, mid regulars, large frequent contacts."""
    rng = np.random.default_rng(seed)
    group = np.repeat([0, 1, 2], per_group)
    spend = np.array([100.0, 2000.0, 40000.0])[group] * rng.lognormal(0, 0.1, group.size)
    contacts = np.array([0.2, 1.5, 6.0])[group] * rng.lognormal(0, 0.1, group.size)
    index = pd.Index([f"C{i:04d}" for i in range(group.size)], name="customer_id")
    return pd.DataFrame({"spend": spend, "contacts_per_month": contacts}, index=index), group


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_separated_groups_are_recovered(algorithm):
    X, group = _blobs()

    model = CustomerClustering(algorithm=algorithm, n_clusters=3, random_state=0, min_cluster_size=10).fit(X)

    assert adjusted_rand_score(group, model.labels_) == pytest.approx(1.0)
    assert model.n_effective_clusters_ == 3
    assert model.cluster_centers_.shape == (3, 2)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_confidence_is_a_fraction(algorithm):
    X, _ = _blobs()

    model = CustomerClustering(algorithm=algorithm, n_clusters=3, random_state=0, min_cluster_size=10).fit(X)

    assert model.confidence_.shape == (len(X),)
    assert model.confidence_.min() >= 0.0
    assert model.confidence_.max() <= 1.0


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_predict_on_training_data_gives_fitted_labels(algorithm):
    X, _ = _blobs()
    model = CustomerClustering(algorithm=algorithm, n_clusters=3, random_state=0, min_cluster_size=10).fit(X)

    np.testing.assert_array_equal(model.predict(X), model.labels_)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_same_seed_same_labels(algorithm):
    X, _ = _blobs(seed=3)
    params = {"algorithm": algorithm, "n_clusters": 4, "random_state": 7, "min_cluster_size": 10}

    first = CustomerClustering(**params).fit(X).labels_
    second = CustomerClustering(**params).fit(X).labels_

    np.testing.assert_array_equal(first, second)


def test_clone_keeps_parameters():
    model = CustomerClustering(algorithm="gmm", n_clusters=5, weights={"value": 0.5}, random_state=3)

    copy = clone(model)

    assert copy.get_params() == model.get_params()


def test_clusterer_works_in_pipeline():
    X, group = _blobs()
    pipeline = Pipeline([("cluster", CustomerClustering(n_clusters=3, random_state=0))])

    labels = pipeline.fit_predict(X)

    assert adjusted_rand_score(group, labels) == pytest.approx(1.0)


def test_kmeans_switches_to_minibatch_above_threshold():
    X, group = _blobs()

    model = CustomerClustering(n_clusters=3, minibatch_threshold=100, random_state=0).fit(X)

    assert isinstance(model.estimator_, MiniBatchKMeans)
    assert adjusted_rand_score(group, model.labels_) == pytest.approx(1.0)


def test_kmeans_below_threshold_is_full_kmeans():
    X, _ = _blobs()

    model = CustomerClustering(n_clusters=3, random_state=0).fit(X)

    assert type(model.estimator_) is KMeans
    assert model.estimator_.n_init == 10


@pytest.mark.parametrize("algorithm", ["ward", "hdbscan"])
def test_large_data_fits_on_seeded_sample(algorithm):
    X, group = _blobs()

    model = CustomerClustering(algorithm=algorithm, n_clusters=3, max_fit_samples=60, min_cluster_size=5,
                               random_state=0, lang="en").fit(X)

    assert len(model.estimator_.labels_) == 60
    assert len(model.labels_) == len(X)
    assert adjusted_rand_score(group, model.labels_) == pytest.approx(1.0)
    assert f"{algorithm} was fitted on a seeded sample of 60 customers; the other 60" in model.notes_[-1]


def test_hdbscan_all_noise_warns_with_size():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"spend": rng.uniform(0, 1000, 12), "contacts_per_month": rng.uniform(0, 5, 12)})
    model = CustomerClustering(algorithm="hdbscan", min_cluster_size=7, lang="en")

    with pytest.warns(DegenerateClusteringWarning, match=r"all 12 customers as noise .* \(now 7\)"):
        model.fit(X)

    assert model.n_effective_clusters_ == 0
    assert set(model.labels_) == {-1}


def test_single_cluster_is_allowed():
    X, _ = _blobs()

    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateClusteringWarning)
        model = CustomerClustering(n_clusters=1, random_state=0).fit(X)

    assert set(model.labels_) == {0}
    np.testing.assert_array_equal(model.confidence_, np.ones(len(X)))


def test_zero_activity_weight_splits_by_spend():
    X = pd.DataFrame({"spend": [52000.0, 51000.0, 47000.0, 48000.0, 50500.0, 48500.0],
                      "contacts_per_month": [0.2, 6.0, 0.3, 5.5, 0.1, 6.5]})

    model = CustomerClustering(n_clusters=2, weights={"activity": 0.0}, random_state=0).fit(X)

    assert model.labels_[0] == model.labels_[1] == model.labels_[4]
    assert model.labels_[2] == model.labels_[3] == model.labels_[5]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"algorithm": "dbscan"}, r"algorithm must be one of \('kmeans', 'gmm', 'ward', 'hdbscan'\), got 'dbscan'"),
        ({"n_clusters": 0}, r"n_clusters must be between 1 and the 120 customers, got 0"),
        ({"n_clusters": 121}, r"n_clusters must be between 1 and the 120 customers, got 121"),
    ],
    ids=["unknown-algorithm", "zero-clusters", "more-clusters-than-customers"],
)
def test_invalid_parameters_raise(params, message):
    X, _ = _blobs()
    model = CustomerClustering(**params)

    with pytest.raises(ValueError, match=message):
        model.fit(X)


def test_centroid_margin_hand_computed():
    Z = np.array([[1.0, 0.0], [2.0, 0.0], [4.0, 0.0]])
    centers = np.array([[0.0, 0.0], [4.0, 0.0]])

    labels, margin = centroid_margin(Z, centers)

    np.testing.assert_array_equal(labels, [0, 0, 1])
    np.testing.assert_allclose(margin, [2 / 3, 0.0, 1.0])


@pytest.mark.parametrize(
    ("rows", "at_least", "expected"),
    [([[0, 0]] * 5 + [[3, 1]] * 3, 3, 2), ([[0, 0], [1, 1], [2, 2]], 2, 2), ([[0, 0]] * 4, 1, 1)],
    ids=["two-distinct-of-three", "capped", "one-point"],
)
def test_count_distinct_rows(rows, at_least, expected):
    assert count_distinct_rows(np.array(rows, dtype=float), at_least) == expected
