"""Display tables, section text and output files of the rule-tiers-against-clustering notebook.

Conventions that hold in this file:

* every table returned is rounded (3 decimals unless stated) and its headers
  are in ``lang``, so notebook outputs are stable text;
* tables show customer ids and numbers only, never names, phones or e-mails;
* files are written only under the ``output_dir`` the caller names, tables
  as UTF-8 CSV with a byte-order mark (Excel on Chinese Windows reads it)
  and charts as PNG.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .clustering_compare import compare_labelings
from .clustering_models import CustomerClustering
from .clustering_prep import DIMENSION_NAMES, FEATURE_SPECS, FeaturePrep, feature_name
from .config import Config
from .i18n import Catalog
from .plots import save_figure

logger = logging.getLogger(__name__)

__all__ = ["data_summary", "display_disagreements", "display_profiles", "latent_truth", "localise_columns",
           "rule_tier_table", "section", "sentence", "truth_agreement", "write_outputs"]

LARGE_SCORES = ("calinski_harabasz", "bic")

HEADERS = Catalog({
    "algorithm": {"zh": "算法", "en": "algorithm"},
    "k": {"zh": "k（请求）", "en": "k (requested)"},
    "n_effective": {"zh": "有效簇数", "en": "effective clusters"},
    "silhouette": {"zh": "轮廓系数", "en": "silhouette"},
    "calinski_harabasz": {"zh": "Calinski-Harabasz", "en": "Calinski-Harabasz"},
    "davies_bouldin": {"zh": "Davies-Bouldin", "en": "Davies-Bouldin"},
    "bic": {"zh": "BIC", "en": "BIC"},
    "noise_share": {"zh": "噪声占比", "en": "noise share"},
    "reason": {"zh": "说明", "en": "note"},
    "ari": {"zh": "ARI", "en": "ARI"},
    "nmi": {"zh": "NMI", "en": "NMI"},
    "ami": {"zh": "AMI", "en": "AMI"},
    "dimension": {"zh": "维度", "en": "dimension"},
    "tier": {"zh": "层级", "en": "tier"},
    "customers": {"zh": "客户数", "en": "customers"},
    "share": {"zh": "占比", "en": "share"},
    "label": {"zh": "规则标签", "en": "rule label"},
    "clusters": {"zh": "对应簇", "en": "matched clusters"},
    "recall": {"zh": "落在对应簇的比例", "en": "recall"},
    "purity": {"zh": "纯度", "en": "purity"},
    "cluster": {"zh": "簇", "en": "cluster"},
    "size": {"zh": "客户数", "en": "customers"},
    "mean_jaccard": {"zh": "Jaccard 均值", "en": "mean Jaccard"},
    "rounds": {"zh": "有效轮次", "en": "rounds"},
    "verdict": {"zh": "判断代码", "en": "verdict key"},
    "verdict_text": {"zh": "判断", "en": "verdict"},
    "customer_id": {"zh": "客户ID", "en": "customer id"},
    "rule_label": {"zh": "规则标签", "en": "rule label"},
    "cluster_label": {"zh": "簇对应的标签", "en": "label the cluster points to"},
    "confidence": {"zh": "置信度", "en": "confidence"},
    "explanation": {"zh": "偏离该标签典型客户最多的特征", "en": "features furthest from the label's typical customer"},
    "max_deviation": {"zh": "最大偏离", "en": "largest deviation"},
    "item": {"zh": "项目", "en": "item"},
    "value": {"zh": "值", "en": "value"},
})

SECTIONS = Catalog({
    "summary": {"zh": "## 1. 数据概况\n\n客户数、时间窗口，以及数据能支持哪些维度。",
                "en": "## 1. Data summary\n\nCustomers, the window, and which dimensions the data supports."},
    "tiers": {"zh": "## 2. 规则分层\n\n按分类标准（价值、活跃度、需求）得到的层级与综合标签。",
              "en": "## 2. Rule tiers\n\nTiers and composite labels from the classification standard "
                    "(value, activity, need)."},
    "k": {"zh": "## 3. 选择簇数 k\n\n每种算法在 k 的范围内拟合，用轮廓系数、Calinski-Harabasz、Davies-Bouldin 评估"
                "（GMM 另有 BIC）；取轮廓系数与最高值相差不超过 0.01 的最大 k。",
          "en": "## 3. Choosing k\n\nEach algorithm is fitted over the k range and scored by silhouette, "
                "Calinski-Harabasz and Davies-Bouldin (BIC for GMM); the largest k whose silhouette is "
                "within 0.01 of the best is kept."},
    "agreement": {"zh": "## 4. 规则标签与聚类的一致性\n\nARI、NMI、AMI 为 1 表示完全一致，接近 0 表示与随机分组无异；"
                        "每个簇用匈牙利算法匹配到最接近的规则标签。",
                  "en": "## 4. Agreement of rule labels and clusters\n\nARI, NMI and AMI are 1 for identical "
                        "groupings and near 0 for unrelated ones; each cluster is matched to its closest rule "
                        "label by the Hungarian method."},
    "stability": {"zh": "## 5. 稳定性\n\n有放回重抽样后重新聚类，各簇与原簇的 Jaccard 均值：低于 0.6 不稳定，"
                        "0.6–0.75 存疑，0.75–0.85 可接受，高于 0.85 高度稳定。",
                  "en": "## 5. Stability\n\nMean Jaccard similarity of each cluster with its best match after "
                        "refitting on bootstrap draws: below 0.6 unstable, 0.6-0.75 doubtful, 0.75-0.85 "
                        "acceptable, above 0.85 highly stable."},
    "profiles": {"zh": "## 6. 簇画像\n\n各簇在原始单位下的典型值（金额和频次取中位数，占比取均值），便于为簇命名。",
                 "en": "## 6. Cluster profiles\n\nTypical values of each cluster in original units (medians "
                       "of money and rates, means of shares), to name the clusters."},
    "pca": {"zh": "## 7. 二维视图\n\n把聚类所用的特征投影到前两个主成分上。",
            "en": "## 7. Two-dimensional view\n\nThe clustered features projected on their first two "
                  "principal components."},
    "disagreements": {"zh": "## 8. 分歧客户\n\n所在簇指向的标签与规则标签不同的客户，按模型置信度排序，只列客户ID和数值。",
                      "en": "## 8. Disagreements\n\nCustomers whose cluster points to another label than the "
                            "rules gave them, most confident first; customer ids and numbers only."},
    "conclusion": {"zh": "## 9. 结论", "en": "## 9. Conclusion"},
    "truth": {"zh": "## 10. 与样例数据潜在分群的对比", "en": "## 10. Against the sample's latent segments"},
    "outputs": {"zh": "## 11. 输出文件", "en": "## 11. Output files"},
})

SENTENCES = Catalog({
    "best_model": {"zh": "选用 **{algorithm}**（k = {k}，有效簇 {n}，轮廓系数 {silhouette:.3f}）与规则标签比较。",
                   "en": "**{algorithm}** (k = {k}, {n} effective clusters, silhouette {silhouette:.3f}) is "
                         "compared with the rule labels."},
    "agreement": {"zh": "ARI = {ari:.3f}，NMI = {nmi:.3f}，AMI = {ami:.3f}。",
                  "en": "ARI = {ari:.3f}, NMI = {nmi:.3f}, AMI = {ami:.3f}."},
    "disagreements": {"zh": "共 {count} 位客户（{share:.1%}）的簇指向其他标签；下表列出置信度最高的 {shown} 位。",
                      "en": "{count} customers ({share:.1%}) sit in a cluster that points to another label; "
                            "the {shown} most confident are listed."},
    "no_truth": {"zh": "数据源 {source} 没有潜在分群真值，本节跳过。",
                 "en": "Source {source} has no latent segments, so this section is skipped."},
    "truth": {"zh": "选用的 {algorithm} 与潜在分群的 ARI = {ari:.3f}（目标 ≥ 0.8）。",
              "en": "The chosen {algorithm} has ARI = {ari:.3f} against the latent segments (target >= 0.8)."},
    "no_output": {"zh": "未设置 output_dir，不写文件。", "en": "output_dir is empty, so no files are written."},
    "written": {"zh": "已写出 {count} 个文件：{files}", "en": "{count} files written: {files}"},
    "data_notes": {"zh": "说明：{notes}", "en": "Notes: {notes}"},
    "dimension": {"zh": "维度：{name}", "en": "dimension: {name}"},
    "used": {"zh": "使用 {columns}", "en": "uses {columns}"},
    "missing": {"zh": "缺失，未参与聚类", "en": "missing, not clustered"},
    "customers": {"zh": "客户数", "en": "customers"},
    "as_of": {"zh": "截止时间", "en": "as of"},
    "window": {"zh": "时间窗口", "en": "window"},
    "composite": {"zh": "综合标签", "en": "composite label"},
})


def section(key: str, lang: str = "zh") -> str:
    """Return the Markdown heading and introduction of notebook section ``key``."""
    return SECTIONS(key, lang)


def sentence(key: str, lang: str = "zh", **fields: object) -> str:
    """Return notebook sentence ``key`` in ``lang`` with ``fields`` filled in."""
    return SENTENCES(key, lang, **fields)


def localise_columns(frame: pd.DataFrame, lang: str = "zh", digits: int = 3) -> pd.DataFrame:
    """Return ``frame`` rounded, with known column and index names in ``lang``.

    Columns of large magnitude (Calinski-Harabasz, BIC) keep one decimal,
    because their third decimal can change with the BLAS thread count.
    """
    def header(name: object) -> object:
        return HEADERS(str(name), lang) if str(name) in HEADERS else name

    rounding = {column: 1 if column in LARGE_SCORES else digits for column in frame.columns}
    display = frame.round(rounding).rename(columns=header)
    display.index = display.index.rename(header(display.index.name) if display.index.name else None)
    return display


def data_summary(features: pd.DataFrame, prep: FeaturePrep, lang: str = "zh") -> pd.DataFrame:
    """Return a two-column table: customers, as-of time, window, and each dimension's clustered features.

    A dimension without usable columns is shown as missing.
    """
    items = [
        (SENTENCES("customers", lang), f"{len(features):,}"),
        (SENTENCES("as_of", lang), str(features.attrs.get("as_of", ""))[:19]),
        (SENTENCES("window", lang), str(features.attrs.get("window", ""))),
    ]
    separator = "、" if lang == "zh" else ", "
    for dimension, names in DIMENSION_NAMES.items():
        columns = [feature_name(c, lang) for c in prep.columns_ if FEATURE_SPECS[c].dimension == dimension]
        state = SENTENCES("used", lang, columns=separator.join(columns)) if columns else SENTENCES("missing", lang)
        items.append((SENTENCES("dimension", lang, name=names[lang]), state))
    return pd.DataFrame(items, columns=[HEADERS("item", lang), HEADERS("value", lang)])


def rule_tier_table(labels_frame: pd.DataFrame, config: Config, lang: str = "zh") -> pd.DataFrame:
    """Count customers per tier of each dimension and per composite label, every tier listed.

    Tiers appear in the configuration's order with 0 where no customer has
    them, so tables of different runs line up.
    """
    parts = [("value", "value_tier"), ("activity", "activity_tier"), ("need", "need_type"), ("label", "label")]
    rows = []
    for dimension, column in parts:
        keys = list(config.labels) if dimension == "label" else list(config.tiers[dimension])
        counts = labels_frame[column].value_counts().reindex(keys, fill_value=0)
        for key, count in counts.items():
            if dimension == "label":
                dimension_name, name = SENTENCES("composite", lang), config.label_name(key, lang)
            else:
                dimension_name, name = DIMENSION_NAMES[dimension][lang], config.tier_name(dimension, key, lang)
            share = count / len(labels_frame) if len(labels_frame) else np.nan
            rows.append({"dimension": dimension_name, "tier": name, "customers": int(count), "share": share})
    return localise_columns(pd.DataFrame(rows), lang)


def display_profiles(profile: pd.DataFrame, lang: str = "zh", digits: int = 2) -> pd.DataFrame:
    """Return cluster profiles rounded to ``digits``, with feature names and headers in ``lang``."""
    localised = localise_columns(profile, lang, digits=digits)
    return localised.rename(columns=lambda column: feature_name(column, lang))


def display_disagreements(table: pd.DataFrame, label_names: Mapping[str, str], lang: str = "zh") -> pd.DataFrame:
    """Return the disagreement list with label display names and headers in ``lang``."""
    named = table.copy()
    for column in ("rule_label", "cluster_label"):
        named[column] = named[column].map(lambda key: label_names.get(key, key))
    return localise_columns(named, lang)


def latent_truth(source: str) -> pd.Series | None:
    """Return the latent segment per customer id of a sample source, or None for other sources.

    ``"sample"`` means the default sample; a folder written by the sample
    generator, or its source file, carries ``_truth/latent_segments.csv`` too.
    """
    if str(source) == "sample":
        from .sample import ensure_sample  # imported here: generating the sample is needed only for "sample"

        location = Path(ensure_sample())
    else:
        location = Path(source)
    folder = location if location.is_dir() else location.parent
    path = folder / "_truth" / "latent_segments.csv"
    if not path.is_file():
        return None
    truth = pd.read_csv(path, dtype={"customer_id": "str", "segment": "str"}, usecols=["customer_id", "segment"])
    return truth.set_index("customer_id")["segment"]


def truth_agreement(models: Mapping[str, CustomerClustering], features: pd.DataFrame,
                    truth: pd.Series) -> pd.DataFrame:
    """Return ARI, NMI and AMI of each model against the latent segments.

    Returns
    -------
    DataFrame
        Index ``algorithm``; ``n_effective, ari, nmi, ami``.
    """
    rows = []
    for algorithm, model in models.items():
        agreement = compare_labelings(truth, pd.Series(model.labels_, index=features.index))
        rows.append({"algorithm": algorithm, "n_effective": model.n_effective_clusters_,
                     "ari": agreement.ari, "nmi": agreement.nmi, "ami": agreement.ami})
    return pd.DataFrame(rows).set_index("algorithm")


def write_outputs(output_dir: str | Path, tables: Mapping[str, pd.DataFrame], figures: Mapping[str, Figure],
                  lang: str = "zh") -> list[str]:
    """Write tables as ``<name>.csv`` and figures as ``<name>.png`` under ``output_dir``.

    Returns
    -------
    list of str
        The file names written, sorted, without the folder so the list is
        the same wherever the folder is.
    """
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", encoding="utf-8-sig")
        written.append(f"{name}.csv")
    for name, figure in figures.items():
        save_figure(figure, folder / f"{name}.png", lang=lang)
        written.append(f"{name}.png")

    logger.info("wrote %d files to %s", len(written), folder)
    return sorted(written)
