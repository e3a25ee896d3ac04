"""Tests of the weight-tuning headline of the quarterly review: the run, its limits in time, and its display."""

from __future__ import annotations

import pandas as pd
import pytest

from segmentation.config import SCORE_DIMENSIONS, load_config
from segmentation.kpi import quarterly_review
from segmentation.kpi_quarter import QuarterData
from segmentation.kpi_result import Section
from segmentation.kpi_tuning import tuning_markdown, tuning_section, tuning_table
from segmentation.sample import generate_tables
from segmentation.schema import Tables

TZ = "Asia/Shanghai"


@pytest.fixture(scope="module")
def section():
    generated = generate_tables(200, seed=7)
    customers = generated["customers"]
    tables = Tables(customers=customers[customers["status"] == "active"], orders=generated["orders"],
                    tickets=generated["tickets"])
    current = quarterly_review(tables, load_config(), "2024Q1").current
    return tuning_section(current, seed=3, lang="en")


def test_tuning_compares_configured_and_tuned(section):
    table = section.table
    assert list(table.index) == ["configured", "tuned"]
    assert list(table.columns) == [*SCORE_DIMENSIONS, "top10_capture"]
    assert table.loc["configured", list(SCORE_DIMENSIONS)].to_dict() == pytest.approx(dict(load_config().weights))
    assert table[list(SCORE_DIMENSIONS)].sum(axis=1).tolist() == pytest.approx([1.0, 1.0])
    assert table["top10_capture"].between(0, 1).all()


def test_tuning_uses_no_data_after_the_quarter(section):
    # The generated data runs to 2024-06-30; reviewing 2024Q1, the last outcome period must end by 2024-03-31.
    assert section.notes["end"] == "2024-03-31"
    assert section.notes["cutoffs"][-1] == "2023-12-31"
    assert section.notes["horizon"] == "3M"


def test_tuning_markdown_names_cutoffs(section):
    text = tuning_markdown(section, "en")
    assert text.startswith("**Dimension-weight tuning**: tested at 3 cut-offs (")
    assert "on the data up to 2024-03-31, each judged on the following 3 months" in text


def test_tuning_missing_when_no_cutoff_fits():
    orders = pd.DataFrame({
        "order_id": ["O1", "O2"], "customer_id": ["C1", "C2"],
        "order_date": pd.to_datetime(["2024-06-01 10:00", "2024-06-02 10:00"]).tz_localize(TZ),
        "amount": [100.0, 50.0],
    })
    labels = pd.DataFrame({"customer_id": ["C1", "C2"], "label": ["regular", "to_activate"]})
    tables = Tables(customers=labels[["customer_id"]], orders=orders)
    data = QuarterData(quarter="2024Q2", start=pd.Timestamp("2024-04-01", tz=TZ),
                       end=pd.Timestamp("2024-07-01", tz=TZ), tables=tables, config=load_config(),
                       labels_start=labels, labels_end=labels, label_sources={})

    result = tuning_section(data, lang="en")

    assert result.missing == "no_backtest"
    assert tuning_markdown(result, "en").startswith(
        "**Dimension-weight tuning**: missing, because no backtest is possible (")
    assert tuning_markdown(result, "zh").startswith("**维度权重调优**：缺失，原因：无法回测（")


def test_tuning_table_display_text():
    table = pd.DataFrame({"value": [0.5, 0.95], "activity": [0.3, 0.0], "need": [0.2, 0.025],
                          "loyalty": [0.0, 0.025], "top10_capture": [0.78219, 0.80710]},
                         index=pd.Index(["configured", "tuned"], name="scheme"))
    section = Section("tuning", table=table, notes={})

    frame = tuning_table(section, "zh")

    assert frame.index.name == "方案"
    assert list(frame.index) == ["当前配置权重", "调优后权重"]
    assert list(frame.columns) == ["价值", "活跃", "需求", "忠诚度", "前10%客户消费占比"]
    assert frame.loc["当前配置权重"].tolist() == ["50%", "30%", "20%", "0%", "78.2%"]
    assert frame.loc["调优后权重"].tolist() == ["95%", "0%", "2.5%", "2.5%", "80.7%"]


def test_tuning_markdown_difference_in_points():
    table = pd.DataFrame({"value": [0.5, 0.9], "activity": [0.3, 0.1], "need": [0.2, 0.0], "loyalty": [0.0, 0.0],
                          "top10_capture": [0.80, 0.78]}, index=pd.Index(["configured", "tuned"], name="scheme"))
    notes = {"end": "2024-06-30", "cutoffs": ["2024-03-31"], "horizon": "3M", "changed": 1200, "customers": 4000}

    text = tuning_markdown(Section("tuning", table=table, notes=notes), "zh")

    assert "平均捕获下期消费的 78.0%（调优后权重），当前配置权重下为 80.0%，相差 −2.0 个百分点" in text
    assert "1,200 位客户（30.0%）" in text
    assert "每个时点之后的 3 个月为结果期" in text
