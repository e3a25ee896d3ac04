"""Value tiers on skewed spend with many zeros and ties, where pandas.qcut fails.

Six customers spent nothing and four spent 120, 380, 950 and 5200. With the
intended shares 10% / 60% / 30%, quantile cut points fall on the same value.
The expected result is written out by hand. There is no exception, and equal
contributions share a tier. The real shares 10% / 30% / 60% are reported next
to the intended ones, with a warning about the low tier that gives its 6
customers against a quota of 3. Shuffling rows changes nothing.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from segmentation.classification import classify
from segmentation.schema import Tables
from segmentation.tiers import tier_categorical
from segmentation.tiers_value import ValueTierer

CONTRIBUTION = pd.DataFrame(
    {"contribution": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 120.0, 380.0, 950.0, 5200.0]},
    index=pd.Index([f"C{i:03d}" for i in range(1, 11)], name="customer_id"),
)
EXPECTED_TIERS = {
    "high": ["C010"],
    "mid": ["C007", "C008", "C009"],
    "low": ["C001", "C002", "C003", "C004", "C005", "C006"],
}
EXPECTED_SHARES = pd.DataFrame({
    "tier": tier_categorical(["high", "mid", "low"], ["high", "mid", "low"]),
    "intended": [0.1, 0.6, 0.3],
    "actual": [0.1, 0.3, 0.6],
    "customers": np.array([1, 3, 6], dtype="int64"),
})


def tiers_by_customer(frame: pd.DataFrame) -> dict[str, list[str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        keys = ValueTierer().fit(frame).transform(frame).ravel()
    return {tier: sorted(frame.index[keys == tier]) for tier in ("high", "mid", "low")}


def test_qcut_fails_on_this_input():
    with pytest.raises(ValueError, match="Bin edges must be unique"):
        pd.qcut(CONTRIBUTION["contribution"], [0, 0.3, 0.9, 1.0], labels=["low", "mid", "high"])


def test_tiers_match_hand_result():
    assert tiers_by_customer(CONTRIBUTION) == EXPECTED_TIERS


def test_real_and_intended_shares_reported():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        tierer = ValueTierer().fit(CONTRIBUTION)

    pd.testing.assert_frame_equal(tierer.shares_, EXPECTED_SHARES)
    assert tierer.quota_ == {"high": 1, "mid": 6, "low": 3}
    assert tierer.off_quota_ == ["mid", "low"]


def test_warning_names_low_tier_observed_and_requested():
    with pytest.warns(UserWarning, match=r"low 60% \(6 customers\) against 30% requested, a quota of 3"):
        ValueTierer(lang="en").fit(CONTRIBUTION)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_shuffled_rows_keep_every_tier(seed):
    shuffled = CONTRIBUTION.sample(frac=1, random_state=seed)

    assert tiers_by_customer(shuffled) == EXPECTED_TIERS


def test_case_through_classify():
    customers = pd.DataFrame({"customer_id": pd.array(CONTRIBUTION.index, dtype="str")})
    spenders = CONTRIBUTION[CONTRIBUTION["contribution"] > 0]
    orders = pd.DataFrame({
        "order_id": pd.array([f"O{i}" for i in range(len(spenders))], dtype="str"),
        "customer_id": pd.array(spenders.index, dtype="str"),
        "order_date": pd.Series(pd.to_datetime(["2024-03-01"] * len(spenders)), dtype="datetime64[ns]")
        .dt.tz_localize("Asia/Shanghai"),
        "amount": spenders["contribution"].to_numpy(),
    })

    with pytest.warns(UserWarning, match=r"low 60% \(6 customers\)"):
        result = classify(Tables(customers, orders), as_of="2024-06-30", lang="en")

    labels = result.labels.set_index("customer_id")["value_tier"]
    assert {tier: sorted(labels.index[labels == tier]) for tier in ("high", "mid", "low")} == EXPECTED_TIERS
    pd.testing.assert_frame_equal(result.value_shares, EXPECTED_SHARES)
    assert any("low value 60%, 6 customers (intended 30%, a quota of 3)" in note for note in result.notes)
