"""Tests of the chart helpers: value labels, CJK font use and the missing-glyph check."""

from __future__ import annotations

import math
import warnings

import matplotlib as mpl
import pandas as pd
import pytest
from matplotlib import pyplot as plt

from segmentation import plots
from segmentation.plots import MINUS_SIGN, MissingGlyphError


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize(
    ("value", "template", "expected"),
    [
        (-5, "{:+.0f}%", f"{MINUS_SIGN}5%"),
        (12, "{:+.0f}%", "+12%"),
        (0, "{:+.0f}%", "+0%"),
        (1234.5, "{:,.1f}", "1,234.5"),
        (-1234.5, "{:,.1f}", f"{MINUS_SIGN}1,234.5"),
        (-0.25, "{:.0%}", f"{MINUS_SIGN}25%"),
        (math.nan, "{:.1f}", ""),
    ],
    ids=["negative-percent", "positive-percent", "zero", "thousands", "negative-thousands",
         "fraction-as-percent", "nan-blank"],
)
def test_format_value(value, template, expected):
    assert plots.format_value(value, template) == expected


def test_bar_chart_labels_every_bar():
    ax = plots.bar_chart(["甲", "乙", "丙"], [1.5, -2.25, 0], value_format="{:.2f}")

    assert [text.get_text() for text in ax.texts] == ["1.50", f"{MINUS_SIGN}2.25", "0.00"]
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["甲", "乙", "丙"]


def test_bar_chart_colours_negative_bars():
    ax = plots.bar_chart(["a", "b"], [3, -1], color="#000000", negative_color="#ff0000")

    colours = [mpl.colors.to_hex(bar.get_facecolor()) for bar in ax.patches]
    assert colours == ["#000000", "#ff0000"]


def test_bar_chart_negative_bar_points_down():
    ax = plots.bar_chart(["a", "b"], [3, -1])

    assert [bar.get_height() for bar in ax.patches] == [3, -1]
    assert ax.get_ylim()[0] < -1


def test_bar_chart_rejects_length_mismatch():
    with pytest.raises(ValueError, match="标签数（2）与数值个数（3）"):
        plots.bar_chart(["a", "b"], [1, 2, 3])


def test_bar_chart_draws_on_given_axes():
    fig, ax = plots.new_figure()

    returned = plots.bar_chart(["a"], [1], ax=ax, title="标题")

    assert returned is ax
    assert ax.get_title() == "标题"
    assert len(fig.axes) == 1


def test_heatmap_writes_each_value_and_skips_nan():
    frame = pd.DataFrame({"高活跃": [10.0, 2.0], "低活跃": [math.nan, -3.0]}, index=["高价值", "低价值"])

    ax = plots.heatmap(frame, value_format="{:.0f}")

    cell_texts = {(text.get_position(), text.get_text()) for text in ax.texts}
    assert cell_texts == {((0, 0), "10"), ((0, 1), "2"), ((1, 1), f"{MINUS_SIGN}3")}
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["高活跃", "低活跃"]
    assert [tick.get_text() for tick in ax.get_yticklabels()] == ["高价值", "低价值"]


def test_heatmap_all_nan_draws_no_labels():
    frame = pd.DataFrame({"x": [math.nan]}, index=["y"])

    ax = plots.heatmap(frame)

    assert len(ax.texts) == 0


def test_line_chart_one_line_per_column():
    frame = pd.DataFrame({"VIP": [4.6, 4.8, 4.7], "待激活": [3.9, 4.0, 4.2]},
                         index=["2024Q1", "2024Q2", "2024Q3"])

    ax = plots.line_chart(frame, title="满意度")

    assert [line.get_label() for line in ax.get_lines()] == ["VIP", "待激活"]
    assert list(ax.get_lines()[1].get_ydata()) == [3.9, 4.0, 4.2]
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["2024Q1", "2024Q2", "2024Q3"]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["VIP", "待激活"]


def test_helpers_leave_global_font_unchanged():
    before = list(mpl.rcParams["font.sans-serif"])

    plots.bar_chart(["高"], [1])

    assert mpl.rcParams["font.sans-serif"] == before


def test_save_figure_writes_png(tmp_path):
    ax = plots.bar_chart(["高", "中", "低"], [1, 2, 3], title="客户价值分层")

    path = plots.save_figure(ax.figure, tmp_path / "charts" / "tiers.png")

    assert path == tmp_path / "charts" / "tiers.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_save_figure_rejects_missing_glyph(tmp_path):
    fig, ax = plots.new_figure()
    # A font without CJK glyphs, forced on one text, must not slip through as boxes.
    ax.set_title("价值", fontfamily="DejaVu Sans")
    target = tmp_path / "boxes.png"

    with pytest.raises(MissingGlyphError, match="价 值") as caught:
        plots.save_figure(fig, target)

    assert caught.value.characters == ["价", "值"]
    assert not target.exists()


def test_save_figure_error_in_english(tmp_path):
    fig, ax = plots.new_figure()
    ax.set_title("值", fontfamily="DejaVu Sans")

    with pytest.raises(MissingGlyphError, match="missing from the font: 值"):
        plots.save_figure(fig, tmp_path / "boxes.png", lang="en")


def test_pin_cjk_font_covers_plain_matplotlib_text(tmp_path):
    fig, ax = plt.subplots()
    ax.set_title("客户价值分层")
    ax.bar(["高", "低"], [1, -1])

    plots.pin_cjk_font(fig)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(tmp_path / "plain.png")
    assert [str(warning.message) for warning in caught if "missing from" in str(warning.message)] == []
