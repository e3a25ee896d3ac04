"""Tests of the formatted review tables: suppressed markers, percentages, reasons, display names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.config import load_config
from segmentation.kpi_display import display_anomalies, display_headline, display_migration, display_section
from segmentation.kpi_result import Section

LABELS = pd.Index(["vip", "regular", "to_activate"], name="label")


@pytest.fixture(scope="module")
def config():
    return load_config()


@pytest.fixture(scope="module")
def sla():
    table = pd.DataFrame({
        "customers": [6, 2, 0], "tickets": [10, 3, 0], "met": [8, 2, 0], "breached": [2, 1, 0],
        "no_response": [0, 0, 0], "overdue": [0, 0, 0], "attainment": [0.8, np.nan, np.nan],
        "target_minutes": [15.0, 120.0, 120.0], "clock": ["24x7", "working_hours", "working_hours"],
        "suppressed": [False, True, True], "previous_attainment": [1.0, 0.5, np.nan],
        "change": [-0.2, np.nan, np.nan],
    }, index=LABELS)
    return Section("sla", table=table)


@pytest.mark.parametrize(
    ("lang", "marker", "change", "clock"),
    [("zh", "—（样本不足）", "−20.0 个百分点", "7×24 小时"), ("en", "— (fewer than 5)", "−20.0 pp", "24x7")],
    ids=["zh", "en"],
)
def test_sla_display(config, sla, lang, marker, change, clock):
    frame = display_section(sla, config, lang)

    assert list(frame.index) == [config.label_name(key, lang) for key in LABELS]
    assert frame.iloc[0].tolist()[:2] == ["15", clock]
    assert frame.iloc[0, 7] == "80.0%"
    assert frame.iloc[0, 9] == change
    assert frame.iloc[1, 7] == marker
    assert frame.iloc[1, 8] == "50.0%"
    assert frame.iloc[2, 7] == marker


def test_suppressed_rate_never_shows_as_percent(config, sla):
    frame = display_section(sla, config, "en")
    assert "0.0%" not in frame.iloc[1].tolist()
    assert "100.0%" not in frame.iloc[1].tolist()


def test_missing_section_shows_reason(config):
    frame = display_section(Section("upgrade", missing="no_orders"), config, "en")
    assert frame.iloc[0, 0] == "missing, because the data has no orders, so there are no value tiers"


def test_headline_display(config):
    headline = pd.DataFrame({
        "value": [72.34, np.nan], "previous": [70.0, np.nan], "change": [2.34, np.nan],
        "arrow": ["↑", "—"], "unit": ["points", "fraction"], "missing": ["", "no_orders"],
    }, index=pd.Index(["csat", "upgrade"], name="kpi"))
    sections = {"csat": Section("csat", table=pd.DataFrame()), "upgrade": Section("upgrade", missing="no_orders")}

    frame = display_headline(headline, sections, "zh")

    assert frame.loc["满意度 CSAT（0–100）"].tolist() == ["72.3", "70.0", "+2.3 分", "↑"]
    assert frame.loc["中→高价值升级率"].tolist()[0] == "缺失，原因：数据中没有订单，无法划分价值层级"


@pytest.mark.parametrize(("lang", "change"), [("zh", "−1.1 小时"), ("en", "−1.1 h")], ids=["zh", "en"])
def test_headline_hours_change_has_unit(lang, change):
    headline = pd.DataFrame({"value": [21.0], "previous": [22.1], "change": [-1.1], "arrow": ["↓"],
                             "unit": ["hours"], "missing": [""]}, index=pd.Index(["resolution"], name="kpi"))

    frame = display_headline(headline, {"resolution": Section("resolution", table=pd.DataFrame())}, lang)

    assert frame.iloc[0].tolist() == ["21.0", "22.1", change, "↓"]


def test_migration_display_names(config):
    matrix = pd.DataFrame([[1, 0, 0], [2, 3, 0], [0, 2, 3]], index=LABELS.rename("start"),
                          columns=LABELS.rename("end"))
    frame = display_migration(Section("migration", table=matrix), config, "en")
    assert list(frame.index) == ["VIP key account", "regular service", "to be activated"]
    assert frame.index.name == "label at start"
    assert frame.loc["regular service", "VIP key account"] == "2"


def test_vip_followups_show_ids_only(config):
    table = pd.DataFrame({"customer_id": ["C001"], "missed_months": [2], "months": ["2024-05, 2024-06"]})
    frame = display_section(Section("vip_followups", table=table), config, "en")
    assert frame.index.name == "customer id"
    assert list(frame.index) == ["C001"]
    assert list(frame.columns) == ["months missed", "months without follow-up"]
    assert frame.iloc[0].tolist() == ["2", "2024-05, 2024-06"]


@pytest.mark.parametrize(
    ("customer_id", "shown"),
    [("C001", "C001"), ("00123", "00123"), ("li.wei@example.com", "li***"), ("13812345678", "13***"),
     ("+8613812345678", "+8***")],
    ids=["plain", "leading-zeros", "email", "mobile", "mobile-with-country-code"],
)
def test_personal_ids_are_masked(config, customer_id, shown):
    table = pd.DataFrame({"customer_id": [customer_id], "missed_months": [1], "months": ["2024-05"]})
    frame = display_section(Section("vip_followups", table=table), config, "en")
    assert frame.index[0] == shown


def test_conversion_headers_name_base_and_converted(config):
    table = pd.DataFrame({"customers": [1200], "count": [15], "rate": [0.0125], "previous_rate": [0.02],
                          "change": [-0.0075]}, index=pd.Index(["mid_to_high"], name="measure"))

    frame = display_section(Section("upgrade", table=table), config, "zh")

    assert list(frame.columns[:2]) == ["季度初客户数", "已转化"]
    assert frame.iloc[0].tolist() == ["1,200", "15", "1.2%", "2.0%", "−0.8 个百分点"]


def test_overrides_count_header(config):
    table = pd.DataFrame({"count": [8]}, index=pd.Index(["decided"], name="measure"))
    frame = display_section(Section("overrides", table=table), config, "zh")
    assert list(frame.columns) == ["条数"]
    assert list(frame.index) == ["本季度审批的调整"]


def test_anomalies_indexed_by_label_and_metric(config):
    anomalies = pd.DataFrame({"label": ["to_activate"], "metric": ["after_sales_share"], "previous": [0.386],
                              "current": [0.159], "change": [-0.227], "p_value": [0.00002], "customers": [60]})

    frame = display_anomalies(anomalies, config, "en")

    assert frame.index.names == ["label", "metric"]
    assert frame.index[0] == ("to be activated", "after-sales share")
    assert frame.iloc[0].tolist() == ["38.6%", "15.9%", "−22.7 pp", "<0.001", "60"]
