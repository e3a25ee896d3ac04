"""Tests of bootstrap cluster stability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.clustering_models import CustomerClustering
from segmentation.clustering_stability import best_jaccard, bootstrap_stability, stability_verdict


def _blobs(per_group: int = 30, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = np.repeat([0, 1, 2], per_group)
    spend = np.array([100.0, 2000.0, 40000.0])[group] * rng.lognormal(0, 0.1, group.size)
    contacts = np.array([0.2, 1.5, 6.0])[group] * rng.lognormal(0, 0.1, group.size)
    return pd.DataFrame({"spend": spend, "contacts_per_month": contacts})


@pytest.mark.parametrize(
    ("mean_jaccard", "verdict"),
    [(0.59, "unstable"), (0.6, "doubtful"), (0.749, "doubtful"), (0.75, "acceptable"), (0.85, "acceptable"),
     (0.851, "highly_stable"), (1.0, "highly_stable"), (np.nan, "no_rounds")],
    ids=["below-0.6", "at-0.6", "below-0.75", "at-0.75", "at-0.85", "above-0.85", "one", "nan"],
)
def test_stability_verdict_thresholds(mean_jaccard, verdict):
    assert stability_verdict(mean_jaccard) == verdict


def test_best_jaccard_hand_computed():
    reference = np.array([0, 0, 0, 1, 1])
    refit = np.array([5, 5, 6, 6, 6])

    scores = best_jaccard(reference, refit)

    assert scores == pytest.approx({0: 2 / 3, 1: 2 / 3})


def test_best_jaccard_ignores_noise():
    reference = np.array([0, 0, -1, 1, 1])
    refit = np.array([-1, -1, 4, 4, 4])

    scores = best_jaccard(reference, refit)

    assert scores == pytest.approx({0: 0.0, 1: 2 / 3})


def test_separated_groups_are_highly_stable():
    X = _blobs()
    model = CustomerClustering(n_clusters=3, random_state=0, n_init=3).fit(X)

    stability = bootstrap_stability(model, X, n_boot=5, random_state=1, lang="en")

    assert list(stability.index) == [0, 1, 2]
    assert stability["size"].tolist() == [30, 30, 30]
    assert (stability["mean_jaccard"] == 1.0).all()
    assert (stability["rounds"] == 5).all()
    assert set(stability["verdict_text"]) == {"highly stable"}


def test_splitting_one_group_is_less_stable():
    X = _blobs()
    model = CustomerClustering(n_clusters=5, random_state=0, n_init=3).fit(X)

    stability = bootstrap_stability(model, X, n_boot=8, random_state=1)

    assert stability["mean_jaccard"].min() < 0.85


def test_same_seed_same_result():
    X = _blobs(seed=4)
    model = CustomerClustering(n_clusters=4, random_state=0, n_init=3).fit(X)

    first = bootstrap_stability(model, X, n_boot=4, random_state=9)
    second = bootstrap_stability(model, X, n_boot=4, random_state=9)

    pd.testing.assert_frame_equal(first, second)


def test_sample_size_changes_the_draws():
    X = _blobs()
    model = CustomerClustering(n_clusters=5, random_state=0, n_init=3).fit(X)

    small = bootstrap_stability(model, X, n_boot=4, random_state=1, sample_size=20)
    full = bootstrap_stability(model, X, n_boot=4, random_state=1, sample_size=90)

    assert not np.allclose(small["mean_jaccard"], full["mean_jaccard"])


def test_zero_rounds_are_rejected():
    X = _blobs()
    model = CustomerClustering(n_clusters=3, random_state=0, n_init=3).fit(X)

    with pytest.raises(ValueError, match="n_boot must be at least 1, got 0"):
        bootstrap_stability(model, X, n_boot=0)
