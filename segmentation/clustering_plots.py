"""Charts of the rule-tiers-against-clustering comparison.

Every function draws a new figure, labels it in ``lang``, pins the packaged
CJK font on all of its text (no global matplotlib state changes) and returns
the :class:`~matplotlib.figure.Figure`. A notebook cell that calls one ends
with ``plt.show()`` so no figure repr lands in the stored outputs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.decomposition import PCA

from .clustering_models import NOISE
from .clustering_prep import feature_name
from .i18n import Catalog
from .plots import heatmap, new_figure, pin_cjk_font

logger = logging.getLogger(__name__)

TEXT = Catalog({
    "k_title": {"zh": "簇数 k 的选择", "en": "Choosing the number of clusters k"},
    "silhouette": {"zh": "轮廓系数（越高越好）", "en": "silhouette (higher is better)"},
    "calinski_harabasz": {"zh": "Calinski-Harabasz（越高越好）", "en": "Calinski-Harabasz (higher is better)"},
    "davies_bouldin": {"zh": "Davies-Bouldin（越低越好）", "en": "Davies-Bouldin (lower is better)"},
    "bic": {"zh": "BIC（越低越好，仅 GMM）", "en": "BIC (lower is better, GMM only)"},
    "k": {"zh": "簇数 k", "en": "clusters k"},
    "contingency_title": {"zh": "规则标签与聚类的列联表（客户数）", "en": "Rule labels against clusters (customers)"},
    "cluster": {"zh": "簇", "en": "cluster"},
    "noise": {"zh": "噪声", "en": "noise"},
    "stability_title": {"zh": "自助重抽样稳定性（Jaccard 均值）", "en": "Bootstrap stability (mean Jaccard)"},
    "jaccard": {"zh": "Jaccard 均值", "en": "mean Jaccard"},
    "profile_title": {"zh": "各簇画像（按簇间最小值到最大值缩放）",
                      "en": "Cluster profiles (scaled from the smallest to the largest cluster value)"},
    "scaled": {"zh": "缩放后的值（0 = 最低，1 = 最高）", "en": "scaled value (0 = lowest, 1 = highest)"},
    "pca_title": {"zh": "主成分二维视图", "en": "Two-dimensional PCA view"},
    "by_rule": {"zh": "按规则标签着色", "en": "coloured by rule label"},
    "by_cluster": {"zh": "按聚类着色", "en": "coloured by cluster"},
    "pc": {"zh": "主成分 {n}（解释方差 {ratio:.0%}）", "en": "PC {n} ({ratio:.0%} of variance)"},
})

STABILITY_LINES = (0.6, 0.75, 0.85)
METRICS = ("silhouette", "calinski_harabasz", "davies_bouldin", "bic")
ALGORITHM_COLOURS = {"kmeans": "C0", "gmm": "C1", "ward": "C2", "hdbscan": "C3"}


def plot_k_selection(scores: pd.DataFrame, lang: str = "zh") -> Figure:
    """Draw each internal score against k, one line per algorithm.

    Parameters
    ----------
    scores : DataFrame
        Rows of ``clustering_selection.evaluate_k`` for one or more
        algorithms (columns ``algorithm``, ``k`` and the scores).
    """
    fig, axes = new_figure(figsize=(10.0, 6.5), nrows=2, ncols=2)
    for ax, metric in zip(axes.ravel(), METRICS):
        for algorithm, rows in scores.groupby("algorithm", sort=False):
            rows = rows.sort_values("k")
            if rows[metric].notna().any():
                ax.plot(rows["k"], rows[metric], marker="o", label=str(algorithm),
                        color=ALGORITHM_COLOURS.get(str(algorithm)))
        ax.set_title(TEXT(metric, lang))
        ax.set_xlabel(TEXT("k", lang))
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="small")
    fig.suptitle(TEXT("k_title", lang))
    return pin_cjk_font(fig)


def plot_contingency(contingency: pd.DataFrame, label_names: Mapping[str, str] | None = None,
                     lang: str = "zh") -> Figure:
    """Draw the cluster-by-label contingency table as a heatmap of customer counts."""
    names = dict(label_names or {})
    table = contingency.rename(columns=lambda label: names.get(label, label))
    table = table.rename(index=lambda c: TEXT("noise", lang) if c == NOISE else f"{TEXT('cluster', lang)} {c}")
    fig, ax = new_figure(figsize=(7.0, 1.2 + 0.55 * len(table)))
    heatmap(table, title=TEXT("contingency_title", lang), ax=ax)
    return pin_cjk_font(fig)


def plot_stability(stability: pd.DataFrame, lang: str = "zh") -> Figure:
    """Draw each cluster's mean bootstrap Jaccard with the 0.6, 0.75 and 0.85 reading lines."""
    fig, ax = new_figure(figsize=(7.0, 3.8))
    positions = np.arange(len(stability))
    ax.bar(positions, stability["mean_jaccard"].to_numpy(dtype=float), color="#4C72B0")
    ax.set_xticks(positions, [f"{TEXT('cluster', lang)} {c}" for c in stability.index])
    for line in STABILITY_LINES:
        ax.axhline(line, color="grey", linestyle="--", linewidth=0.8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(TEXT("jaccard", lang))
    ax.set_title(TEXT("stability_title", lang))
    return pin_cjk_font(fig)


def plot_profiles(profile: pd.DataFrame, lang: str = "zh") -> Figure:
    """Draw cluster profiles as parallel coordinates, each feature scaled to [0, 1] across clusters.

    Parameters
    ----------
    profile : DataFrame
        Output of ``clustering_profiles.cluster_profiles``; ``size`` and
        ``share`` are left out of the lines.
    """
    columns = [c for c in profile.columns if c not in ("size", "share") and profile[c].notna().any()]
    values = profile[columns].astype("float64")
    spread = (values.max() - values.min()).replace(0, np.nan)
    scaled = ((values - values.min()) / spread).fillna(0.5)

    fig, ax = new_figure(figsize=(10.0, 4.5))
    positions = np.arange(len(columns))
    for cluster, row in scaled.iterrows():
        name = TEXT("noise", lang) if cluster == NOISE else f"{TEXT('cluster', lang)} {cluster}"
        ax.plot(positions, row.to_numpy(), marker="o", label=f"{name} (n={int(profile.loc[cluster, 'size'])})")
    ax.set_xticks(positions, [feature_name(c, lang) for c in columns], rotation=30, ha="right")
    ax.set_ylabel(TEXT("scaled", lang))
    ax.set_title(TEXT("profile_title", lang))
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.0, 0.5))
    return pin_cjk_font(fig)


