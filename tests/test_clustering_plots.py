"""Tests of the comparison charts: they return figures, draw every glyph and speak the requested language."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from segmentation.clustering_plots import plot_contingency, plot_k_selection, plot_pca, plot_profiles, plot_stability

SCORES = pd.DataFrame({
    "algorithm": ["kmeans", "kmeans", "gmm", "gmm", "hdbscan"],
    "k": [2, 3, 2, 3, 4],
    "silhouette": [0.4, 0.5, 0.38, 0.45, 0.6],
    "calinski_harabasz": [100.0, 120.0, 90.0, 95.0, 130.0],
    "davies_bouldin": [0.9, 0.8, 1.0, 0.95, 0.7],
    "bic": [np.nan, np.nan, -50.0, -80.0, np.nan],
})
CONTINGENCY = pd.DataFrame({"vip": [5, 0, 1], "regular": [1, 9, 0]}, index=pd.Index([-1, 0, 1], name="cluster"))
STABILITY = pd.DataFrame({"mean_jaccard": [0.9, 0.55]}, index=pd.Index([0, 1], name="cluster"))
PROFILE = pd.DataFrame({"size": [10, 20], "share": [1 / 3, 2 / 3], "spend": [100.0, 5000.0],
                        "contacts_per_month": [1.0, 1.0], "share_after_sales": [0.2, 0.7]},
                       index=pd.Index([0, 1], name="cluster"))


def _draw_all(lang: str) -> list[Figure]:
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(40, 3))
    labels = pd.Series(["vip", "regular"] * 20)
    clusters = np.array([0, 1, -1, 1] * 10)
    return [
        plot_k_selection(SCORES, lang),
        plot_contingency(CONTINGENCY, {"vip": "VIP重点维护客户"}, lang),
        plot_stability(STABILITY, lang),
        plot_profiles(PROFILE, lang),
        plot_pca(Z, labels, clusters, {"vip": "VIP重点维护客户", "regular": "常规服务客户"}, lang=lang),
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_charts_draw_without_missing_glyphs(lang, tmp_path):
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from.*font")
        figures = _draw_all(lang)
        for number, figure in enumerate(figures):
            figure.savefig(tmp_path / f"{number}.png")

    assert all(isinstance(figure, Figure) for figure in figures)
    plt.close("all")


def _texts(figure: Figure) -> list[str]:
    return [text.get_text() for text in figure.findobj(match=lambda artist: hasattr(artist, "get_text"))]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("zh", "簇数 k 的选择"), ("en", "Choosing the number of clusters k")],
    ids=["zh", "en"],
)
def test_k_selection_title_in_language(lang, expected):
    figure = plot_k_selection(SCORES, lang)

    assert expected in _texts(figure)
    plt.close(figure)


def test_bic_panel_shows_only_mixtures():
    figure = plot_k_selection(SCORES, "en")

    bic_axes = figure.axes[3]
    assert [line.get_label() for line in bic_axes.get_lines()] == ["gmm"]
    plt.close(figure)


def test_contingency_names_noise_and_labels():
    figure = plot_contingency(CONTINGENCY, {"vip": "VIP重点维护客户"}, "zh")

    texts = _texts(figure)
    assert "噪声" in texts
    assert "VIP重点维护客户" in texts
    assert "regular" in texts
    plt.close(figure)


def test_profiles_skip_constant_columns_at_midline():
    figure = plot_profiles(PROFILE, "en")

    first_line = figure.axes[0].get_lines()[0]
    np.testing.assert_allclose(first_line.get_ydata(), [0.0, 0.5, 0.0])
    plt.close(figure)


def test_pca_legend_follows_label_order():
    rng = np.random.default_rng(0)
    figure = plot_pca(rng.normal(size=(20, 2)), pd.Series(["b", "a"] * 10), np.zeros(20, dtype=int),
                      {"a": "first", "b": "second"}, lang="en")

    legend = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert legend == ["first", "second"]
    plt.close(figure)


def test_pca_with_one_feature_draws():
    figure = plot_pca(np.arange(10.0).reshape(-1, 1), pd.Series(["a"] * 10), np.zeros(10, dtype=int), lang="en")

    assert len(figure.axes[0].collections) == 1
    plt.close(figure)
