"""Tests of CSAT per label: counts, means, t-intervals, scale, change and suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.config import load_config
from segmentation.kpi_csat import csat_section, source_scale, t_interval, to_scale, welch_p_value
from segmentation.kpi_quarter import QuarterData
from segmentation.schema import Tables

TZ = "Asia/Shanghai"

# customer, created, score on 1-5 (None = not rated)
Q2_TICKETS = [
    ("V1", "2024-04-02 10:00", 5), ("V1", "2024-04-09 10:00", 4), ("V1", "2024-05-02 10:00", 4),
    ("V2", "2024-05-20 10:00", 5), ("V2", "2024-06-03 10:00", 4), ("V2", "2024-06-28 10:00", 3),
    ("R1", "2024-04-15 10:00", 4), ("R2", "2024-05-15 10:00", 3), ("R3", "2024-06-15 10:00", None),
    ("V1", "2024-07-01 00:00", 1),
]
Q1_TICKETS = [
    ("V1", "2024-01-10 10:00", 5), ("V1", "2024-02-10 10:00", 5),
    ("V2", "2024-03-10 10:00", 5), ("V2", "2024-03-31 23:59", 4),
]
LABELS = pd.DataFrame({
    "customer_id": ["V1", "V2", "R1", "R2", "R3", "A1"],
    "label": ["vip", "vip", "regular", "regular", "regular", "to_activate"],
})


def make_tickets(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "created_at", "csat"])
    frame.insert(0, "ticket_id", [f"T{i}" for i in range(len(frame))])
    frame["created_at"] = pd.to_datetime(frame["created_at"]).dt.tz_localize(TZ)
    frame["csat"] = frame["csat"].astype(float)
    frame["csat_min"], frame["csat_max"] = 1.0, 5.0
    frame["csat_100"] = (frame["csat"] - 1) / 4 * 100
    return frame


def quarter(tables: Tables, config, name: str, start: str, end: str) -> QuarterData:
    return QuarterData(quarter=name, start=pd.Timestamp(start, tz=TZ), end=pd.Timestamp(end, tz=TZ),
                       tables=tables, config=config, labels_start=LABELS, labels_end=LABELS, label_sources={})


@pytest.fixture(scope="module")
def small_groups_config():
    return load_config(overrides={"review": {"min_group_size": 2}})


@pytest.fixture(scope="module")
def section(small_groups_config):
    tickets = make_tickets(Q2_TICKETS + Q1_TICKETS)
    tables = Tables(customers=LABELS[["customer_id"]], tickets=tickets)
    current = quarter(tables, small_groups_config, "2024Q2", "2024-04-01", "2024-07-01")
    previous = quarter(tables, small_groups_config, "2024Q1", "2024-01-01", "2024-04-01")
    return csat_section(current, previous)


def test_csat_counts_and_order(section):
    table = section.table
    assert list(table.index) == ["vip", "to_activate", "regular"]
    assert table["customers"].tolist() == [2, 0, 2]
    assert table["ratings"].tolist() == [6, 0, 2]


def test_csat_means_on_both_scales(section):
    table = section.table
    assert table.loc["vip", "mean_100"] == pytest.approx(79.1666667)
    assert table.loc["vip", "mean_scale"] == pytest.approx(4.1666667)
    assert table.loc["regular", "mean_100"] == pytest.approx(62.5)
    assert np.isnan(table.loc["to_activate", "mean_100"])
    assert section.notes["scale"] == (1.0, 5.0)
    assert section.notes["overall_100"] == pytest.approx(75.0)


def test_csat_t_interval_bounds(section):
    vip = section.table.loc["vip"]
    assert vip["ci_low_100"] == pytest.approx(59.4170054)
    assert vip["ci_high_100"] == pytest.approx(98.9163279)
    assert vip["ci_low_scale"] == pytest.approx(3.3766802)
    assert vip["ci_high_scale"] == pytest.approx(4.9566531)
    assert section.notes["method"] == "t-interval"


def test_csat_change_against_previous_quarter(section):
    vip = section.table.loc["vip"]
    assert vip["previous_100"] == pytest.approx(93.75)
    assert vip["change_100"] == pytest.approx(79.1666667 - 93.75)
    assert vip["p_value"] == pytest.approx(0.1791986, abs=1e-6)
    assert not vip["significant"]
    assert section.notes["previous_overall_100"] == pytest.approx(93.75)


@pytest.mark.parametrize(("significance", "significant"), [(0.05, False), (0.2, True)],
                         ids=["default-level", "loose-level"])
def test_csat_significance_from_config(significance, significant):
    config = load_config(overrides={"review": {"min_group_size": 2, "significance": significance}})
    tables = Tables(customers=LABELS[["customer_id"]], tickets=make_tickets(Q2_TICKETS + Q1_TICKETS))
    current = quarter(tables, config, "2024Q2", "2024-04-01", "2024-07-01")
    previous = quarter(tables, config, "2024Q1", "2024-01-01", "2024-04-01")

    result = csat_section(current, previous)

    assert result.table.loc["vip", "significant"] == significant
    assert result.notes["alpha"] == significance


def test_csat_suppressed_with_default_group_size():
    config = load_config()
    tickets = make_tickets(Q2_TICKETS)
    tables = Tables(customers=LABELS[["customer_id"]], tickets=tickets)
    result = csat_section(quarter(tables, config, "2024Q2", "2024-04-01", "2024-07-01"), None)

    assert result.table["suppressed"].all()
    assert result.table["mean_100"].isna().all()
    assert result.table["ratings"].tolist() == [6, 0, 2]


@pytest.mark.parametrize(
    ("tickets", "reason"),
    [(None, "no_tickets"),
     (make_tickets(Q2_TICKETS).assign(csat=np.nan, csat_100=np.nan), "no_csat")],
    ids=["orders-only", "unrated"],
)
def test_csat_missing_reasons(tickets, reason):
    config = load_config()
    tables = Tables(customers=LABELS[["customer_id"]], tickets=tickets)
    result = csat_section(quarter(tables, config, "2024Q2", "2024-04-01", "2024-07-01"), None)
    assert result.missing == reason
    assert result.reason("en").startswith("missing, because")
    assert result.reason("zh").startswith("缺失，原因：")


def test_mixed_scales_case():
    """Channel A on 1-5 (5, 4, 2) and B on 0-10 (9, 10, 3) average 70.0 on 0-100, i.e. 3.8 on 1-5."""
    rated = pd.DataFrame({
        "csat_min": [1.0, 1.0, 1.0, 0.0, 0.0, 0.0],
        "csat_max": [5.0, 5.0, 5.0, 10.0, 10.0, 10.0],
        "csat_100": [100.0, 75.0, 25.0, 90.0, 100.0, 30.0],
    })
    assert rated["csat_100"].mean() == pytest.approx(70.0)
    assert to_scale(70.0, (1.0, 5.0)) == pytest.approx(3.8)
    assert source_scale(rated) == (0.0, 10.0)
    assert source_scale(rated.iloc[:4]) == (1.0, 5.0)


def test_t_interval_clipped_to_scale():
    assert t_interval(np.array([100.0, 75.0, 25.0])) == (0.0, 100.0)
    assert all(np.isnan(t_interval(np.array([80.0]))))


def test_welch_needs_two_values_each():
    assert np.isnan(welch_p_value(np.array([80.0]), np.array([70.0, 60.0])))