def _scatter_groups(ax, points: np.ndarray, groups: np.ndarray, names: Mapping[object, str]) -> None:
    # Groups named in `names` come first, in its order, so colours follow the label order of the config.
    present = set(pd.unique(groups))
    order = [group for group in names if group in present] + sorted(present - set(names), key=str)
    for group in order:
        mask = groups == group
        ax.scatter(points[mask, 0], points[mask, 1], s=6, alpha=0.6, label=names.get(group, str(group)))
    ax.legend(fontsize="small", markerscale=2)


def plot_pca(Z: np.ndarray, rule_labels: pd.Series, clusters: np.ndarray,
             label_names: Mapping[str, str] | None = None, max_points: int = 5_000,
             random_state: int = 0, lang: str = "zh") -> Figure:
    """Project the prepared features on two principal components, coloured by rule label and by cluster.

    Parameters
    ----------
    Z : ndarray of shape (n, p)
        Prepared features (``CustomerClustering.transform_features``).
    rule_labels : Series of length n
        Rule label key per row of ``Z``.
    clusters : ndarray of shape (n,)
        Cluster per row of ``Z``.
    label_names : mapping of str to str, optional
        Display name per label key, in the order the legend lists them.
    max_points : int, default 5_000
        A seeded sample of this many points is drawn when there are more.
    random_state : int, default 0
        Seed of that sample.
    """
    if Z.shape[1] < 2:
        # One clustered feature: draw it against a constant second axis.
        Z = np.column_stack([Z, np.zeros(len(Z))])
    pca = PCA(n_components=2, svd_solver="full").fit(Z)
    plotted_rows = np.arange(len(Z))
    if len(Z) > max_points:
        plotted_rows = np.sort(np.random.default_rng(random_state).choice(len(Z), size=max_points, replace=False))
    points = pca.transform(Z[plotted_rows])

    cluster_names = {c: TEXT("noise", lang) if c == NOISE else f"{TEXT('cluster', lang)} {c}"
                     for c in sorted(np.unique(clusters))}
    fig, axes = new_figure(figsize=(11.0, 4.8), ncols=2)
    _scatter_groups(axes[0], points, np.asarray(rule_labels)[plotted_rows], dict(label_names or {}))
    _scatter_groups(axes[1], points, np.asarray(clusters)[plotted_rows], cluster_names)
    for ax, key in zip(axes, ("by_rule", "by_cluster")):
        ax.set_title(TEXT(key, lang))
        ax.set_xlabel(TEXT("pc", lang, n=1, ratio=pca.explained_variance_ratio_[0]))
        ax.set_ylabel(TEXT("pc", lang, n=2, ratio=pca.explained_variance_ratio_[1]))
    fig.suptitle(TEXT("pca_title", lang))
    return pin_cjk_font(fig)
