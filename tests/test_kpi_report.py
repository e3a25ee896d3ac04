"""Tests of the report prose and run facts: languages, rules, facts, file hashes, export."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pandas as pd
import pytest

from segmentation import __version__
from segmentation.config import load_config
from segmentation.kpi import review_from_quarters
from segmentation.kpi_quarter import QuarterData
from segmentation.kpi_facts import file_hashes, run_facts, volatile_facts
from segmentation.kpi_result import Section
from segmentation.kpi_report import (
    decisions_markdown,
    export_tables,
    followups_markdown,
    overrides_markdown,
    quality_frames,
    rule_table_frame,
    section_markdown,
    strategy_frame,
    title_markdown,
)
from segmentation.quality import QualityReport, TableLedger
from segmentation.schema import Tables

TZ = "Asia/Shanghai"
LABELS = pd.DataFrame({"customer_id": ["C1", "C2"], "label": ["regular", "to_activate"],
                       "value_tier": ["mid", "low"]})
ORDERS = pd.DataFrame({
    "order_id": ["O1", "O2"], "customer_id": ["C1", "C2"],
    "order_date": pd.to_datetime(["2024-01-05 10:00", "2024-06-30 10:00"]).tz_localize(TZ),
    "amount": [100.0, 50.0],
})


@pytest.fixture(scope="module")
def review():
    tables = Tables(customers=LABELS[["customer_id"]], orders=ORDERS, source="/data/shop/orders_2024")
    config = load_config()
    quarters = [QuarterData(quarter=name, start=pd.Timestamp(start, tz=TZ), end=pd.Timestamp(end, tz=TZ),
                            tables=tables, config=config, labels_start=LABELS, labels_end=LABELS,
                            label_sources={"start": "s", "end": "e"})
                for name, start, end in (("2024Q2", "2024-04-01", "2024-07-01"),
                                         ("2024Q1", "2024-01-01", "2024-04-01"))]
    return review_from_quarters(*quarters)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("zh", "# 2024Q2 客户分层季度复盘"), ("en", "# Quarterly review of customer segments, 2024Q2")],
    ids=["zh", "en"],
)
def test_title_in_both_languages(review, lang, expected):
    text = title_markdown(review, lang)
    assert text.startswith(expected)
    assert "orders_2024" in text
    assert "/data/shop" not in text


@pytest.mark.parametrize(
    ("lang", "scope"),
    [("zh", "本报告复盘 2024Q2（2024-04-01 至 2024-06-30，Asia/Shanghai 时间）"),
     ("en", "This report reviews 2024Q2 (2024-04-01 to 2024-06-30, Asia/Shanghai time)")],
    ids=["zh", "en"],
)
def test_title_states_scope(review, lang, scope):
    line = title_markdown(review, lang).split("\n\n")[1]
    assert line.startswith(scope)
    assert "2024Q1" in line
    assert "\n" not in line


def test_orders_only_sections_explain_what_is_missing(review):
    assert section_markdown(review, "csat", "en") == (
        "## Satisfaction (CSAT)\n\n"
        "missing, because the data has no tickets (service contacts), so this cannot be computed")
    assert "缺失，原因：数据中没有工单" in section_markdown(review, "sla", "zh")


def test_anomalies_without_tickets_give_reason(review):
    text = section_markdown(review, "anomalies", "en")

    assert "missing, because the data has no tickets (service contacts)" in text
    assert "No label moved significantly" not in text


def test_decisions_markdown_without_items(review):
    text = decisions_markdown(review, "en")
    assert "Nothing needs a decision this quarter." in text
    assert "Rule: rank by category" in text
    assert "SLA attainment under 90%" in text


def test_overrides_followups_missing_reasons(review):
    assert overrides_markdown(review, "en") == "missing, because the data has no label overrides (appeals)"
    assert followups_markdown(review, "zh") == "缺失，原因：数据中没有回访记录"


@pytest.mark.parametrize(
    ("missing", "exported", "expected"),
    [(3, False, "**VIP monthly follow-up**: of 1,297 VIP customers at the start, 3 missed at least one month."),
     (25, False, "**VIP monthly follow-up**: of 1,297 VIP customers at the start, 25 missed at least one month."
                 "\n\nThe table lists the first 20, most months missed first, by customer id only."),
     (25, True, "**VIP monthly follow-up**: of 1,297 VIP customers at the start, 25 missed at least one month."
                "\n\nThe table lists the first 20, most months missed first, by customer id only. "
                "The exported tables have the full list.")],
    ids=["all-listed", "list-cut", "list-cut-exported"],
)
def test_followups_markdown_states_list_limit(review, missing, exported, expected):
    followups = Section("vip_followups", table=pd.DataFrame(),
                        notes={"vip_customers": 1297, "customers_missing": missing})
    with_followups = dataclasses.replace(review, sections={**review.sections, "vip_followups": followups})

    assert followups_markdown(with_followups, "en", exported=exported) == expected


def test_rule_table_has_every_combination():
    frame = rule_table_frame(load_config(), "zh")
    assert frame.shape == (9, 4)
    assert frame.index.names == ["价值", "活跃"]
    assert frame.index[0] == ("高价值", "高活跃")
    assert list(frame.columns) == ["产品咨询型", "售后支持型", "潜在需求型", "无需求信号"]
    assert frame.iloc[0].tolist() == ["VIP重点维护客户"] * 4
    assert frame.loc[("低价值", "低活跃")].tolist() == ["待激活客户"] * 4


def test_strategy_frame():
    frame = strategy_frame(load_config(), "en")
    assert list(frame.index) == ["VIP key account", "regular service", "to be activated"]
    assert frame.index.name == "label"
    assert frame["target (min)"].tolist() == ["15", "120", "120"]
    assert frame["clock"].tolist() == ["24x7", "working hours", "working hours"]
    assert frame["dedicated agent"].tolist() == ["yes", "no", "no"]


def quality_report() -> QualityReport:
    """Orders: 1,200 rows read, 2 duplicates set aside, 1 refund counted; tickets: 3 rows, 1 repaired."""
    report = QualityReport()
    orders = TableLedger("orders", pd.DataFrame({"order_id": [str(i) for i in range(1200)]}),
                         pd.Series(["orders.csv"] * 1200), np.arange(2, 1202))
    orders.set_aside("exact_duplicate", pd.Series([True, True] + [False] * 1198))
    orders.count("refund_netted", pd.Series([False] * 5 + [True] + [False] * 1194))
    tickets = TableLedger("tickets", pd.DataFrame({"ticket_id": ["a", "b", "c"]}), pd.Series(["t.csv"] * 3),
                          np.arange(2, 5))
    tickets.repair("negative_duration", pd.Series([False, True, False]))
    report.add_ledger(orders)
    report.add_ledger(tickets)
    return report


@pytest.mark.parametrize(
    ("lang", "summary_row", "rule_index", "rule_row"),
    [("zh", ["1,200", "1,198", "0", "2", "否"], ("订单", "完全重复行"), ["搁置", "2"]),
     ("en", ["1,200", "1,198", "0", "2", "no"], ("orders", "exact duplicate"), ["set aside", "2"])],
    ids=["zh", "en"],
)
def test_quality_frames_show_display_text(lang, summary_row, rule_index, rule_row):
    tables = Tables(customers=LABELS[["customer_id"]], quality=quality_report())

    summary, rules = quality_frames(tables, lang)

    assert summary.iloc[0].tolist() == summary_row
    assert rules.index[0] == rule_index
    assert rules.iloc[0].tolist() == rule_row
    assert "refund_netted" not in rules.index.get_level_values(1)


def test_quality_frames_headers_in_chinese():
    summary, rules = quality_frames(Tables(customers=LABELS[["customer_id"]], quality=quality_report()), "zh")
    assert summary.index.name == "表"
    assert list(summary.columns) == ["读取行数", "保留", "修复", "搁置", "由其他表推导"]
    assert list(summary.index) == ["订单", "工单"]
    assert rules.index.names == ["表", "规则"]
    assert list(rules.columns) == ["处理", "行数"]
    assert rules["处理"].tolist() == ["搁置", "计数（保留）", "修复"]


def test_quality_frames_without_report():
    assert quality_frames(Tables(customers=LABELS[["customer_id"]]), "zh") is None


def test_run_facts_are_stable(review):
    parameters = {"source": "sample", "quarter": "2024Q2", "config": "", "lang": "en", "output_dir": ""}
    facts = run_facts(review.current.tables, parameters, "en")["value"]
    assert facts.index.name == "fact"
    assert facts["data source"] == "sample"
    assert facts["language"] == "English"
    assert facts["data window"] == "2024-01-05 – 2024-06-30"
    assert facts["configuration"] == "defaults"
    assert facts["orders rows"] == "2"
    assert facts["tickets rows"] == "—"
    assert facts["segmentation version"] == __version__
    assert facts["holiday calendar"].startswith("chinesecalendar 1.11")


def test_run_facts_name_source_without_folders(review):
    parameters = {"source": "/home/analyst/data/shop.yaml", "quarter": "2024Q2", "config": "", "lang": "zh",
                  "output_dir": ""}
    facts = run_facts(review.current.tables, parameters, "zh")["值"]
    assert facts["数据来源"] == "shop.yaml"
    assert facts["语言"] == "中文"
    assert facts["订单表行数"] == "2"


def test_file_hashes_name_files_only(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(b"abc")
    tables = Tables(customers=LABELS[["customer_id"]], files={"orders": [str(path)]})
    frame = file_hashes(tables, "zh")
    assert list(frame.index) == ["订单"]
    assert frame.iloc[0].tolist() == ["orders.csv", hashlib.sha256(b"abc").hexdigest()]


def test_volatile_facts_with_fixed_time():
    frame = volatile_facts(TZ, "en", now=pd.Timestamp("2024-07-02 09:30:00", tz=TZ))
    assert list(frame.index) == ["run time", "git commit"]
    assert frame.loc["run time", "value"] == "2024-07-02 09:30:00 CST"


def test_export_tables(review, tmp_path):
    written = export_tables(review, tmp_path)
    names = [path.name for path in written]
    assert names[:3] == ["2024Q2_headline.csv", "2024Q2_decisions.csv", "2024Q2_anomalies.csv"]
    assert "2024Q2_csat.csv" not in names
    assert "2024Q2_migration.csv" in names
    assert pd.read_csv(tmp_path / "2024Q2_migration.csv", index_col=0, encoding="utf-8-sig").shape == (3, 3)
