"""The k-means scaling case: raw spend decides the clusters, prepared features do not.

Six customers with nearly equal 6-month spend and two clearly different
contact rates. On raw values k-means splits by spend; after log-transforming
and standardising, the split follows activity. Five customers at (0, 0) and
three at (3, 1) with k = 3 give two effective clusters, not three.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans

from segmentation.clustering_models import CustomerClustering, DegenerateClusteringWarning
from segmentation.clustering_selection import score_model

CUSTOMERS = pd.DataFrame(
    {
        "spend": [52000.0, 51000.0, 47000.0, 48000.0, 50500.0, 48500.0],
        "contacts_per_month": [0.2, 6.0, 0.3, 5.5, 0.1, 6.5],
    },
    index=pd.Index(["C1", "C2", "C3", "C4", "C5", "C6"], name="customer_id"),
)


def _groups(labels: np.ndarray) -> set[frozenset[str]]:
    ids = CUSTOMERS.index.to_numpy()
    return {frozenset(ids[labels == label]) for label in np.unique(labels)}


def test_raw_values_split_by_spend():
    raw = KMeans(n_clusters=2, n_init=10, random_state=0).fit(CUSTOMERS.to_numpy())

    assert _groups(raw.labels_) == {frozenset({"C1", "C2", "C5"}), frozenset({"C3", "C4", "C6"})}


@pytest.mark.parametrize("algorithm", ["kmeans", "ward"])
def test_prepared_features_split_by_activity(algorithm):
    model = CustomerClustering(algorithm=algorithm, n_clusters=2, scaler="standard", random_state=0)

    model.fit(CUSTOMERS)

    assert _groups(model.labels_) == {frozenset({"C1", "C3", "C5"}), frozenset({"C2", "C4", "C6"})}


def test_robust_scaling_stretches_narrow_spend():
    # On six customers the interquartile range of log spend is a few hundredths,
    # so robust scaling stretches spend beyond the two activity groups. This is
    # why the standard scaler is the default.
    model = CustomerClustering(algorithm="kmeans", n_clusters=2, scaler="robust", random_state=0)

    model.fit(CUSTOMERS)

    assert _groups(model.labels_) == {frozenset({"C1", "C2", "C5"}), frozenset({"C3", "C4", "C6"})}


DUPLICATES = pd.DataFrame(
    {"contacts_per_month": [0.0] * 5 + [3.0] * 3, "orders_per_month": [0.0] * 5 + [1.0] * 3},
    index=pd.Index([f"D{i}" for i in range(8)], name="customer_id"),
)


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "ward"])
def test_duplicate_points_give_two_effective_clusters(algorithm):
    model = CustomerClustering(algorithm=algorithm, n_clusters=3, random_state=0, lang="en")

    with pytest.warns(DegenerateClusteringWarning, match="requested 3 clusters but the data has only 2 distinct"):
        model.fit(DUPLICATES)

    assert model.n_effective_clusters_ == 2
    assert _labels_follow_points(model.labels_)


def _labels_follow_points(labels: np.ndarray) -> bool:
    return len(set(labels[:5])) == 1 and len(set(labels[5:])) == 1 and labels[0] != labels[5]


def test_duplicate_points_scores_report_requested_and_effective():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateClusteringWarning)
        model = CustomerClustering(algorithm="kmeans", n_clusters=3, random_state=0, lang="en").fit(DUPLICATES)

    row = score_model(model, DUPLICATES)

    assert row["k"] == 3
    assert row["n_effective"] == 2
    assert "only 2 distinct points" in row["reason"]
