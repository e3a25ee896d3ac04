"""Tests of the report prose and run facts: languages, rules, facts, file hashes, export."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from segmentation import __version__
from segmentation.config import load_config
from segmentation.kpi import review_from_quarters
from segmentation.kpi_quarter import QuarterData
from segmentation.kpi_facts import file_hashes, run_facts, volatile_facts
from segmentation.kpi_report import (
    decisions_markdown,
    export_tables,
    rule_table_frame,
    section_markdown,
    strategy_frame,
    title_markdown,
)
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


def test_orders_only_sections_explain_what_is_missing(review):
    assert section_markdown(review, "csat", "en") == (
        "## Satisfaction (CSAT)\n\n"
        "missing, because the data has no tickets (service contacts), so this cannot be computed")
    assert "缺失，原因：数据中没有工单" in section_markdown(review, "sla", "zh")


def test_decisions_markdown_without_items(review):
    text = decisions_markdown(review, "en")
    assert "Nothing needs a decision this quarter." in text
    assert "Rule: rank by category" in text


def test_rule_table_has_every_combination():
    frame = rule_table_frame(load_config(), "zh")
    assert len(frame) == 36
    assert frame.iloc[0].tolist() == ["高价值", "高活跃", "产品咨询型", "VIP重点维护客户"]


def test_strategy_frame():
    frame = strategy_frame(load_config(), "en")
    assert frame["label"].tolist() == ["VIP key account", "regular service", "to be activated"]
    assert frame["target (min)"].tolist() == ["15", "120", "120"]
    assert frame["clock"].tolist() == ["7×24", "working hours", "working hours"]


def test_run_facts_are_stable(review):
    parameters = {"source": "sample", "quarter": "2024Q2", "config": "", "lang": "en", "output_dir": ""}
    facts = run_facts(review.current.tables, parameters, "en").set_index("fact")["value"]
    assert facts["data window"] == "2024-01-05 – 2024-06-30"
    assert facts["configuration"] == "defaults"
    assert facts["orders rows"] == "2"
    assert facts["tickets rows"] == "—"
    assert facts["segmentation version"] == __version__
    assert facts["holiday calendar"].startswith("chinesecalendar 1.11")


def test_file_hashes_name_files_only(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(b"abc")
    tables = Tables(customers=LABELS[["customer_id"]], files={"orders": [str(path)]})
    frame = file_hashes(tables, "en")
    assert frame.iloc[0].tolist() == ["orders", "orders.csv", hashlib.sha256(b"abc").hexdigest()]


def test_volatile_facts_with_fixed_time():
    frame = volatile_facts(TZ, "en", now=pd.Timestamp("2024-07-02 09:30:00", tz=TZ))
    assert frame.iloc[0].tolist() == ["run time", "2024-07-02 09:30:00 CST"]
    assert frame.iloc[1, 0] == "git commit"


def test_export_tables(review, tmp_path):
    written = export_tables(review, tmp_path)
    names = [path.name for path in written]
    assert names[:3] == ["2024Q2_headline.csv", "2024Q2_decisions.csv", "2024Q2_anomalies.csv"]
    assert "2024Q2_csat.csv" not in names
    assert "2024Q2_migration.csv" in names
    assert pd.read_csv(tmp_path / "2024Q2_migration.csv", index_col=0, encoding="utf-8-sig").shape == (3, 3)
