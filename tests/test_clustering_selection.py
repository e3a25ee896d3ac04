"""Tests of the internal scores and the choice of k."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.clustering_selection import choose_k, evaluate_k, internal_scores


def _blobs(per_group: int = 30, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = np.repeat([0, 1, 2], per_group)
    spend = np.array([100.0, 2000.0, 40000.0])[group] * rng.lognormal(0, 0.1, group.size)
    contacts = np.array([0.2, 1.5, 6.0])[group] * rng.lognormal(0, 0.1, group.size)
    return pd.DataFrame({"spend": spend, "contacts_per_month": contacts})


def test_single_cluster_silhouette_is_nan_with_reason():
    Z = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])

    scores = internal_scores(Z, np.zeros(3, dtype=int), lang="en")

    assert np.isnan(scores.silhouette)
    assert np.isnan(scores.calinski_harabasz)
    assert np.isnan(scores.davies_bouldin)
    assert scores.n_effective == 1
    assert scores.reason == "only 1 effective cluster(s); silhouette and the other scores need at least 2"


def test_all_noise_is_zero_clusters():
    Z = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])

    scores = internal_scores(Z, np.full(3, -1), lang="en")

    assert scores.n_effective == 0
    assert scores.noise_share == 1.0
    assert np.isnan(scores.silhouette)


def test_every_point_its_own_cluster_is_undefined():
    Z = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])

    scores = internal_scores(Z, np.array([0, 1, 2]), lang="en")

    assert np.isnan(scores.silhouette)
    assert scores.reason == "every customer is its own cluster, so the scores are undefined"


def test_two_tight_pairs_hand_computed():
    # Pairs at distance 1, pairs 10 apart: silhouette (b - a) / b per point.
    Z = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0], [11.0, 0.0]])

    scores = internal_scores(Z, np.array([0, 0, 1, 1]))

    expected = np.mean([(10.5 - 1) / 10.5, (9.5 - 1) / 9.5, (9.5 - 1) / 9.5, (10.5 - 1) / 10.5])
    assert scores.silhouette == pytest.approx(expected)
    assert scores.davies_bouldin == pytest.approx((0.5 + 0.5) / 10.0)


def test_noise_is_left_out_of_scores():
    Z = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0], [11.0, 0.0], [100.0, 100.0]])

    with_noise = internal_scores(Z, np.array([0, 0, 1, 1, -1]))
    without = internal_scores(Z[:4], np.array([0, 0, 1, 1]))

    assert with_noise.silhouette == pytest.approx(without.silhouette)
    assert with_noise.noise_share == pytest.approx(0.2)


def test_sampled_silhouette_is_seeded():
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(400, 2))
    labels = (Z[:, 0] > 0).astype(int)

    first = internal_scores(Z, labels, sample_size=100, random_state=3)
    second = internal_scores(Z, labels, sample_size=100, random_state=3)
    full = internal_scores(Z, labels, sample_size=1000)

    assert first.silhouette == second.silhouette
    assert first.silhouette != full.silhouette
    assert first.silhouette == pytest.approx(full.silhouette, abs=0.1)


def test_evaluate_k_finds_three_groups():
    scores = evaluate_k(_blobs(), "kmeans", [2, 3, 4, 5], random_state=0)

    assert list(scores["k"]) == [2, 3, 4, 5]
    assert list(scores["n_effective"]) == [2, 3, 4, 5]
    assert scores["bic"].isna().all()
    assert choose_k(scores) == 3


def test_evaluate_k_reports_bic_for_mixtures():
    scores = evaluate_k(_blobs(), "gmm", [2, 3], random_state=0, n_init=2)

    assert scores["bic"].notna().all()
    assert scores.loc[scores["k"] == 3, "bic"].iloc[0] < scores.loc[scores["k"] == 2, "bic"].iloc[0]


def test_evaluate_k_rejects_hdbscan():
    with pytest.raises(ValueError, match="HDBSCAN chooses its own number of clusters"):
        evaluate_k(_blobs(), "hdbscan", [2, 3])


@pytest.mark.parametrize(
    ("silhouettes", "expected"),
    [
        ([0.40, 0.50, 0.45], 3),
        ([0.447, 0.40, 0.4468], 4),
        ([0.50, 0.495, 0.30], 3),
        ([np.nan, 0.2, 0.1], 3),
        ([np.nan, np.nan, np.nan], 2),
    ],
    ids=["clear-best", "tie-goes-to-larger-k", "within-tolerance", "nan-skipped", "all-undefined"],
)
def test_choose_k(silhouettes, expected):
    scores = pd.DataFrame({"k": [2, 3, 4], "silhouette": silhouettes})

    assert choose_k(scores) == expected
