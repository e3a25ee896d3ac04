"""Tests of the candidate models and the choice of the model compared with the rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation import clustering as cl


def _blobs(per_group: int = 30, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    group = np.repeat([0, 1, 2], per_group)
    index = pd.Index([f"C{i:03d}" for i in range(group.size)], name="customer_id")
    features = pd.DataFrame({
        "spend": np.array([100.0, 2000.0, 40000.0])[group] * rng.lognormal(0, 0.1, group.size),
        "contacts_per_month": np.array([0.2, 1.5, 6.0])[group] * rng.lognormal(0, 0.1, group.size),
    }, index=index)
    labels = pd.Series(np.array(["to_activate", "regular", "vip"])[group], index=index)
    return features, labels


@pytest.mark.parametrize(
    ("text", "expected"),
    [("kmeans,gmm,ward,hdbscan", ["kmeans", "gmm", "ward", "hdbscan"]), (" KMeans , ward,kmeans", ["kmeans", "ward"])],
    ids=["all", "spaces-case-duplicates"],
)
def test_parse_algorithms(text, expected):
    assert cl.parse_algorithms(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("kmeans,dbscan", r"unknown algorithm\(s\) \['dbscan'\]"), ("", r"unknown algorithm\(s\) \[''\]")],
    ids=["unknown", "empty"],
)
def test_parse_algorithms_rejects(text, message):
    with pytest.raises(ValueError, match=message):
        cl.parse_algorithms(text, lang="en")


def test_k_range():
    assert cl.k_range(2, 5) == [2, 3, 4, 5]


def test_k_range_rejects_reversed():
    with pytest.raises(ValueError, match=r"k_min=5, k_max=2 is invalid; need 1 <= k_min <= k_max"):
        cl.k_range(5, 2, lang="en")


def test_fit_candidates_keeps_chosen_k_per_algorithm():
    features, _ = _blobs()

    candidates = cl.fit_candidates(features, ["kmeans", "ward", "hdbscan"], [2, 3, 4], random_state=0,
                                   min_cluster_size=10)

    assert candidates.chosen_k == {"kmeans": 3, "ward": 3, "hdbscan": 3}
    assert list(candidates.scores["algorithm"]) == ["kmeans"] * 3 + ["ward"] * 3 + ["hdbscan"]
    assert candidates.models["kmeans"].n_clusters == 3


def test_fit_candidates_skips_k_above_customers():
    features, _ = _blobs(per_group=2)

    candidates = cl.fit_candidates(features, ["kmeans"], [2, 6, 7, 9], random_state=0)

    assert list(candidates.scores["k"]) == [2, 6]


def test_summary_and_best_model():
    features, labels = _blobs()
    candidates = cl.fit_candidates(features, ["kmeans", "gmm"], [2, 3], random_state=0, n_init=2)

    summary = cl.summarise_models(candidates, features, labels)

    assert list(summary.index) == ["kmeans", "gmm"]
    assert summary.loc["kmeans", "ari"] == pytest.approx(1.0)
    assert cl.pick_best(summary) == "kmeans"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ({"kmeans": (3, 0.40, 0.0), "hdbscan": (4, 0.60, 0.3)}, "kmeans"),
        ({"kmeans": (3, 0.40, 0.0), "hdbscan": (4, 0.60, 0.1)}, "hdbscan"),
        ({"kmeans": (1, np.nan, 0.0), "gmm": (1, np.nan, 0.0)}, "kmeans"),
        ({"kmeans": (3, 0.40, 0.0), "ward": (3, 0.40, 0.0)}, "kmeans"),
    ],
    ids=["too-much-noise", "little-noise", "none-eligible", "tie-first-listed"],
)
def test_pick_best(rows, expected):
    summary = pd.DataFrame.from_dict(rows, orient="index", columns=["n_effective", "silhouette", "noise_share"])

    assert cl.pick_best(summary) == expected


def test_cluster_series_carries_customer_ids():
    features, _ = _blobs()
    model = cl.CustomerClustering(n_clusters=3, random_state=0).fit(features)

    clusters = cl.cluster_series(model, features)

    assert clusters.index.equals(features.index)
    assert clusters.name == "cluster"
