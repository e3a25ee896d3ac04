"""Tests of the value tierer: the tie-safe quota rule, cut points, warnings and properties."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.pipeline import Pipeline

from segmentation.config import ValueConfig
from segmentation.tiers_value import ValueTierer, format_share, value_contribution


def tiers_of(values, **params) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        tierer = ValueTierer(**params).fit(np.asarray(values, dtype=float).reshape(-1, 1))
    return tierer.transform(np.asarray(values, dtype=float).reshape(-1, 1)).ravel().tolist()


@pytest.mark.parametrize(("values", "expected"), [
    ([0, 0, 0, 0], ["low"] * 4),
    ([-5, 0, 10, 20, 30, 40, 50, 60, 70, 80], ["low"] * 3 + ["mid"] * 6 + ["high"]),
    (list(range(1, 21)), ["low"] * 6 + ["mid"] * 12 + ["high"] * 2),
    (list(range(1, 11)), ["low"] * 3 + ["mid"] * 6 + ["high"]),
    ([1, 1, 1, 2, 3, 4, 5, 6, 9, 9], ["low"] * 3 + ["mid"] * 5 + ["high"] * 2),
    ([7, 7, 7, 7], ["mid"] * 4),
    ([1, 2, 3, 4, 5], ["low", "low", "mid", "mid", "high"]),
    ([5], ["mid"]),
], ids=["all-zero", "negative-is-low", "exact-10-percent-of-20", "exact-10-percent-of-10",
        "tie-at-top", "all-equal-positive", "five-customers", "one-customer"])
def test_quota_rule_table(values, expected):
    assert tiers_of(values) == expected


def test_all_zero_spend_warns_low_over_quota():
    with pytest.warns(UserWarning, match=r"low 100% \(10 customers\) against 30% requested, a quota of 3"):
        ValueTierer(lang="en").fit(np.zeros((10, 1)))


def test_tie_block_in_both_tiers_is_mid():
    with pytest.warns(UserWarning) as record:
        ValueTierer(lang="en").fit(np.full((4, 1), 7.0))

    messages = [str(warning.message) for warning in record]
    assert "4 customers with the same contribution (7) qualify for both high and low" in messages[0]
    assert "mid 100% (4 customers) against 60% requested, a quota of 1" in messages[1]


def test_one_customer_over_quota_does_not_warn():
    values = np.array([[9], [9], [1], [2], [3], [4], [5], [6], [7], [8]], dtype=float)

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        tierer = ValueTierer().fit(values)

    assert tierer.off_quota_ == []
    assert tierer.shares_["customers"].tolist() == [2, 5, 3]


@pytest.mark.parametrize(("n", "shares", "quota"), [
    (10, {"high": 0.1, "mid": 0.6, "low": 0.3}, {"high": 1, "mid": 6, "low": 3}),
    (20, {"high": 0.1, "mid": 0.6, "low": 0.3}, {"high": 2, "mid": 12, "low": 6}),
    (4372, {"high": 0.1, "mid": 0.6, "low": 0.3}, {"high": 438, "mid": 2622, "low": 1312}),
    (15, {"high": 0.15, "mid": 0.5, "low": 0.35}, {"high": 3, "mid": 6, "low": 6}),
], ids=["ten", "twenty-exact", "rounded-up-high-and-low", "mid-1.5-below-share"])
def test_distinct_values_stay_on_quota(n, shares, quota):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        tierer = ValueTierer(shares=shares).fit(np.arange(1, n + 1, dtype=float)[:, None])

    assert tierer.quota_ == quota
    assert tierer.shares_["customers"].tolist() == [quota["high"], quota["mid"], quota["low"]]
    assert tierer.off_quota_ == []


@pytest.mark.parametrize(("share", "text"), [
    (0.6, "60%"), (0.0, "0%"), (1.0, "100%"), (0.6004, "60.0%"), (0.59995, "60.0%"), (0.123, "12.3%"),
], ids=["whole", "zero", "one", "just-above-whole", "just-below-whole", "tenth"])
def test_format_share(share, text):
    assert format_share(share) == text


def test_warning_visible_when_whole_percentages_agree():
    # Four equal values at ranks 298-301 straddle the low cut of 1000 customers,
    # so low gets 302 and mid 598. Whole percentages would print 30% and 60% for both.
    values = np.arange(1, 1001, dtype=float)
    values[298:302] = values[298]

    with pytest.warns(UserWarning) as record:
        tierer = ValueTierer(lang="en").fit(values[:, None])

    message = str(record[0].message)
    assert tierer.off_quota_ == ["mid", "low"]
    assert "mid 59.8% (598 customers) against 60% requested, a quota of 600" in message
    assert "low 30.2% (302 customers) against 30% requested, a quota of 300" in message


def test_cut_points_and_new_data():
    tierer = ValueTierer().fit(np.arange(1, 21, dtype=float).reshape(-1, 1))

    assert tierer.high_cut_ == 19.0
    assert tierer.low_cut_ == 6.0
    new = np.array([[100.0], [19.0], [18.5], [6.5], [6.0], [-1.0]])
    assert tierer.transform(new).ravel().tolist() == ["high", "high", "mid", "mid", "low", "low"]


def test_no_high_tier_means_infinite_cut():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        tierer = ValueTierer().fit(np.zeros((5, 1)))

    assert tierer.high_cut_ == np.inf
    assert tierer.low_cut_ == 0.0


@pytest.mark.parametrize(("value", "near"), [
    (19.0, True), (17.1, True), (17.0, False), (20.9, True), (21.0, False),
    (6.6, True), (5.4, True), (5.3, False), (0.0, False),
], ids=["at-high-cut", "just-inside-below", "outside-below", "just-inside-above", "outside-above",
        "above-low-cut", "below-low-cut", "outside-low-cut", "zero"])
def test_near_boundary_is_relative_to_cut(value, near):
    tierer = ValueTierer(boundary_margin=0.1).fit(np.arange(1, 21, dtype=float).reshape(-1, 1))

    assert tierer.near_boundary(np.array([[value]])).tolist() == [near]


def test_shares_frame():
    tierer = ValueTierer(shares={"high": 0.2, "mid": 0.5, "low": 0.3}).fit(np.arange(1, 11, dtype=float)[:, None])

    expected = pd.DataFrame({
        "tier": pd.Categorical(["high", "mid", "low"], categories=["high", "mid", "low"], ordered=True),
        "intended": [0.2, 0.5, 0.3],
        "actual": [0.2, 0.5, 0.3],
        "customers": np.array([2, 5, 3], dtype="int64"),
    })
    pd.testing.assert_frame_equal(tierer.shares_, expected)


def test_pipeline_on_one_column_frame():
    frame = pd.DataFrame({"spend": [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0]})
    pipeline = Pipeline([("value", ValueTierer())])

    tiers = pipeline.fit_transform(frame)

    assert tiers.shape == (10, 1)
    assert tiers[:, 0].tolist() == ["low"] * 3 + ["mid"] * 6 + ["high"]
    assert pipeline.named_steps["value"].feature_names_in_.tolist() == ["spend"]
    assert pipeline.get_feature_names_out().tolist() == ["value_tier"]


@pytest.mark.parametrize(("params", "values", "message"), [
    ({"shares": {"high": 0.5, "mid": 0.6, "low": 0.3}}, [[1.0]], "summing to 1"),
    ({"shares": {"top": 0.1, "mid": 0.6, "low": 0.3}}, [[1.0]], "high, mid and low"),
    ({}, np.empty((0, 1)), "no customers to tier"),
    ({}, [[1.0], [np.nan], [np.inf]], r"2 contribution value\(s\) are missing or infinite \(positions 1, 2\)"),
    ({}, [[1.0, 2.0]], "must be one column, got 2"),
], ids=["shares-not-summing", "unknown-tier", "empty", "missing-values", "two-columns"])
def test_fit_rejects_bad_input(params, values, message):
    tierer = ValueTierer(lang="en", **params)

    with pytest.raises(ValueError, match=message):
        tierer.fit(np.asarray(values, dtype=float))


def test_warning_in_chinese_by_default():
    with pytest.warns(UserWarning, match="低价值 实际 100%（10 人），目标 30%（3 人）"):
        ValueTierer().fit(np.zeros((10, 1)))


@pytest.mark.parametrize(("contribution", "expected"), [
    ("spend", [100.0, 0.0]),
    ("profit", [30.0, 0.0]),
    ("mix", [65.0, 0.0]),
], ids=["spend", "profit", "mix"])
def test_value_contribution(contribution, expected):
    features = pd.DataFrame({"spend": [100.0, 0.0], "profit": [30.0, np.nan]}, index=["C1", "C2"])
    value = ValueConfig(contribution=contribution, mix_weights={"spend": 0.5, "profit": 0.5},
                        shares={"high": 0.1, "mid": 0.6, "low": 0.3}, boundary_margin=0.1)

    assert value_contribution(features, value).tolist() == expected


contributions = st.lists(st.integers(min_value=-5, max_value=40).map(float), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(values=contributions, data=st.data())
def test_raising_spend_never_lowers_tier(values, data):
    rank = {"low": 0, "mid": 1, "high": 2}
    position = data.draw(st.integers(min_value=0, max_value=len(values) - 1))
    raise_by = data.draw(st.integers(min_value=1, max_value=50))
    raised = list(values)
    raised[position] += raise_by

    before, after = tiers_of(values)[position], tiers_of(raised)[position]

    assert rank[after] >= rank[before]


@settings(max_examples=200, deadline=None)
@given(values=contributions, seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_row_order_and_ties_invariance(values, seed):
    order = np.random.default_rng(seed).permutation(len(values))
    tiers = np.array(tiers_of(values))
    shuffled = np.array(tiers_of(np.asarray(values)[order]))

    assert shuffled.tolist() == tiers[order].tolist()
    for value in set(values):
        assert len(set(tiers[np.asarray(values) == value])) == 1


def reference_tier(value: float, values: list[float], high_share: float = 0.1, low_share: float = 0.3) -> str:
    """The quota rule written out customer by customer, as an independent check."""
    n = len(values)
    greater = sum(other > value for other in values)
    smaller = sum(other < value for other in values)
    high = value > 0 and greater < high_share * n - 1e-9
    low = value <= 0 or smaller < low_share * n - 1e-9
    if high and not low:
        return "high"
    if low and not high:
        return "low"
    return "mid"


@settings(max_examples=200, deadline=None)
@given(values=contributions)
def test_fit_transform_matches_reference_rule(values):
    assert tiers_of(values) == [reference_tier(value, values) for value in values]
