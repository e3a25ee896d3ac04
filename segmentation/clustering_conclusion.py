"""A plain-language conclusion, in Chinese or English, built from measured checks.

Each sentence comes from one check with fixed thresholds, so the same
numbers always give the same words:

* overall agreement, by ARI: at least 0.65 agrees, 0.30 to 0.65 partly
  agrees, below 0.30 differs;
* each rule dimension, by the AMI of its tiers against the clusters: below
  0.10 the data does not separate that dimension's tiers, 0.30 and above the
  clusters follow them;
* each rule label, by recall: no matched cluster means the data does not
  separate the label, and under half of its customers in its matched
  clusters means the label is spread over several data groups;
* a label matched to more than one cluster means the data splits it;
* a cluster with a bootstrap Jaccard mean below 0.6 is unstable;
* the share of customers in the disagreement list.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from .clustering_compare import Agreement
from .clustering_prep import DIMENSION_NAMES
from .i18n import Catalog

logger = logging.getLogger(__name__)

ARI_AGREES = 0.65
ARI_PARTLY = 0.30
AMI_NOT_SEPARATED = 0.10
AMI_FOLLOWED = 0.30
RECALL_SPREAD = 0.5
JACCARD_UNSTABLE = 0.6

MESSAGES = Catalog({
    "dimensions_missing": {
        "zh": "数据缺少{dimensions}维度，以下比较只覆盖其余维度。",
        "en": "The data lacks the {dimensions} dimension(s), so this comparison covers the others only.",
    },
    "ari_agrees": {
        "zh": "聚类结构与规则标签基本一致（ARI = {ari:.2f}）。",
        "en": "The clusters largely agree with the rule labels (ARI = {ari:.2f}).",
    },
    "ari_partly": {
        "zh": "聚类结构与规则标签部分一致（ARI = {ari:.2f}）。",
        "en": "The clusters partly agree with the rule labels (ARI = {ari:.2f}).",
    },
    "ari_differs": {
        "zh": "数据中的自然分组与规则标签差别很大（ARI = {ari:.2f}）。",
        "en": "The groups in the data differ from the rule labels (ARI = {ari:.2f}).",
    },
    "dimension_not_separated": {
        "zh": "规则对{dimension}的划分在数据中并不明显（AMI = {ami:.2f}）。",
        "en": "The rules split {dimension}, but the data does not separate it (AMI = {ami:.2f}).",
    },
    "dimension_followed": {
        "zh": "聚类主要沿{dimension}维度分开（AMI = {ami:.2f}）。",
        "en": "The clusters largely follow the {dimension} tiers (AMI = {ami:.2f}).",
    },
    "label_spread": {
        "zh": "「{label}」的客户分散在多个数据分组中：只有 {recall:.0%} 落在与之对应的簇里。",
        "en": "Customers labelled \"{label}\" are spread over several data groups: "
              "only {recall:.0%} sit in their matched clusters.",
    },
    "label_unmatched": {
        "zh": "没有簇对应「{label}」（{customers} 位客户）：数据没有把这些客户与其他标签分开。",
        "en": "No cluster matches \"{label}\" ({customers} customers): the data does not separate them "
              "from the other labels.",
    },
    "label_split": {
        "zh": "数据把「{label}」分成了 {count} 个簇（{clusters}），规则可能合并了不同的客户群。",
        "en": "The data splits \"{label}\" into {count} clusters ({clusters}); "
              "the rules may merge different customer groups.",
    },
    "unstable": {
        "zh": "簇 {clusters} 在重抽样下不稳定（Jaccard 均值低于 {bound}），相关结论需谨慎。",
        "en": "Clusters {clusters} are unstable under resampling (mean Jaccard below {bound}); "
              "read conclusions about them with care.",
    },
    "disagreement_share": {
        "zh": "{share:.1%} 的客户（{count} 人）所在的簇指向与规则不同的标签。",
        "en": "{share:.1%} of customers ({count}) sit in a cluster that points to a different label than the rules.",
    },
})


@dataclass(frozen=True)
class Finding:
    """One sentence of the conclusion with the check behind it."""

    check: str
    text: str


def _overall(agreement: Agreement, lang: str) -> Finding:
    if agreement.ari >= ARI_AGREES:
        key = "ari_agrees"
    elif agreement.ari >= ARI_PARTLY:
        key = "ari_partly"
    else:
        key = "ari_differs"
    return Finding(key, MESSAGES(key, lang, ari=agreement.ari))


def _dimensions(alignment: pd.DataFrame, lang: str) -> list[Finding]:
    findings = []
    for dimension, row in alignment.iterrows():
        name = DIMENSION_NAMES[dimension][lang]
        if row["ami"] < AMI_NOT_SEPARATED:
            findings.append(Finding("dimension_not_separated",
                                    MESSAGES("dimension_not_separated", lang, dimension=name, ami=row["ami"])))
        elif row["ami"] >= AMI_FOLLOWED:
            findings.append(Finding("dimension_followed",
                                    MESSAGES("dimension_followed", lang, dimension=name, ami=row["ami"])))
    return findings


def _labels(agreement: Agreement, label_names: Mapping[str, str], lang: str) -> list[Finding]:
    findings = []
    for label, row in agreement.purity.iterrows():
        name = label_names.get(label, label)
        owned = [str(cluster) for cluster, matched in agreement.matching.items() if matched == label]
        if not owned:
            findings.append(Finding("label_unmatched", MESSAGES("label_unmatched", lang, label=name,
                                                                customers=int(row["customers"]))))
        elif row["recall"] < RECALL_SPREAD:
            findings.append(Finding("label_spread", MESSAGES("label_spread", lang, label=name, recall=row["recall"])))
        if len(owned) > 1:
            findings.append(Finding("label_split", MESSAGES("label_split", lang, label=name, count=len(owned),
                                                            clusters=", ".join(owned))))
    return findings


def _stability(stability: pd.DataFrame | None, lang: str) -> list[Finding]:
    if stability is None or stability.empty:
        return []
    unstable = stability.index[stability["mean_jaccard"] < JACCARD_UNSTABLE]
    if len(unstable) == 0:
        return []
    clusters = ", ".join(str(cluster) for cluster in unstable)
    return [Finding("unstable", MESSAGES("unstable", lang, clusters=clusters, bound=JACCARD_UNSTABLE))]


def conclude(agreement: Agreement, alignment: pd.DataFrame, *, stability: pd.DataFrame | None = None,
             n_disagreements: int | None = None, n_customers: int | None = None,
             missing_dimensions: Sequence[str] = (), label_names: Mapping[str, str] | None = None,
             lang: str = "zh") -> list[Finding]:
    """Turn the comparison's numbers into findings, most general first.

    Parameters
    ----------
    agreement : Agreement
        Rule labels against the chosen clustering.
    alignment : DataFrame
        Per-dimension AMI from ``clustering_compare.dimension_alignment``.
    stability : DataFrame, optional
        Output of ``clustering_stability.bootstrap_stability``.
    n_disagreements, n_customers : int, optional
        Size of the full disagreement list and of the customer base.
    missing_dimensions : sequence of str
        Dimensions the data lacks (``FeaturePrep.dimensions_missing_``), stated first.
    label_names : mapping of str to str, optional
        Display name per label key.
    lang : {"zh", "en"}

    Returns
    -------
    list of Finding
    """
    label_names = dict(label_names or {})
    findings = []
    if missing_dimensions:
        separator = "、" if lang == "zh" else ", "
        names = separator.join(DIMENSION_NAMES[dimension][lang] for dimension in missing_dimensions)
        findings.append(Finding("dimensions_missing", MESSAGES("dimensions_missing", lang, dimensions=names)))
    findings.append(_overall(agreement, lang))
    findings.extend(_dimensions(alignment, lang))
    findings.extend(_labels(agreement, label_names, lang))
    findings.extend(_stability(stability, lang))

    if n_disagreements is not None and n_customers:
        share = n_disagreements / n_customers
        findings.append(Finding("disagreement_share",
                                MESSAGES("disagreement_share", lang, share=share, count=n_disagreements)))
    return findings


def conclusion_text(findings: Sequence[Finding]) -> str:
    """Return the findings as a Markdown bullet list."""
    return "\n".join(f"- {finding.text}" for finding in findings)
