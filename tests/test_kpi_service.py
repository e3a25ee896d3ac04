"""Tests of resolution time and SLA sections per label, with open tickets counted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.config import load_config
from segmentation.kpi_quarter import QuarterData
from segmentation.kpi_service import resolution_section, sla_section
from segmentation.schema import Tables

TZ = "Asia/Shanghai"
NaT = None

# customer, created, first response, resolved
Q2_TICKETS = [
    ("V1", "2024-04-01 10:00", "2024-04-01 10:10", "2024-04-01 12:00"),
    ("V2", "2024-04-02 10:00", "2024-04-02 10:05", "2024-04-02 14:00"),
    ("V3", "2024-04-03 10:00", "2024-04-03 10:30", "2024-04-04 10:00"),
    ("V4", "2024-04-05 10:00", "2024-04-05 10:15", "2024-04-05 11:00"),
    ("V5", "2024-04-06 10:00", "2024-04-06 10:01", NaT),
    ("R1", "2024-04-07 10:00", "2024-04-07 11:00", "2024-04-07 13:00"),
    ("R2", "2024-04-08 10:00", NaT, NaT),
]
Q1_TICKETS = [(customer, f"2024-01-1{day} 10:00", f"2024-01-1{day} 10:05", f"2024-01-1{day} 15:00")
              for day, customer in enumerate(["V1", "V2", "V3", "V4", "V5"])]
LABELS = pd.DataFrame({
    "customer_id": ["V1", "V2", "V3", "V4", "V5", "R1", "R2"],
    "label": ["vip"] * 5 + ["regular"] * 2,
})


def make_tickets(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "created_at", "first_response_at", "resolved_at"])
    frame.insert(0, "ticket_id", [f"T{i}" for i in range(len(frame))])
    for column in ("created_at", "first_response_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column]).dt.tz_localize(TZ)
    return frame


def quarter(tickets, name: str, start: str, end: str) -> QuarterData:
    tables = Tables(customers=LABELS[["customer_id"]], tickets=tickets)
    return QuarterData(quarter=name, start=pd.Timestamp(start, tz=TZ), end=pd.Timestamp(end, tz=TZ),
                       tables=tables, config=load_config(), labels_start=LABELS, labels_end=LABELS,
                       label_sources={})


@pytest.fixture(scope="module")
def quarters():
    tickets = make_tickets(Q2_TICKETS + Q1_TICKETS)
    return (quarter(tickets, "2024Q2", "2024-04-01", "2024-07-01"),
            quarter(tickets, "2024Q1", "2024-01-01", "2024-04-01"))


def test_resolution_per_label(quarters):
    table = resolution_section(*quarters).table

    assert list(table.index) == ["vip", "regular", "to_activate"]
    assert table["tickets"].tolist() == [5, 2, 0]
    assert table["resolved"].tolist() == [4, 1, 0]
    assert table["open"].tolist() == [1, 1, 0]
    assert table.loc["vip", "mean_hours"] == pytest.approx(7.75)
    assert table.loc["vip", "median_hours"] == pytest.approx(3.0)
    assert table.loc["vip", "p90_hours"] == pytest.approx(18.0)
    assert table["suppressed"].tolist() == [False, True, True]
    assert table.loc["regular", ["mean_hours", "median_hours", "p90_hours"]].isna().all()


def test_resolution_change_and_overall(quarters):
    section = resolution_section(*quarters)
    assert section.table.loc["vip", "previous_median_hours"] == pytest.approx(5.0)
    assert section.table.loc["vip", "change_median_hours"] == pytest.approx(-2.0)
    assert section.notes["median_hours"] == pytest.approx(3.0)
    assert section.notes["previous_median_hours"] == pytest.approx(5.0)


def test_sla_section_counts_unanswered(quarters):
    section = sla_section(*quarters)
    table = section.table

    assert table.loc["vip", ["met", "breached", "no_response"]].tolist() == [4, 1, 0]
    assert table.loc["vip", "attainment"] == pytest.approx(0.8)
    assert table.loc["vip", "previous_attainment"] == pytest.approx(1.0)
    assert table.loc["vip", "change"] == pytest.approx(-0.2)
    assert table.loc["regular", ["met", "no_response", "overdue"]].tolist() == [1, 1, 1]
    assert section.notes["overall"] == pytest.approx(5 / 7)
    assert section.notes["previous_overall"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("drop", "section_function", "reason"),
    [("first_response_at", sla_section, "no_first_response"),
     ("resolved_at", resolution_section, "no_resolution")],
    ids=["no-first-response", "no-resolution"],
)
def test_missing_time_column(drop, section_function, reason):
    tickets = make_tickets(Q2_TICKETS).drop(columns=[drop])
    result = section_function(quarter(tickets, "2024Q2", "2024-04-01", "2024-07-01"), None)
    assert result.missing == reason


@pytest.mark.parametrize("section_function", [sla_section, resolution_section], ids=["sla", "resolution"])
def test_orders_only_sections_are_missing(section_function):
    result = section_function(quarter(None, "2024Q2", "2024-04-01", "2024-07-01"), None)
    assert not result.available
    assert result.reason("en") == "missing, because the data has no tickets (service contacts), so this cannot be computed"
    assert result.reason("zh") == "缺失，原因：数据中没有工单（服务记录），无法计算本项"


def test_no_previous_quarter_leaves_change_blank(quarters):
    table = sla_section(quarters[0], None).table
    assert np.isnan(table.loc["vip", "previous_attainment"])
    assert np.isnan(table.loc["vip", "change"])
