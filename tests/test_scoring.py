"""Tests of the dimension scores, the composite score and the score tiers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation.config import load_config
from segmentation.errors import ConfigError
from segmentation.tiers_value import ValueTierer
from segmentation.scoring import (
    NEUTRAL_SCORE,
    compare_tiers,
    dimension_scores,
    percentile_score,
    score_tiers,
    tier_codes,
    tier_share_table,
    weight_vector,
)

SHARES = {"high": 0.1, "mid": 0.6, "low": 0.3}


@pytest.fixture(scope="module")
def config():
    return load_config()


def make_features(with_tickets: bool = True) -> pd.DataFrame:
    """Four customers whose dimension orders are known by construction."""
    features = pd.DataFrame(
        {
            "spend": [100.0, 0.0, 300.0, 0.0],
            "profit": [np.nan] * 4,
            "orders_per_month": [0.5, 0.0, 1.0, 0.0],
            "contacts": [4, 0, 1, 9] if with_tickets else [0, 0, 0, 0],
            "contacts_per_month": [4 / 6, 0.0, 1 / 6, 1.5] if with_tickets else [0.0] * 4,
            "share_potential_demand": [0.5, 0.0, 1.0, 0.0],
            "tenure_days": [400.0, 30.0, 200.0, 100.0],
            "repeat_purchase": [True, False, True, False],
            "renewal_rate": [np.nan] * 4,
            "csat_mean_100": [80.0, np.nan, np.nan, 20.0] if with_tickets else [np.nan] * 4,
        },
        index=pd.Index(["C1", "C2", "C3", "C4"], name="customer_id"),
    )
    features.attrs["dimensions_available"] = {"value": True, "activity": True, "need": with_tickets}
    return features


def test_percentile_ties_average_ranks():
    scores = percentile_score(pd.Series([0.0, 0.0, 5.0, 10.0]))
    assert scores.tolist() == [0.375, 0.375, 0.75, 1.0]


def test_dimension_scores_hand_computed(config):
    scores = dimension_scores(make_features(), config)

    expected = pd.DataFrame(
        {
            "value": [0.75, 0.375, 1.0, 0.375],
            "activity": [0.75, 0.25, 0.5, 1.0],
            # need signal: 0.5*log(5)=0.80, 0, 1*log(2)=0.69, 0
            "need": [1.0, 0.375, 0.75, 0.375],
            # loyalty: mean of tenure, repeat and CSAT percentiles, then ranked again
            "loyalty": [1.0, 0.25, 0.75, 0.5],
        },
        index=pd.Index(["C1", "C2", "C3", "C4"], name="customer_id"),
    )
    pd.testing.assert_frame_equal(scores.frame, expected)
    assert scores.available == ("value", "activity", "need", "loyalty")


def test_orders_only_uses_orders_and_neutral_need(config):
    scores = dimension_scores(make_features(with_tickets=False), config)

    assert scores.available == ("value", "activity", "loyalty")
    assert scores.frame["activity"].tolist() == [0.75, 0.375, 1.0, 0.375]
    assert (scores.frame["need"] == NEUTRAL_SCORE).all()


def test_composite_is_matrix_product(config):
    scores = dimension_scores(make_features(), config)
    weights = {"value": 0.5, "activity": 0.3, "need": 0.2, "loyalty": 0.0}

    composite = scores.composite(weights)

    assert composite.loc["C1"] == pytest.approx(0.5 * 0.75 + 0.3 * 0.75 + 0.2 * 1.0)
    assert composite.loc["C4"] == pytest.approx(0.5 * 0.375 + 0.3 * 1.0 + 0.2 * 0.375)


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        ({"value": 0.5, "activity": 0.3}, "must sum to 1"),
        ({"value": 1.2, "activity": -0.2}, r"must be in \[0, 1\]"),
        ({"value": 0.5, "price": 0.5}, "unknown score dimension"),
    ],
    ids=["sum-below-one", "out-of-range", "unknown-key"],
)
def test_weight_vector_rejects(weights, match):
    with pytest.raises(ConfigError, match=match):
        weight_vector(weights)


def test_weight_vector_missing_key_is_zero():
    assert weight_vector({"value": 0.6, "need": 0.4}).tolist() == [0.6, 0.0, 0.4, 0.0]


def test_score_tiers_skewed_ties():
    # Six customers at zero straddle the mid/low cut-point and all go low.
    score = pd.Series([0, 0, 0, 0, 0, 0, 120, 380, 950, 5200], dtype="float64",
                      index=[f"C{i:03d}" for i in range(1, 11)])

    with pytest.warns(UserWarning, match="low 30% -> 60.0%"):
        tiers = score_tiers(score, SHARES)

    assert tiers[tiers == "high"].index.tolist() == ["C010"]
    assert tiers[tiers == "mid"].index.tolist() == ["C007", "C008", "C009"]
    assert tiers[tiers == "low"].index.tolist() == [f"C{i:03d}" for i in range(1, 7)]


def test_score_tiers_exact_shares_do_not_warn():
    score = pd.Series(np.arange(20, dtype="float64"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tiers = score_tiers(score, SHARES)
    assert tier_share_table(tiers, SHARES)["customers"].tolist() == [2, 12, 6]


def test_tier_share_table_keeps_empty_tiers():
    tiers = pd.Series(pd.Categorical(["low", "low"], categories=["high", "mid", "low"]))
    table = tier_share_table(tiers, SHARES)
    assert table.index.tolist() == ["high", "mid", "low"]
    assert table["customers"].tolist() == [0, 0, 2]


def test_compare_tiers_counts_customer_by_customer():
    rule = pd.Series(["high", "mid", "low", "low"], index=["a", "b", "c", "d"])
    score = pd.Series(["mid", "mid", "low", "high"], index=["d", "b", "c", "a"])

    table = compare_tiers(score, rule)

    assert table.loc["high", "high"] == 1
    assert table.loc["low", "mid"] == 1
    assert table.loc["mid", "mid"] == 1
    assert table.to_numpy().sum() == 4


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=5), min_size=2, max_size=40), st.randoms())
def test_tiers_ignore_row_order(values, random):
    score = np.array(values, dtype="float64")
    order = list(range(len(score)))
    random.shuffle(order)

    shuffled = tier_codes(score[order], SHARES)

    assert (shuffled == tier_codes(score, SHARES)[order]).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=5), min_size=2, max_size=40))
def test_equal_scores_share_a_tier(values):
    score = np.array(values, dtype="float64")
    codes = tier_codes(score, SHARES)
    for value in np.unique(score):
        assert len(set(codes[score == value])) == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=50),
       st.sampled_from([SHARES, {"high": 0.2, "mid": 0.5, "low": 0.3}, {"high": 0.0, "mid": 1.0, "low": 0.0}]))
def test_tiers_match_value_tierer(values, shares):
    score = np.array(values, dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        standard = ValueTierer(shares=shares).fit(score.reshape(-1, 1)).transform(score.reshape(-1, 1)).ravel()

    assert [("high", "mid", "low")[code] for code in tier_codes(score, shares)] == standard.tolist()
