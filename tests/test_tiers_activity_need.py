"""Tests of activity tiers (inclusive thresholds, recency rule, basis), need types and tier counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.config import ActivityConfig, load_config
from segmentation.tiers import activity_tiers, need_types, resolve_activity_basis, tier_categorical, tier_counts

ZONE = "Asia/Shanghai"
AS_OF = pd.Timestamp("2024-06-30 23:59:59.999999999", tz=ZONE)
DEFAULT = ActivityConfig(basis="auto", high_min_per_month=3.0, mid_min_per_month=1.0, recency_months=3,
                         orders_high_min_per_month=1.0, orders_mid_min_per_month=0.33)


def activity_features(contacts: list[int], last_contact: list[str | None], window: str = "6M",
                      orders: list[int] | None = None, last_order: list[str | None] | None = None) -> pd.DataFrame:
    def times(values):
        return pd.to_datetime(pd.Series(values, dtype="object"), format="ISO8601").dt.tz_localize(ZONE).array

    frame = pd.DataFrame({
        "contacts": contacts,
        "order_count": orders if orders is not None else [0] * len(contacts),
        "last_contact_at": times(last_contact),
        "last_order_at": times(last_order if last_order is not None else [None] * len(contacts)),
    }, index=pd.Index([f"C{i}" for i in range(len(contacts))], name="customer_id"))
    frame.attrs.update(as_of=AS_OF, window=window)
    return frame


@pytest.mark.parametrize(("contacts", "window", "expected"), [
    (18, "6M", "high"),
    (17, "6M", "mid"),
    (6, "6M", "mid"),
    (5, "6M", "low"),
    (3, "1M", "high"),
    (1, "1M", "mid"),
    (0, "1M", "low"),
    (9, "3M", "high"),
], ids=["exactly-3-a-month", "just-under-3", "exactly-1-a-month", "just-under-1",
        "3-in-one-month", "1-in-one-month", "none-in-one-month", "9-in-three-months"])
def test_activity_thresholds_are_inclusive(contacts, window, expected):
    features = activity_features([contacts], ["2024-06-15"], window=window)

    assert activity_tiers(features, DEFAULT, basis="contacts").tolist() == [expected]


def test_threshold_times_months_float_error_is_absorbed():
    # 0.7 * 10 is 7.000000000000001 in floating point; 7 contacts in 10 months is still 0.7 a month.
    activity = ActivityConfig(basis="contacts", high_min_per_month=2.0, mid_min_per_month=0.7, recency_months=3,
                         orders_high_min_per_month=1.0, orders_mid_min_per_month=0.33)
    features = activity_features([7, 6], ["2024-06-15", "2024-06-15"], window="10M")

    assert activity_tiers(features, activity, basis="contacts").tolist() == ["mid", "low"]


@pytest.mark.parametrize(("last_contact", "expected"), [
    ("2024-04-01T00:00:00", "high"),
    ("2024-03-31T23:59:59", "low"),
    (None, "low"),
], ids=["first-instant-of-recent-months", "just-before-recent-months", "never"])
def test_recency_rule_overrides_rate(last_contact, expected):
    features = activity_features([30], [last_contact])

    assert activity_tiers(features, DEFAULT, basis="contacts").tolist() == [expected]


def test_recency_zero_months_turns_rule_off():
    activity = ActivityConfig(basis="contacts", high_min_per_month=3.0, mid_min_per_month=1.0, recency_months=0,
                             orders_high_min_per_month=1.0, orders_mid_min_per_month=0.33)
    features = activity_features([30], ["2023-02-01"])

    assert activity_tiers(features, activity, basis="contacts").tolist() == ["high"]


def test_orders_basis_reads_orders():
    features = activity_features([30, 0], ["2024-06-01", None], orders=[0, 18], last_order=[None, "2024-06-01"])

    result = activity_tiers(features, DEFAULT, basis="orders")

    assert result.tolist() == ["low", "high"]
    assert list(result.cat.categories) == ["high", "mid", "low"]
    assert result.cat.ordered


@pytest.mark.parametrize(("setting", "has_tickets", "expected"), [
    ("auto", True, "contacts"),
    ("auto", False, "orders"),
    ("contacts", False, "contacts"),
    ("orders", True, "orders"),
], ids=["auto-with-tickets", "auto-without-tickets", "contacts-forced", "orders-forced"])
def test_resolve_activity_basis(setting, has_tickets, expected):
    assert resolve_activity_basis(setting, has_tickets) == expected


def test_unknown_activity_basis():
    with pytest.raises(ValueError, match="unknown activity basis 'calls'"):
        resolve_activity_basis("calls", True, lang="en")


def need_features(rows: list[tuple[int, int, int]]) -> pd.DataFrame:
    """Rows of (product_consultation, after_sales, potential_demand) contact counts."""
    return pd.DataFrame(rows, columns=["n_product_consultation", "n_after_sales", "n_potential_demand"],
                        index=pd.Index([f"C{i}" for i in range(len(rows))], name="customer_id"))


def test_need_type_dominant_share_and_ties():
    tie_break = load_config().need.tie_break
    features = need_features([(1, 4, 0), (2, 2, 0), (0, 3, 3), (5, 5, 5), (0, 0, 0), (0, 0, 1)])

    result = need_types(features, tie_break)

    expected = pd.DataFrame({
        "need_type": tier_categorical(
            ["after_sales", "after_sales", "after_sales", "after_sales", "none", "potential_demand"],
            ["product_consultation", "after_sales", "potential_demand", "none"]),
        "need_share": [0.8, 0.5, 0.5, 1 / 3, np.nan, 1.0],
    }, index=features.index)
    pd.testing.assert_frame_equal(result, expected)


def test_need_tie_break_follows_configured_order():
    features = need_features([(2, 2, 2), (0, 1, 1)])

    result = need_types(features, ("potential_demand", "product_consultation", "after_sales"))

    assert result["need_type"].tolist() == ["potential_demand", "potential_demand"]


def test_need_types_of_no_customers():
    result = need_types(need_features([]), load_config().need.tie_break)

    assert len(result) == 0
    assert list(result.columns) == ["need_type", "need_share"]


def test_tier_counts_keeps_empty_tiers_in_order():
    labels = pd.DataFrame({"value_tier": tier_categorical(["low", "mid", "low"], ["high", "mid", "low"])})

    counts = tier_counts(labels, "value")

    expected = pd.DataFrame({
        "tier": tier_categorical(["high", "mid", "low"], ["high", "mid", "low"]),
        "customers": np.array([0, 1, 2], dtype="int64"),
        "share": [0.0, 1 / 3, 2 / 3],
    })
    pd.testing.assert_frame_equal(counts, expected)


def test_tier_counts_of_text_column_uses_tier_order():
    labels = pd.DataFrame({"need_type": pd.array(["none", "after_sales"], dtype="str")})

    counts = tier_counts(labels, "need_type")

    assert counts["tier"].tolist() == ["product_consultation", "after_sales", "potential_demand", "none"]
    assert counts["customers"].tolist() == [0, 1, 0, 1]


def test_tier_counts_of_empty_frame():
    labels = pd.DataFrame({"activity_tier": tier_categorical([], ["high", "mid", "low"])})

    counts = tier_counts(labels, "activity")

    assert counts["customers"].tolist() == [0, 0, 0]
    assert counts["share"].isna().all()


@pytest.mark.parametrize(("labels", "dimension", "message"), [
    (pd.DataFrame({"label": ["vip"]}), "label", "column label is not categorical"),
    (pd.DataFrame({"value_tier": ["top"]}), "value", r"column value_tier has values outside .*\['top'\]"),
    (pd.DataFrame({"value_tier": ["high"]}), "loyalty", "unknown dimension 'loyalty'"),
], ids=["label-without-categories", "unknown-value", "unknown-dimension"])
def test_tier_counts_rejects(labels, dimension, message):
    with pytest.raises(ValueError, match=message):
        tier_counts(labels, dimension, lang="en")


def test_orders_basis_uses_order_thresholds():
    activity = load_config().activity
    features = pd.DataFrame(
        {"order_count": [6, 2, 1], "contacts": [0, 0, 0],
         "last_order_at": pd.to_datetime(["2024-06-20"] * 3).tz_localize("Asia/Shanghai"),
         "last_contact_at": pd.NaT},
        index=pd.Index(["C1", "C2", "C3"], name="customer_id"),
    )
    features.attrs.update(as_of=pd.Timestamp("2024-06-30 23:59:59", tz="Asia/Shanghai"), window="6M")

    tiers = activity_tiers(features, activity, basis="orders")

    assert tiers.astype(str).tolist() == ["high", "mid", "low"]
