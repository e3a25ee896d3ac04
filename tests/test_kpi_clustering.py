"""Tests of the optional clustering check on generated tables with the real classifier and k-means."""

from __future__ import annotations

import pandas as pd
import pytest

from segmentation.config import load_config
from segmentation.kpi import quarterly_review
from segmentation.kpi_clustering import clustering_markdown, clustering_section, clustering_table
from segmentation.sample import generate_tables
from segmentation.schema import Tables


def reviewed_quarter():
    generated = generate_tables(200, seed=7)
    customers = generated["customers"]
    tables = Tables(customers=customers[customers["status"] == "active"], orders=generated["orders"],
                    tickets=generated["tickets"])
    return quarterly_review(tables, load_config(), "2024Q2").current


@pytest.fixture(scope="module")
def section():
    return clustering_section(reviewed_quarter(), seed=3, lang="en")


def test_clustering_row(section):
    row = section.table.loc["kmeans"]
    assert row["k"] == 3
    assert 0.0 <= row["nmi"] <= 1.0
    assert -1.0 <= row["ari"] <= 1.0
    assert section.notes == {"seed": 3}


def test_clustering_repeats_with_seed(section):
    again = clustering_section(reviewed_quarter(), seed=3, lang="en")
    pd.testing.assert_frame_equal(again.table, section.table)


@pytest.mark.parametrize(("lang", "start"), [("zh", "季度末用 k-means（k = 3，随机种子 3）"),
                                             ("en", "At the quarter end, k-means (k = 3, seed 3)")],
                         ids=["zh", "en"])
def test_clustering_text(section, lang, start):
    assert clustering_markdown(section, lang).startswith(start)
    assert clustering_table(section, lang).shape == (1, 6)


def test_clustering_table_is_display_text(section):
    table = clustering_table(section, "zh")

    assert list(table.index) == ["k-means"]
    assert list(table.columns) == ["簇数 k", "有效簇数", "轮廓系数", "ARI", "NMI", "AMI"]
    assert table.iloc[0, 0] == "3"
    assert table.iloc[0, 3] == f"{section.table.loc['kmeans', 'ari']:.3f}"
