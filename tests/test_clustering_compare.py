"""Tests of the agreement between rule labels and clusters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation.clustering_compare import (
    compare_labelings,
    contingency_table,
    dimension_alignment,
    label_purity,
    match_clusters,
)


def _series(values: list, prefix: str = "C") -> pd.Series:
    return pd.Series(values, index=pd.Index([f"{prefix}{i}" for i in range(len(values))], name="customer_id"))


LABELS = _series(["vip", "vip", "regular", "regular", "regular", "to_activate", "to_activate"])


def test_perfect_agreement_scores_one():
    clusters = _series([2, 2, 0, 0, 0, 1, 1])

    agreement = compare_labelings(LABELS, clusters)

    assert agreement.ari == pytest.approx(1.0)
    assert agreement.nmi == pytest.approx(1.0)
    assert agreement.ami == pytest.approx(1.0)
    assert agreement.matching.to_dict() == {0: "regular", 1: "to_activate", 2: "vip"}
    assert agreement.purity["recall"].tolist() == [1.0, 1.0, 1.0]
    assert agreement.purity["purity"].tolist() == [1.0, 1.0, 1.0]


def test_relabelled_clusters_give_same_scores():
    clusters = _series([0, 0, 1, 1, 2, 2, 2])
    relabelled = clusters.map({0: 7, 1: 3, 2: 5})

    original = compare_labelings(LABELS, clusters)
    renamed = compare_labelings(LABELS, relabelled)

    assert renamed.ari == pytest.approx(original.ari)
    assert renamed.nmi == pytest.approx(original.nmi)
    assert renamed.ami == pytest.approx(original.ami)
    assert renamed.matching.rename({7: 0, 3: 1, 5: 2}).sort_index().to_dict() == original.matching.to_dict()


@settings(max_examples=40, deadline=None)
@given(
    labels=st.lists(st.sampled_from(["vip", "regular", "to_activate"]), min_size=4, max_size=30),
    data=st.data(),
)
def test_scores_ignore_cluster_names_and_row_order(labels, data):
    clusters = data.draw(st.lists(st.integers(0, 3), min_size=len(labels), max_size=len(labels)))
    permutation = data.draw(st.permutations(range(len(labels))))
    label_series, cluster_series = _series(labels), _series(clusters)

    original = compare_labelings(label_series, cluster_series)
    renamed = compare_labelings(label_series.iloc[permutation], (cluster_series + 10).iloc[permutation])

    assert renamed.ari == pytest.approx(original.ari)
    assert renamed.nmi == pytest.approx(original.nmi)
    assert renamed.ami == pytest.approx(original.ami)


def test_contingency_table_counts():
    clusters = _series([0, 0, 0, 1, 1, 1, 1])

    table = contingency_table(LABELS, clusters)

    expected = pd.DataFrame({"vip": [2, 0], "regular": [1, 2], "to_activate": [0, 2]}, index=[0, 1])
    np.testing.assert_array_equal(table.to_numpy(), expected.to_numpy())
    assert list(table.columns) == ["vip", "regular", "to_activate"]
    assert list(table.index) == [0, 1]


HAND_TABLE = pd.DataFrame(
    {"a": [10, 1, 0, 0], "b": [2, 8, 0, 4], "c": [0, 0, 5, 1]},
    index=pd.Index([0, 1, 2, 3], name="cluster"),
)


def test_hungarian_matching_with_more_clusters_than_labels():
    matching = match_clusters(HAND_TABLE)

    assert matching.to_dict() == {0: "a", 1: "b", 2: "c", 3: "b"}


def test_hungarian_beats_greedy_majority():
    # Greedy majority would send both clusters to "a"; the one-to-one optimum
    # keeps 6 + 4 customers on the diagonal instead of 5 + 1.
    table = pd.DataFrame({"a": [5, 6], "b": [4, 1]}, index=[0, 1])

    matching = match_clusters(table)

    assert matching.to_dict() == {0: "b", 1: "a"}


def test_more_labels_than_clusters_leaves_labels_unmatched():
    table = pd.DataFrame({"a": [3], "b": [5], "c": [1]}, index=[0])

    matching = match_clusters(table)
    purity = label_purity(table, matching)

    assert matching.to_dict() == {0: "b"}
    assert purity.loc["a", "recall"] == 0.0
    assert np.isnan(purity.loc["a", "purity"])
    assert purity.loc["b", "purity"] == pytest.approx(5 / 9)


def test_noise_is_never_matched():
    table = pd.DataFrame({"a": [9, 4, 0], "b": [9, 0, 3]}, index=[-1, 0, 1])

    matching = match_clusters(table)

    assert matching.to_dict() == {0: "a", 1: "b"}


def test_label_purity_hand_computed():
    purity = label_purity(HAND_TABLE, match_clusters(HAND_TABLE))

    expected = pd.DataFrame(
        {
            "customers": [11, 14, 6],
            "clusters": ["0", "1, 3", "2"],
            "recall": [10 / 11, 12 / 14, 5 / 6],
            "purity": [10 / 12, 12 / 14, 5 / 5],
        },
        index=pd.Index(["a", "b", "c"], name="label"),
    )
    pd.testing.assert_frame_equal(purity, expected)


def test_disjoint_ids_raise_with_examples():
    clusters = _series([0, 1], prefix="X")

    with pytest.raises(ValueError, match=r"share no customer id; label ids start \['C0', 'C1', 'C2'\]"):
        compare_labelings(LABELS, clusters)


def test_only_shared_customers_are_compared():
    clusters = _series([2, 2, 0, 0, 0, 1, 1, 5, 5])

    agreement = compare_labelings(LABELS, clusters)

    assert int(agreement.contingency.to_numpy().sum()) == 7
    assert agreement.ari == pytest.approx(1.0)


def test_dimension_alignment_per_tier():
    frame = pd.DataFrame({
        "customer_id": [f"C{i}" for i in range(8)],
        "value_tier": ["high", "high", "low", "low", "high", "high", "low", "low"],
        "activity_tier": ["high", "low", "high", "low", "high", "low", "high", "low"],
        "need_type": ["none"] * 8,
    })
    clusters = _series([0, 0, 1, 1, 0, 0, 1, 1])

    alignment = dimension_alignment(frame, clusters)

    assert list(alignment.index) == ["value", "activity"]
    assert alignment.loc["value", "ami"] == pytest.approx(1.0)
    assert alignment.loc["activity", "ari"] < 0.0


def test_pair_without_the_label_falls_back_to_majority():
    # One to one, cluster 2 gets "vip" although 3 of its 1,367 customers carry it
    # (0.2% against 10% overall), so it goes to its majority label instead.
    table = pd.DataFrame({"vip": [435, 0, 3], "regular": [1540, 0, 1083], "to_activate": [11, 882, 281]},
                         index=[0, 1, 2])

    matching = match_clusters(table)
    purity = label_purity(table, matching)

    assert matching.to_dict() == {0: "regular", 1: "to_activate", 2: "regular"}
    assert purity.loc["vip", "clusters"] == ""
    assert purity.loc["regular", "clusters"] == "0, 2"
