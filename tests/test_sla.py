"""Tests of first-response SLA outcomes and attainment per label, on a quarter with holidays.

2024Q2 holidays: Qingming 04-04 to 04-06 off with Sunday 04-07 worked;
Labour Day 05-01 to 05-05 off with Sunday 04-28 and Saturday 05-11 worked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.config import load_config
from segmentation.sla import overall_attainment, sla_attainment, sla_outcomes

TZ = "Asia/Shanghai"
QUARTER_END = pd.Timestamp("2024-07-01 00:00", tz=TZ)

TICKETS = [
    # ticket, customer, created, first response, expected minutes, expected outcome, overdue
    ("K1", "V1", "2024-04-04 10:00", "2024-04-04 10:10", 10.0, "met", False),
    ("K2", "V2", "2024-05-01 03:00", "2024-05-01 03:20", 20.0, "breached", False),
    ("K3", "V3", "2024-04-10 12:00", "2024-04-10 12:15", 15.0, "met", False),
    ("K4", "V4", "2024-06-29 23:00", None, np.nan, "no_response", True),
    ("K5", "V5", "2024-06-30 23:50", None, np.nan, "no_response", False),
    ("K6", "R1", "2024-04-03 17:00", "2024-04-07 10:00", 120.0, "met", False),
    ("K7", "R2", "2024-04-30 17:00", "2024-05-06 09:30", 90.0, "met", False),
    ("K8", "R2", "2024-05-11 09:00", "2024-05-11 12:00", 180.0, "breached", False),
    ("K9", "X1", "2024-05-11 09:00", "2024-05-11 09:05", np.nan, None, False),
]
LABELS = pd.DataFrame({
    "customer_id": ["V1", "V2", "V3", "V4", "V5", "R1", "R2", "A1"],
    "label": ["vip"] * 5 + ["regular", "regular", "to_activate"],
})


@pytest.fixture(scope="module")
def config():
    return load_config()


@pytest.fixture(scope="module")
def tickets():
    frame = pd.DataFrame(TICKETS, columns=["ticket_id", "customer_id", "created_at", "first_response_at",
                                           "minutes", "outcome", "overdue"])
    for column in ("created_at", "first_response_at"):
        frame[column] = pd.to_datetime(frame[column]).dt.tz_localize(TZ)
    return frame


@pytest.fixture(scope="module")
def outcomes(tickets, config):
    return sla_outcomes(tickets.drop(columns=["minutes", "outcome", "overdue"]), LABELS, config,
                        as_of=QUARTER_END)


def test_outcomes_per_ticket(outcomes, tickets):
    pd.testing.assert_series_equal(outcomes["response_minutes"], tickets["minutes"], check_names=False)
    assert list(outcomes["outcome"].fillna("unlabelled")) == list(tickets["outcome"].fillna("unlabelled"))
    assert list(outcomes["overdue"]) == list(tickets["overdue"])


def test_unlabelled_ticket_has_no_target(outcomes):
    unlabelled = outcomes.set_index("ticket_id").loc["K9"]
    assert pd.isna(unlabelled["label"])
    assert np.isnan(unlabelled["target_minutes"])


def test_attainment_per_label(outcomes, config):
    table = sla_attainment(outcomes, config)

    expected = pd.DataFrame(
        {
            "customers": [5, 2, 0],
            "tickets": [5, 3, 0],
            "met": [2, 2, 0],
            "breached": [1, 1, 0],
            "no_response": [2, 0, 0],
            "overdue": [1, 0, 0],
            "attainment": [0.5, np.nan, np.nan],
            "target_minutes": [15.0, 120.0, 120.0],
            "clock": ["24x7", "working_hours", "working_hours"],
            "suppressed": [False, True, True],
        },
        index=pd.Index(["vip", "regular", "to_activate"], name="label"),
    )
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)


def test_attainment_small_group_shown_when_allowed(outcomes):
    config = load_config(overrides={"review": {"min_group_size": 2}})
    table = sla_attainment(outcomes, config)
    assert table.loc["regular", "attainment"] == pytest.approx(2 / 3)
    assert not table.loc["regular", "suppressed"]


def test_overall_attainment_counts_overdue(outcomes):
    assert overall_attainment(outcomes) == pytest.approx(4 / 7)


def test_no_as_of_means_nothing_overdue(tickets, config):
    result = sla_outcomes(tickets.drop(columns=["minutes", "outcome", "overdue"]), LABELS, config)
    assert not result["overdue"].any()
    assert int((result["outcome"] == "no_response").sum()) == 2


def test_strategy_columns_in_labels_take_precedence(tickets, config):
    labels = LABELS.assign(first_response_minutes=200.0, clock="working_hours")
    result = sla_outcomes(tickets.drop(columns=["minutes", "outcome", "overdue"]), labels, config)
    assert result.set_index("ticket_id").loc["K8", "outcome"] == "met"


def test_missing_ticket_column_is_named(config):
    with pytest.raises(KeyError, match=r"first_response_at.*columns present"):
        sla_outcomes(pd.DataFrame({"ticket_id": [], "customer_id": [], "created_at": []}), LABELS, config)


def test_empty_tickets_give_all_labels(config):
    empty = pd.DataFrame({
        "ticket_id": pd.Series(dtype="str"), "customer_id": pd.Series(dtype="str"),
        "created_at": pd.Series(dtype=f"datetime64[ns, {TZ}]"),
        "first_response_at": pd.Series(dtype=f"datetime64[ns, {TZ}]"),
    })
    table = sla_attainment(sla_outcomes(empty, LABELS, config, as_of=QUARTER_END), config)
    assert list(table.index) == ["vip", "regular", "to_activate"]
    assert table["tickets"].tolist() == [0, 0, 0]
    assert table["suppressed"].all()
