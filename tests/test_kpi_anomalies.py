"""Tests of the anomaly sections: after-sales shift, overrides decided late, VIP follow-ups missed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.config import load_config
from segmentation.kpi_anomalies import (
    after_sales_section,
    overrides_section,
    significant_shifts,
    two_proportion_p_value,
    vip_followup_section,
)
from segmentation.kpi_quarter import QuarterData
from segmentation.kpi_result import Section
from segmentation.schema import Tables

TZ = "Asia/Shanghai"
VIPS = ["V1", "V2", "V3", "V4", "V5"]
LABELS = pd.DataFrame({"customer_id": VIPS + ["R1"], "label": ["vip"] * 5 + ["regular"]})


def local(values) -> pd.Series:
    return pd.Series(pd.to_datetime(pd.Series(values))).dt.tz_localize(TZ)


def tickets_of(quarter_start: str, complaints: int, total: int) -> pd.DataFrame:
    """``total`` VIP tickets spread over V1-V5, the first ``complaints`` of them complaints."""
    start = pd.Timestamp(quarter_start)
    return pd.DataFrame({
        "customer_id": [VIPS[i % 5] for i in range(total)],
        "created_at": [start + pd.Timedelta(days=i) for i in range(total)],
        "issue_type": ["Complaint"] * complaints + ["Product question"] * (total - complaints),
    })


def quarter(tables: Tables, start="2024-04-01", end="2024-07-01", labels=LABELS, config=None) -> QuarterData:
    return QuarterData(quarter="2024Q2", start=pd.Timestamp(start, tz=TZ), end=pd.Timestamp(end, tz=TZ),
                       tables=tables, config=config or load_config(), labels_start=labels,
                       labels_end=labels, label_sources={})


@pytest.mark.parametrize(
    ("successes", "trials", "z", "p"),
    [((30, 10), (100, 100), 3.5355339, 0.000406952),
     ((8, 2), (10, 10), 2.6832816, 0.007290358)],
    ids=["30-of-100-vs-10-of-100", "8-of-10-vs-2-of-10"],
)
def test_two_proportion_z_test(successes, trials, z, p):
    result = two_proportion_p_value(successes, trials)
    assert result[0] == pytest.approx(z)
    assert result[1] == pytest.approx(p, rel=1e-6)


@pytest.mark.parametrize(("successes", "trials"), [((0, 0), (5, 5)), ((1, 0), (3, 0))],
                         ids=["no-variance", "no-trials"])
def test_two_proportion_undefined(successes, trials):
    assert all(np.isnan(two_proportion_p_value(successes, trials)))


@pytest.fixture(scope="module")
def after_sales():
    tickets = pd.concat([tickets_of("2024-04-01", 8, 10), tickets_of("2024-01-01", 2, 10)], ignore_index=True)
    tickets["created_at"] = local(tickets["created_at"])
    tables = Tables(customers=LABELS[["customer_id"]], tickets=tickets)
    current = quarter(tables)
    previous = quarter(tables, start="2024-01-01", end="2024-04-01")
    return after_sales_section(current, previous)


def test_after_sales_shift_is_significant(after_sales):
    vip = after_sales.table.loc["vip"]
    assert vip[["customers", "tickets", "after_sales"]].tolist() == [5, 10, 8]
    assert vip["share"] == pytest.approx(0.8)
    assert vip["previous_share"] == pytest.approx(0.2)
    assert vip["p_value"] == pytest.approx(0.007290358, rel=1e-6)
    assert vip["significant"]


def test_after_sales_significance_from_config():
    strict = load_config(overrides={"review": {"significance": 0.005}})
    tickets = pd.concat([tickets_of("2024-04-01", 8, 10), tickets_of("2024-01-01", 2, 10)], ignore_index=True)
    tickets["created_at"] = local(tickets["created_at"])
    tables = Tables(customers=LABELS[["customer_id"]], tickets=tickets)

    result = after_sales_section(quarter(tables, config=strict),
                                 quarter(tables, start="2024-01-01", end="2024-04-01", config=strict))

    assert result.table.loc["vip", "p_value"] == pytest.approx(0.007290358, rel=1e-6)
    assert not result.table.loc["vip", "significant"]
    assert result.notes["alpha"] == 0.005


def test_after_sales_small_groups_not_tested(after_sales):
    table = after_sales.table
    assert list(table.index) == ["vip", "regular", "to_activate"]
    assert table.loc[["regular", "to_activate"], "suppressed"].all()
    assert table.loc[["regular", "to_activate"], "p_value"].isna().all()


def test_significant_shifts_lists_after_sales(after_sales):
    csat = Section("csat", missing="no_csat")
    shifts = significant_shifts(csat, after_sales)
    assert shifts["label"].tolist() == ["vip"]
    assert shifts["metric"].tolist() == ["after_sales_share"]
    assert shifts["change"].tolist() == pytest.approx([0.6])


def test_after_sales_missing_without_issue_type():
    tickets = tickets_of("2024-04-01", 1, 5).drop(columns=["issue_type"])
    tickets["created_at"] = local(tickets["created_at"])
    section = after_sales_section(quarter(Tables(customers=LABELS[["customer_id"]], tickets=tickets)), None)
    assert section.missing == "no_issue_type"


OVERRIDES = pd.DataFrame(
    [("V1", "regular", "appeal", "Wang", "2024-04-01 09:00", "2024-04-01 20:00", None),
     ("V2", "regular", "appeal", "Wang", "2024-04-10 09:00", "2024-04-12 09:00", None),
     ("V3", "regular", "appeal", "Li", "2024-03-30 09:00", "2024-03-30 10:00", None),
     ("V4", "regular", "appeal", "Li", "2024-04-20 09:00", "2024-04-20 10:00", "2024-05-01 00:00")],
    columns=["customer_id", "label", "reason", "approved_by", "requested_at", "decided_at", "expires_at"],
)


def test_overrides_decided_in_quarter():
    overrides = OVERRIDES.copy()
    for column in ("requested_at", "decided_at", "expires_at"):
        overrides[column] = local(overrides[column])
    section = overrides_section(quarter(Tables(customers=LABELS[["customer_id"]], overrides=overrides)))

    assert section.table["count"].to_dict() == {
        "decided": 3, "decided_in_time": 2, "late": 1, "in_force_at_end": 2, "expired_by_end": 1,
    }
    assert section.notes["share_in_time"] == pytest.approx(2 / 3)
    assert section.notes["appeal_hours"] == 24.0


def test_vip_followups_missing_months():
    followups = pd.DataFrame({
        "customer_id": ["V1", "V1", "V1", "V2", "V2", "V4", "V5", "V5", "V5", "V4", "V4"],
        "followup_at": ["2024-04-05 10:00", "2024-05-05 10:00", "2024-06-05 10:00",
                        "2024-04-05 10:00", "2024-06-30 20:00", "2024-04-05 10:00",
                        "2024-04-01 00:00", "2024-05-31 23:59", "2024-06-30 23:59",
                        "2024-05-05 10:00", "2024-06-05 10:00"],
    })
    # V2's second follow-up is 2024-06-30T20:00Z, which is 2024-07-01 04:00 in Beijing: outside Q2.
    followups["followup_at"] = pd.Series(pd.to_datetime(followups["followup_at"])).dt.tz_localize(TZ)
    followups.loc[4, "followup_at"] = pd.Timestamp("2024-06-30T20:00Z").tz_convert(TZ)
    tables = Tables(customers=LABELS[["customer_id"]], followups=followups)

    section = vip_followup_section(quarter(tables))

    expected = pd.DataFrame({
        "customer_id": ["V3", "V2"],
        "missed_months": [3, 2],
        "months": ["2024-04, 2024-05, 2024-06", "2024-05, 2024-06"],
    }).astype({"customer_id": "str", "missed_months": "int64", "months": "str"})
    pd.testing.assert_frame_equal(section.table, expected)
    assert section.notes["vip_customers"] == 5
    assert section.notes["customers_missing"] == 2


@pytest.mark.parametrize(
    ("function", "reason"),
    [(vip_followup_section, "no_followups"), (overrides_section, "no_overrides")],
    ids=["followups", "overrides"],
)
def test_missing_tables(function, reason):
    section = function(quarter(Tables(customers=LABELS[["customer_id"]])))
    assert section.missing == reason
    assert section.reason("en").startswith("missing, because the data has no")
