"""The Labour Day 2021 SLA case and the mixed-zone case, with the verdicts written out.

Calendar: days off 2021-05-01 to 05-05; make-up workdays Sunday 2021-04-25
and Saturday 2021-05-08; working hours 09:00-18:00.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.config import load_config
from segmentation.sla import sla_outcomes
from segmentation.workcalendar import working_minutes

TZ = "Asia/Shanghai"

CASES = pd.DataFrame(
    [
        ("T1", "C1", "2021-04-30 17:30", "2021-05-06 09:20", "regular", 50.0, "met"),
        ("T2", "C2", "2021-05-08 10:00", "2021-05-08 13:00", "regular", 180.0, "breached"),
        ("T3", "C3", "2021-04-25 16:30", "2021-04-26 09:45", "regular", 135.0, "breached"),
        ("T4", "C4", "2021-05-02 23:55", "2021-05-03 00:08", "vip", 13.0, "met"),
    ],
    columns=["ticket_id", "customer_id", "created", "responded", "label", "minutes", "verdict"],
)


@pytest.fixture(scope="module")
def config():
    return load_config()


@pytest.fixture(scope="module")
def outcomes(config):
    tickets = pd.DataFrame({
        "ticket_id": CASES["ticket_id"],
        "customer_id": CASES["customer_id"],
        "created_at": pd.to_datetime(CASES["created"]).dt.tz_localize(TZ),
        "first_response_at": pd.to_datetime(CASES["responded"]).dt.tz_localize(TZ),
    })
    labels = CASES[["customer_id", "label"]]
    return sla_outcomes(tickets, labels, config).set_index("ticket_id")


@pytest.mark.parametrize("ticket", CASES["ticket_id"], ids=list(CASES["ticket_id"]))
def test_case_minutes_and_verdict(outcomes, ticket):
    expected = CASES.set_index("ticket_id").loc[ticket]
    assert outcomes.loc[ticket, "response_minutes"] == expected["minutes"]
    assert outcomes.loc[ticket, "outcome"] == expected["verdict"]


def test_case_targets(outcomes):
    assert list(outcomes["target_minutes"]) == [120.0, 120.0, 120.0, 15.0]
    assert list(outcomes["clock"]) == ["working_hours", "working_hours", "working_hours", "24x7"]


def test_monday_to_friday_calendar_flips_t1_to_t3(config):
    """numpy's business-day calendar has weekends only, so 调休 and holidays go wrong."""
    working = CASES.iloc[:3]
    starts = pd.to_datetime(working["created"])
    ends = pd.to_datetime(working["responded"])

    naive_minutes = _monday_to_friday_minutes(starts, ends)

    assert list(naive_minutes) == [1670.0, 0.0, 45.0]
    naive_verdicts = ["met" if minutes <= 120 else "breached" for minutes in naive_minutes]
    assert naive_verdicts == ["breached", "met", "met"]
    assert naive_verdicts != list(working["verdict"])


def _monday_to_friday_minutes(starts: pd.Series, ends: pd.Series) -> np.ndarray:
    """Working minutes 09:00-18:00 on a Monday-to-Friday calendar, for comparison only."""
    def clipped(stamps: pd.Series) -> np.ndarray:
        minutes = stamps.dt.hour * 60 + stamps.dt.minute - 9 * 60
        return np.clip(minutes.to_numpy(dtype=float), 0, 540)

    start_days = starts.dt.normalize().to_numpy().astype("datetime64[D]")
    end_days = ends.dt.normalize().to_numpy().astype("datetime64[D]")
    whole_days = np.busday_count(start_days, end_days)
    start_on_busday = np.is_busday(start_days)
    end_on_busday = np.is_busday(end_days)
    return (whole_days * 540.0 - np.where(start_on_busday, clipped(starts), 0.0)
            + np.where(end_on_busday, clipped(ends), 0.0))


def test_timezone_case_naive_beijing_against_utc(config):
    created = pd.Series(["2024-04-01 09:00:00"])
    responded = pd.Series(["2024-04-01T01:10:00Z"])
    tickets = pd.DataFrame({"ticket_id": ["T9"], "customer_id": ["C9"],
                            "created_at": created, "first_response_at": responded})

    result = sla_outcomes(tickets, pd.DataFrame({"customer_id": ["C9"], "label": ["vip"]}), config)

    assert working_minutes(created, responded, config).iloc[0] == 10.0
    assert result.loc[0, "response_minutes"] == 10.0
    assert result.loc[0, "outcome"] == "met"
