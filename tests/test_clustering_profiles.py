"""Tests of cluster profiles and the disagreement list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.clustering_models import CustomerClustering, DegenerateClusteringWarning
from segmentation.clustering_profiles import cluster_profiles, disagreements, explain_deviation

FEATURES = pd.DataFrame(
    {
        "spend": [100.0, 300.0, 5000.0, 7000.0, 9000.0],
        "contacts_per_month": [0.5, 1.5, 4.0, 6.0, 5.0],
        "share_after_sales": [0.0, 1.0, 0.5, 0.5, 1.0],
        "csat_mean_100": [80.0, 60.0, 90.0, np.nan, 70.0],
        "name": ["a", "b", "c", "d", "e"],
    },
    index=pd.Index(["C1", "C2", "C3", "C4", "C5"], name="customer_id"),
)
CLUSTERS = pd.Series([0, 0, 1, 1, 1], index=FEATURES.index)


def test_profiles_hand_computed():
    profile = cluster_profiles(FEATURES, CLUSTERS)

    expected = pd.DataFrame(
        {
            "size": [2, 3],
            "share": [0.4, 0.6],
            "spend": [200.0, 7000.0],
            "contacts_per_month": [1.0, 5.0],
            "csat_mean_100": [70.0, 80.0],
            "share_after_sales": [0.5, 2 / 3],
        },
        index=pd.Index([0, 1], name="cluster"),
    )
    pd.testing.assert_frame_equal(profile, expected, check_dtype=False)


def test_profiles_restricted_to_clustered_columns():
    profile = cluster_profiles(FEATURES, CLUSTERS, columns=["spend"])

    assert list(profile.columns) == ["size", "share", "spend"]


def test_profiles_drop_empty_columns():
    features = FEATURES.assign(csat_mean_100=np.nan)

    profile = cluster_profiles(features, CLUSTERS)

    assert "csat_mean_100" not in profile.columns


def test_explain_deviation_hand_computed():
    scaled = pd.DataFrame({"spend": [0.0, 1.0, 5.0], "contacts_per_month": [0.0, 0.0, -2.0]}, index=["a", "b", "c"])
    labels = pd.Series(["x", "x", "y"], index=scaled.index)

    reasons = explain_deviation(scaled, labels, n_reasons=1, lang="en")

    assert reasons["explanation"].tolist() == ["spend -0.50", "spend +0.50", "spend +0.00"]
    np.testing.assert_allclose(reasons["max_deviation"], [0.5, 0.5, 0.0])


def test_explanation_names_several_features_in_zh():
    scaled = pd.DataFrame({"spend": [0.0, 2.0], "contacts_per_month": [0.0, -1.0]}, index=["a", "b"])
    labels = pd.Series(["x", "x"], index=scaled.index)

    reasons = explain_deviation(scaled, labels, n_reasons=2)

    assert reasons.loc["b", "explanation"] == "消费金额 +1.00; 月均咨询次数 -0.50"


def test_disagreement_lists_customer_the_rules_put_elsewhere():
    features = FEATURES[["spend", "contacts_per_month"]]
    model = CustomerClustering(n_clusters=2, random_state=0, n_init=3).fit(features)
    rules = pd.Series(["low", "low", "high", "high", "low"], index=features.index)
    high_cluster = model.labels_[2]
    matching = {high_cluster: "high", 1 - high_cluster: "low"}

    table = disagreements(model, features, rules, matching, lang="en")

    assert table.index.tolist() == ["C5"]
    assert table.loc["C5", "rule_label"] == "low"
    assert table.loc["C5", "cluster_label"] == "high"
    assert 0.0 < table.loc["C5", "confidence"] <= 1.0
    assert table.loc["C5", "explanation"].split(";")[0].split(" +")[0] in {"spend", "contacts per month"}
    assert "name" not in table.columns


def test_disagreements_rank_by_confidence_then_id():
    features = pd.DataFrame(
        {"spend": [10.0, 11.0, 12.0, 9000.0, 9100.0, 9050.0], "contacts_per_month": [0.1, 0.1, 0.1, 5.0, 5.0, 5.0]},
        index=pd.Index(["C6", "C2", "C4", "C1", "C5", "C3"], name="customer_id"),
    )
    model = CustomerClustering(n_clusters=2, random_state=0, n_init=3).fit(features)
    rules = pd.Series(["high", "high", "low", "low", "low", "high"], index=features.index)
    low_cluster = model.labels_[0]
    matching = {low_cluster: "low", 1 - low_cluster: "high"}

    table = disagreements(model, features, rules, matching, top=None)

    assert set(table.index) == {"C6", "C2", "C1", "C5"}
    assert table["confidence"].is_monotonic_decreasing
    assert disagreements(model, features, rules, matching, top=2).index.tolist() == table.index[:2].tolist()


def test_noise_customers_are_not_disagreements():
    features = FEATURES[["spend", "contacts_per_month"]]
    model = CustomerClustering(algorithm="hdbscan", min_cluster_size=4)
    with pytest.warns(DegenerateClusteringWarning):
        model.fit(features)
    rules = pd.Series(["low"] * 5, index=features.index)

    table = disagreements(model, features, rules, {0: "high", 1: "high"})

    assert set(model.labels_) == {-1}
    assert table.empty
