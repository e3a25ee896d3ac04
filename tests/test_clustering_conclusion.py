"""Tests of the plain-language conclusion built from measured checks."""

from __future__ import annotations

import pandas as pd
import pytest

from segmentation.clustering_compare import Agreement, label_purity, match_clusters
from segmentation.clustering_conclusion import conclude, conclusion_text

CONTINGENCY = pd.DataFrame(
    {"vip": [40, 0, 0, 0], "regular": [5, 50, 45, 0], "to_activate": [0, 10, 0, 50]},
    index=pd.Index([0, 1, 2, 3], name="cluster"),
)


def _agreement(ari: float, contingency: pd.DataFrame = CONTINGENCY) -> Agreement:
    matching = match_clusters(contingency)
    return Agreement(ari=ari, nmi=0.5, ami=0.5, contingency=contingency, matching=matching,
                     purity=label_purity(contingency, matching))


def _alignment(**ami: float) -> pd.DataFrame:
    frame = pd.DataFrame({"ami": ami, "ari": ami})
    frame.index.name = "dimension"
    return frame


@pytest.mark.parametrize(
    ("ari", "check"),
    [(0.9, "ari_agrees"), (0.65, "ari_agrees"), (0.5, "ari_partly"), (0.3, "ari_partly"), (0.1, "ari_differs")],
    ids=["high", "at-0.65", "middle", "at-0.30", "low"],
)
def test_overall_check_follows_ari(ari, check):
    findings = conclude(_agreement(ari), _alignment())

    assert findings[0].check == check


def test_activity_not_separated_in_chinese():
    findings = conclude(_agreement(0.2), _alignment(value=0.5, activity=0.05))

    texts = [finding.text for finding in findings]
    assert "规则对活跃度的划分在数据中并不明显（AMI = 0.05）。" in texts
    assert "聚类主要沿价值维度分开（AMI = 0.50）。" in texts
    assert "数据中的自然分组与规则标签差别很大（ARI = 0.20）。" in texts


def test_activity_not_separated_in_english():
    findings = conclude(_agreement(0.2), _alignment(activity=0.05), lang="en")

    assert findings[1].text == "The rules split activity, but the data does not separate it (AMI = 0.05)."


def test_middle_ami_gives_no_dimension_sentence():
    findings = conclude(_agreement(0.5), _alignment(need=0.2))

    assert [finding.check for finding in findings] == ["ari_partly", "label_split"]


def test_label_spread_over_clusters():
    contingency = pd.DataFrame({"vip": [10, 0, 0], "regular": [30, 20, 25], "to_activate": [0, 25, 0]},
                               index=[0, 1, 2])

    findings = conclude(_agreement(0.3, contingency), _alignment(), label_names={"regular": "常规服务客户"})

    texts = [finding.text for finding in findings]
    assert "「常规服务客户」的客户分散在多个数据分组中：只有 33% 落在与之对应的簇里。" in texts


def test_label_split_into_several_clusters():
    findings = conclude(_agreement(0.5), _alignment(), lang="en")

    split = [finding.text for finding in findings if finding.check == "label_split"]
    assert split == ['The data splits "regular" into 2 clusters (1, 2); the rules may merge different customer groups.']


def test_label_without_cluster():
    contingency = pd.DataFrame({"vip": [3, 2], "regular": [50, 5], "to_activate": [5, 40]}, index=[0, 1])

    findings = conclude(_agreement(0.5, contingency), _alignment(), lang="en")

    unmatched = [finding.text for finding in findings if finding.check == "label_unmatched"]
    assert unmatched == ['No cluster matches "vip" (5 customers): the data does not separate them from the other labels.']


def test_unstable_clusters_are_named():
    stability = pd.DataFrame({"mean_jaccard": [0.95, 0.5, 0.55]}, index=pd.Index([0, 1, 2], name="cluster"))

    findings = conclude(_agreement(0.7), _alignment(), stability=stability, lang="en")

    assert findings[-1].text == ("Clusters 1, 2 are unstable under resampling (mean Jaccard below 0.6); "
                                 "read conclusions about them with care.")


def test_missing_dimensions_come_first_and_disagreements_last():
    findings = conclude(_agreement(0.7), _alignment(), n_disagreements=25, n_customers=200,
                        missing_dimensions=["need", "loyalty"])

    assert findings[0].text == "数据缺少需求、忠诚度维度，以下比较只覆盖其余维度。"
    assert findings[-1].text == "12.5% 的客户（25 人）所在的簇指向与规则不同的标签。"


def test_conclusion_text_is_a_bullet_list():
    findings = conclude(_agreement(0.7), _alignment(value=0.4), lang="en")

    assert conclusion_text(findings) == (
        "- The clusters largely agree with the rule labels (ARI = 0.70).\n"
        "- The clusters largely follow the value tiers (AMI = 0.40).\n"
        '- The data splits "regular" into 2 clusters (1, 2); the rules may merge different customer groups.'
    )
