"""Tests of the notebook's display tables, truth loading and output files."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib import pyplot as plt

from segmentation.clustering_models import CustomerClustering
from segmentation.clustering_prep import FeaturePrep
from segmentation.clustering_report import (
    data_summary,
    display_disagreements,
    display_profiles,
    latent_truth,
    localise_columns,
    rule_tier_table,
    section,
    truth_agreement,
    write_outputs,
)
from segmentation.config import load_config

FEATURES = pd.DataFrame(
    {"spend": [100.0, 120.0, 9000.0, 9500.0], "orders_per_month": [0.2, 0.3, 3.0, 2.5],
     "share_after_sales": [0.0, 0.0, 0.0, 0.0]},
    index=pd.Index(["C1", "C2", "C3", "C4"], name="customer_id"),
)


def test_localise_columns_rounds_and_renames():
    frame = pd.DataFrame({"silhouette": [0.123456], "bic": [-1234.5678], "other": [1.23456]},
                         index=pd.Index(["kmeans"], name="algorithm"))

    display = localise_columns(frame, "en")

    assert list(display.columns) == ["silhouette", "BIC", "other"]
    assert display.index.name == "algorithm"
    assert display.iloc[0].tolist() == [0.123, -1234.6, 1.235]
    assert localise_columns(frame, "zh").index.name == "算法"


def test_data_summary_states_missing_dimensions():
    features = FEATURES.copy()
    features.attrs.update({"as_of": pd.Timestamp("2024-06-30 23:59:59", tz="Asia/Shanghai"), "window": "6M"})
    prep = FeaturePrep(lang="en").fit(features)

    summary = data_summary(features, prep, "en")

    assert summary.to_dict("records") == [
        {"item": "customers", "value": "4"},
        {"item": "as of", "value": "2024-06-30 23:59:59"},
        {"item": "window", "value": "6M"},
        {"item": "dimension: value", "value": "uses spend"},
        {"item": "dimension: activity", "value": "uses orders per month"},
        {"item": "dimension: need", "value": "missing, not clustered"},
        {"item": "dimension: loyalty", "value": "missing, not clustered"},
    ]


def test_rule_tier_table_lists_every_tier():
    labels = pd.DataFrame({
        "value_tier": ["high", "mid", "mid", "low"],
        "activity_tier": ["low", "low", "low", "low"],
        "need_type": ["none"] * 4,
        "label": ["vip", "regular", "regular", "to_activate"],
    })

    table = rule_tier_table(labels, load_config(), "en")

    assert len(table) == 3 + 3 + 4 + 3
    activity = table[table["dimension"] == "activity"]
    assert activity["customers"].tolist() == [0, 0, 4]
    assert activity["tier"].tolist() == ["high activity", "mid activity", "low activity"]
    assert table[table["dimension"] == "composite label"]["share"].tolist() == [0.25, 0.5, 0.25]


def test_display_disagreements_uses_label_names():
    table = pd.DataFrame({"rule_label": ["vip"], "cluster": [1], "cluster_label": ["regular"], "confidence": [0.87654]},
                         index=pd.Index(["C9"], name="customer_id"))

    display = display_disagreements(table, {"vip": "VIP重点维护客户", "regular": "常规服务客户"})

    assert display.to_dict("records") == [{"规则标签": "VIP重点维护客户", "簇": 1, "簇对应的标签": "常规服务客户",
                                         "置信度": 0.877}]
    assert display.index.name == "客户ID"


def test_display_profiles_names_features():
    profile = pd.DataFrame({"size": [2], "share": [0.5], "spend": [1234.5678]}, index=pd.Index([0], name="cluster"))

    display = display_profiles(profile, "zh")

    assert list(display.columns) == ["客户数", "占比", "消费金额"]
    assert display.iloc[0].tolist() == [2, 0.5, 1234.57]


def test_latent_truth_reads_sample_folder(tmp_path):
    (tmp_path / "_truth").mkdir()
    (tmp_path / "_truth" / "latent_segments.csv").write_text(
        "customer_id,segment,segment_name\n00012,regular,常规客户\nC2,dormant,沉睡客户\n", encoding="utf-8")
    (tmp_path / "sample_source.yaml").write_text("name: sample\n", encoding="utf-8")

    from_folder = latent_truth(str(tmp_path))
    from_source_file = latent_truth(str(tmp_path / "sample_source.yaml"))

    assert from_folder.to_dict() == {"00012": "regular", "C2": "dormant"}
    assert from_source_file.to_dict() == from_folder.to_dict()


def test_latent_truth_is_none_without_truth(tmp_path):
    assert latent_truth(str(tmp_path)) is None


def test_truth_agreement_per_model():
    model = CustomerClustering(n_clusters=2, random_state=0, n_init=3).fit(FEATURES)
    truth = pd.Series(["small", "small", "large", "large"], index=FEATURES.index)

    table = truth_agreement({"kmeans": model}, FEATURES, truth)

    assert table.loc["kmeans", "ari"] == pytest.approx(1.0)
    assert table.loc["kmeans", "n_effective"] == 2


def test_write_outputs_writes_tables_and_charts(tmp_path):
    fig, ax = plt.subplots()
    ax.set_title("簇数 k 的选择")
    table = pd.DataFrame({"客户数": [1, 2]})

    written = write_outputs(tmp_path / "out", {"profiles": table}, {"k_selection": fig})
    plt.close(fig)

    assert written == ["k_selection.png", "profiles.csv"]
    assert (tmp_path / "out" / "profiles.csv").read_bytes().startswith("\ufeff".encode())
    assert (tmp_path / "out" / "k_selection.png").stat().st_size > 0


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sections_start_with_a_heading(lang):
    for key in ("summary", "tiers", "k", "agreement", "stability", "profiles", "pca", "disagreements",
                "conclusion", "truth", "outputs"):
        assert section(key, lang).startswith("## ")
