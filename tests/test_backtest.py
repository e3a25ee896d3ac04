"""Tests of the no-look-ahead backtest: cut-offs, splits, outcomes, metrics and baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from segmentation.backtest import (
    build_fold,
    default_cutoffs,
    features_at,
    horizon_end,
    outcomes,
    parse_cutoffs,
    tables_until,
)
from segmentation.backtest_metrics import capture_curve, evaluate_score, summarize_schemes
from segmentation.config import load_config
from segmentation.errors import ParameterError
from segmentation.schema import Tables
from segmentation.scoring import dimension_scores, rfm_score, rule_score

TZ = "Asia/Shanghai"


@pytest.fixture(scope="module")
def config():
    return load_config()


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ)


def cutoff(day: str) -> pd.Timestamp:
    return parse_cutoffs(day, TZ)[0]


def make_tables(orders: list[tuple], tickets: list[tuple] = (), customers: list[tuple] | None = None) -> Tables:
    """Canonical tables from tuples: orders (id, customer, time, amount), tickets (id, customer, created,
    resolved, issue type, CSAT 1-5), customers (id, registered)."""
    order_frame = pd.DataFrame({
        "order_id": pd.array([row[0] for row in orders], dtype="str"),
        "customer_id": pd.array([row[1] for row in orders], dtype="str"),
        "order_date": pd.DatetimeIndex([at(row[2]) for row in orders]),
        "amount": [float(row[3]) for row in orders],
        "status": pd.array(["paid"] * len(orders), dtype="str"),
    })
    ticket_frame = None
    if tickets:
        csat = np.array([row[5] for row in tickets], dtype="float64")
        ticket_frame = pd.DataFrame({
            "ticket_id": pd.array([row[0] for row in tickets], dtype="str"),
            "customer_id": pd.array([row[1] for row in tickets], dtype="str"),
            "created_at": pd.DatetimeIndex([at(row[2]) for row in tickets]),
            "resolved_at": pd.DatetimeIndex([at(row[3]) for row in tickets]),
            "issue_type": pd.array([row[4] for row in tickets], dtype="str"),
            "csat": csat, "csat_min": 1.0, "csat_max": 5.0, "csat_100": (csat - 1) / 4 * 100,
            "status": pd.array(["closed"] * len(tickets), dtype="str"),
        })
    if customers is None:
        ids = sorted({row[1] for row in orders} | {row[1] for row in tickets})
        customers = [(customer, "2023-01-01") for customer in ids]
    customer_frame = pd.DataFrame({
        "customer_id": pd.array([row[0] for row in customers], dtype="str"),
        "registered_at": pd.DatetimeIndex([at(row[1]) for row in customers]),
    })
    return Tables(customers=customer_frame, orders=order_frame, tickets=ticket_frame, timezone=TZ)


HISTORY = [
    ("O1", "A", "2024-02-10 10:00", 500),
    ("O2", "A", "2024-05-01 10:00", 300),
    ("O3", "B", "2024-03-15 09:00", 100),
    ("O4", "C", "2024-06-30 23:00", 50),
    ("O5", "D", "2024-04-20 12:00", 10),
]
LATER = [
    ("O6", "B", "2024-07-01 00:30", 1_000_000),
    ("O7", "D", "2024-08-01 00:00", 2_000_000),
    ("O8", "E", "2024-08-02 00:00", 3_000_000),
]
TICKETS = [
    ("T1", "B", "2024-06-20 10:00", "2024-06-20 12:00", "upgrade", 5),
    ("T2", "C", "2024-06-29 10:00", "2024-07-03 12:00", "complaint", 1),
    ("T3", "A", "2024-07-05 10:00", "2024-07-05 11:00", "upgrade", 4),
]


def test_features_ignore_later_rows(config):
    early = make_tables(HISTORY, TICKETS[:2], customers=[(c, "2023-01-01") for c in "ABCDE"])
    full = make_tables(HISTORY + LATER, TICKETS, customers=[(c, "2023-01-01") for c in "ABCDE"])
    # Customer E exists in both tables but only orders later; C's rating arrives after the cut-off.
    late_rating = early.tickets["ticket_id"] == "T2"
    early.tickets.loc[late_rating, ["csat", "csat_100"]] = np.nan
    early.tickets.loc[late_rating, "resolved_at"] = pd.NaT
    t = cutoff("2024-06-30")

    with_later = features_at(full, t, config)
    without = features_at(early, t, config)

    pd.testing.assert_frame_equal(with_later, without)
    pd.testing.assert_frame_equal(dimension_scores(with_later, config).frame,
                                  dimension_scores(without, config).frame)


def test_tables_until_drops_later_customers_and_rows():
    full = make_tables(HISTORY + LATER, TICKETS,
                       customers=[("A", "2023-01-01"), ("B", "2023-01-01"), ("C", "2023-01-01"),
                                  ("D", "2023-01-01"), ("E", "2024-07-15")])

    cut = tables_until(full, cutoff("2024-06-30"))

    assert sorted(cut.customers["customer_id"]) == ["A", "B", "C", "D"]
    assert sorted(cut.orders["order_id"]) == ["O1", "O2", "O3", "O4", "O5"]
    assert sorted(cut.tickets["ticket_id"]) == ["T1", "T2"]


def test_tables_until_blanks_late_rating():
    full = make_tables(HISTORY, TICKETS)

    cut = tables_until(full, cutoff("2024-06-30")).tickets.set_index("ticket_id")

    assert np.isnan(cut.loc["T2", "csat_100"])
    assert pd.isna(cut.loc["T2", "resolved_at"])
    assert cut.loc["T1", "csat_100"] == 100.0


def test_derived_customers_first_seen_later_are_left_out():
    full = make_tables(HISTORY + LATER)
    full.customers["registered_at"] = pd.Series(pd.NaT, index=full.customers.index, dtype=f"datetime64[ns, {TZ}]")

    cut = tables_until(full, cutoff("2024-06-30"))

    assert sorted(cut.customers["customer_id"]) == ["A", "B", "C", "D"]


@pytest.mark.parametrize(
    ("start", "horizon", "end"),
    [
        ("2024-03-31", "3M", "2024-06-30"),
        ("2024-06-30", "3M", "2024-09-30"),
        ("2024-11-30", "3M", "2025-02-28"),
        ("2024-06-30", "10D", "2024-07-10"),
    ],
    ids=["quarter", "q3", "month-end-february", "days"],
)
def test_horizon_end(start, horizon, end):
    assert horizon_end(cutoff(start), horizon) == cutoff(end)


def test_parse_cutoffs_sorts_and_dedupes():
    assert parse_cutoffs(" 2024-06-30,2024-03-31 , 2024-06-30", TZ) == [cutoff("2024-03-31"), cutoff("2024-06-30")]


def test_parse_cutoffs_rejects_bad_dates():
    with pytest.raises(ParameterError, match=r"\['2024-13-01', 'June'\]"):
        parse_cutoffs("2024-03-31,2024-13-01,June", TZ)


def test_default_cutoffs_leave_a_horizon():
    tables = make_tables([("O1", "A", "2023-01-05 10:00", 10), ("O2", "A", "2024-08-15 10:00", 10)])

    found = default_cutoffs(tables, "3M", timezone=TZ)

    assert found == [cutoff("2023-09-30"), cutoff("2023-12-31"), cutoff("2024-03-31")]


def test_default_cutoffs_data_ending_on_quarter_end():
    # The data's last day counts as covered, so 1998-03-31 + 3M fits data ending 1998-06-30.
    tables = make_tables([("O1", "A", "1997-01-01 10:00", 10), ("O2", "A", "1998-06-30 00:00", 10)])

    assert default_cutoffs(tables, "3M", count=1, timezone=TZ) == [cutoff("1998-03-31")]


def test_default_cutoffs_short_data_raises():
    tables = make_tables([("O1", "A", "2024-05-01 10:00", 10), ("O2", "A", "2024-06-15 10:00", 10)])
    with pytest.raises(ParameterError, match="no quarter end leaves a 3M outcome period"):
        default_cutoffs(tables, "3M", timezone=TZ, lang="en")


def test_outcomes_hand_computed(config):
    tables = make_tables(HISTORY + LATER + [("O9", "A", "2024-09-30 22:00", 40), ("O10", "A", "2024-10-01 01:00", 99)],
                         TICKETS, customers=[(c, "2023-01-01") for c in "ABCDE"])
    features = features_at(tables, cutoff("2024-06-30"), config)

    result = outcomes(tables, features, "3M", config)

    assert result.index.tolist() == ["A", "B", "C", "D", "E"]
    assert result["next_spend"].tolist() == [40.0, 1_000_000.0, 0.0, 2_000_000.0, 3_000_000.0]
    assert result["retained"].tolist() == [True, True, False, True, True]
    # Value tiers at the cut-off: A high, B and C mid, D and E low. At the horizon end
    # (window 2024-04-01 to 2024-09-30): E high, B and D mid, A and C low.
    assert np.isnan(result.loc["A", "upgraded"])
    assert result.loc[["B", "C", "D", "E"], "upgraded"].tolist() == [0.0, 0.0, 1.0, 1.0]
    assert result.loc["A", "next_csat"] == 75.0
    assert np.isnan(result.loc["B", "next_csat"])


def test_capture_curve_shares_ties():
    score = np.array([3.0, 2.0, 2.0, 1.0])
    spend = np.array([10.0, 6.0, 0.0, 4.0])

    shares = capture_curve(score, spend, [0.0, 0.25, 0.5, 1.0])

    np.testing.assert_allclose(shares, [0.0, 0.5, 0.65, 1.0])


def test_capture_curve_without_spend_is_nan():
    assert np.isnan(capture_curve(np.array([1.0, 2.0]), np.array([0.0, -5.0]), [0.1])).all()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 50)), min_size=2, max_size=30), st.randoms())
def test_capture_curve_ignores_row_order(rows, random):
    score = np.array([row[0] for row in rows], dtype="float64")
    spend = np.array([row[1] for row in rows], dtype="float64")
    order = list(range(len(rows)))
    random.shuffle(order)

    np.testing.assert_allclose(capture_curve(score[order], spend[order], [0.1, 0.3]),
                               capture_curve(score, spend, [0.1, 0.3]))


def small_outcomes() -> pd.DataFrame:
    return pd.DataFrame({
        "next_spend": [50.0, 0.0, 30.0, 5.0, 0.0],
        "retained": [True, False, True, True, False],
        "upgraded": [np.nan, 0.0, 1.0, 0.0, 0.0],
        "next_csat": [80.0, np.nan, 40.0, 60.0, np.nan],
    }, index=list("abcde"))


def test_evaluate_score_matches_reference_implementations():
    result = small_outcomes()
    score = pd.Series([0.9, 0.1, 0.5, 0.7, 0.3], index=list("abcde"))

    table = evaluate_score(score, result)

    assert table.loc["retention_auc", "value"] == pytest.approx(roc_auc_score(result["retained"], score))
    assert table.loc["spearman", "value"] == pytest.approx(spearmanr(score, result["next_spend"]).statistic)
    assert table.loc["top10_capture", "value"] == pytest.approx(0.5 * 50 / 85)
    assert table.loc["upgrade_auc", "value"] == pytest.approx(2 / 3)
    assert table.loc["csat_spearman", "value"] == pytest.approx(1.0)
    assert (table["note"] == "").all()


def test_evaluate_score_one_class_is_nan_with_note():
    result = small_outcomes().assign(retained=True)

    table = evaluate_score(pd.Series([0.9, 0.1, 0.5, 0.7, 0.3], index=list("abcde")), result, lang="en")

    assert np.isnan(table.loc["retention_auc", "value"])
    assert table.loc["retention_auc", "note"] == "one class only (True), so AUC is undefined"


def test_rfm_score_hand_computed():
    features = pd.DataFrame({
        "days_since_last_order": [5.0, 40.0, np.nan, 40.0, 100.0],
        "order_count": [4, 1, 0, 1, 2],
        "spend": [400.0, 50.0, 0.0, 60.0, 90.0],
    }, index=list("abcde"))

    # Average ranks r give quintile ceil(5 r / n):
    # recency (never ordered is worst) 5, 4, 1, 4, 2; frequency 5, 3, 1, 3, 4; monetary 5, 2, 1, 3, 4.
    assert rfm_score(features).tolist() == [15.0, 9.0, 3.0, 10.0, 10.0]


def test_rule_score_orders_label_then_value_tier(config):
    labels = pd.DataFrame({
        "label": ["regular", "vip", "to_activate", "regular"],
        "value_tier": ["low", "high", "low", "mid"],
    }, index=list("abcd"))

    score = rule_score(labels, config)

    assert score.sort_values(ascending=False).index.tolist() == ["b", "d", "a", "c"]


def test_summarize_schemes_spread():
    long = pd.DataFrame({
        "cutoff": ["q1", "q2", "q1", "q2"],
        "scheme": ["rfm", "rfm", "tuned", "tuned"],
        "metric": "top10_capture",
        "value": [0.2, 0.4, 0.5, np.nan],
        "note": "",
    })

    table = summarize_schemes(long, ["top10_capture"])

    assert table.index.tolist() == ["rfm", "tuned"]
    assert table.loc["rfm", ("top10_capture", "mean")] == pytest.approx(0.3)
    assert table.loc["rfm", ("top10_capture", "min")] == pytest.approx(0.2)
    assert table.loc["tuned", ("top10_capture", "max")] == pytest.approx(0.5)


def test_build_fold_notes_short_history(config):
    tables = make_tables(HISTORY + LATER, TICKETS, customers=[(c, "2023-01-01") for c in "ABCDE"])

    fold = build_fold(tables, cutoff("2024-06-30"), "3M", config, lang="en")

    assert fold.features.index.tolist() == ["A", "B", "C", "D", "E"]
    assert fold.labels.index.tolist() == ["A", "B", "C", "D", "E"]
    assert any("less than the 6M feature window" in note for note in fold.notes)
    assert any("outcomes are incomplete" in note for note in fold.notes)
