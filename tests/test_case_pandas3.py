"""Analysis code that pandas 3 silently changes, and the forms this package uses instead.

Each test reproduces one pitfall on a tiny frame, asserts what pandas 3 does,
then asserts the intended result of the correct form: every per-tier table has
all tiers in their defined order, zero-filled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.errors import ChainedAssignmentError

from segmentation.tiers import tier_categorical, tier_counts

TIERS_ZH = ["高", "中", "低"]


def test_chained_inplace_fillna_changes_nothing():
    frame = pd.DataFrame({"满意度": [4.0, np.nan, 5.0]})

    with pytest.warns(ChainedAssignmentError):
        frame["满意度"].fillna(0, inplace=True)

    assert frame["满意度"].isna().tolist() == [False, True, False]


def test_assigned_fillna_gives_filled_column():
    frame = pd.DataFrame({"满意度": [4.0, np.nan, 5.0]})

    frame["满意度"] = frame["满意度"].fillna(0)

    assert frame["满意度"].tolist() == [4.0, 0.0, 5.0]


@pytest.fixture
def no_high_rows() -> pd.DataFrame:
    return pd.DataFrame({"tier": tier_categorical(["中", "低", "低"], TIERS_ZH), "spend": [10.0, 2.0, 3.0]})


def test_observed_groupby_drops_empty_tier(no_high_rows):
    totals = no_high_rows.groupby("tier", observed=True)["spend"].sum()

    assert totals.index.tolist() == ["中", "低"]


def test_unobserved_groupby_keeps_empty_tier_as_zero(no_high_rows):
    totals = no_high_rows.groupby("tier", observed=False)["spend"].sum()

    assert totals.index.tolist() == TIERS_ZH
    assert totals.tolist() == [0.0, 10.0, 5.0]


def test_tier_counts_keeps_empty_tier(no_high_rows):
    counts = tier_counts(no_high_rows.rename(columns={"tier": "value_tier"}), "value")

    assert counts["tier"].tolist() == TIERS_ZH
    assert counts["customers"].tolist() == [0, 1, 2]


def test_apply_reading_grouping_column_raises(no_high_rows):
    with pytest.raises(KeyError, match="tier"):
        no_high_rows.groupby("tier", observed=False).apply(lambda group: f"{group['tier'].iloc[0]}: {len(group)}")


def test_apply_with_group_name_gives_intended_value(no_high_rows):
    summary = no_high_rows.groupby("tier", observed=False).apply(lambda group: f"{group.name}: {len(group)}")

    assert summary.tolist() == ["高: 0", "中: 1", "低: 2"]
