"""Case: Chinese text in charts, drawn with the packaged font and a real minus sign.

Input: a bar chart titled "2024年第二季度 客户价值分层" with bars 高 / 中 / 低 and
quarter-on-quarter changes of 12 %, -5 % and 3 %.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import warnings
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib import pyplot as plt

from segmentation import fonts, plots

TITLE = "2024年第二季度 客户价值分层"
LABELS = ["高", "中", "低"]
CHANGES_PERCENT = [12, -5, 3]


@pytest.fixture
def chart():
    ax = plots.bar_chart(LABELS, CHANGES_PERCENT, title=TITLE, ylabel="环比变化（%）", value_format="{:+.0f}%")
    yield ax
    plt.close(ax.figure)


@pytest.fixture
def fresh_font_lookup():
    fonts.cjk_font_path.cache_clear()
    yield
    fonts.cjk_font_path.cache_clear()


def _glyph_warnings(caught):
    return [str(warning.message) for warning in caught if "missing from" in str(warning.message)]


def test_case_savefig_emits_no_glyph_warning(chart, tmp_path):
    # Plain savefig, outside any font context, as a notebook or nbconvert would draw it.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart.figure.savefig(tmp_path / "plain.png")

    assert _glyph_warnings(caught) == []


def test_case_save_figure_emits_no_glyph_warning(chart, tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = plots.save_figure(chart.figure, tmp_path / "tiers.png")

    assert _glyph_warnings(caught) == []
    assert path.stat().st_size > 0


def test_case_chart_text_is_as_given(chart):
    assert chart.get_title() == TITLE
    assert [tick.get_text() for tick in chart.get_xticklabels()] == LABELS
    assert [text.get_text() for text in chart.texts] == ["+12%", "\u22125%", "+3%"]


def test_case_font_comes_from_mplfonts(chart):
    package_dir = Path(importlib.util.find_spec("mplfonts").submodule_search_locations[0]).resolve()

    used = Path(font_manager.findfont(chart.title.get_fontproperties(), fallback_to_default=False)).resolve()

    assert used.is_relative_to(package_dir)
    assert used.name == "NotoSansCJKsc-Regular.otf"
    assert not used.is_relative_to("/usr/share/fonts")


@pytest.mark.parametrize("index", [0, 1, 2], ids=["bar-high", "bar-mid", "bar-low"])
def test_case_bar_text_uses_packaged_font(chart, index):
    label = chart.texts[index]

    used = Path(font_manager.findfont(label.get_fontproperties(), fallback_to_default=False))

    assert used == fonts.cjk_font_path()


def test_case_negative_label_has_minus_sign(chart):
    negative_label = chart.texts[1].get_text()

    assert negative_label.startswith(("\u2212", "-"))
    assert negative_label.lstrip("\u2212-") == "5%"


def test_case_font_has_minus_glyph():
    cmap = TTFont(fonts.cjk_font_path(), fontNumber=0, lazy=True).getBestCmap()

    assert 0x2212 in cmap
    assert all(ord(character) in cmap for character in TITLE + "".join(LABELS))


def test_case_negative_ticks_drawn_with_minus(chart):
    chart.figure.canvas.draw()

    negative_ticks = [tick.get_text() for tick in chart.get_yticklabels() if tick.get_position()[1] < 0]

    assert negative_ticks
    assert all(text.startswith("\u2212") for text in negative_ticks)


def test_case_missing_font_package_raises(monkeypatch, fresh_font_lookup):
    real_find_spec = importlib.util.find_spec

    def find_spec_without_mplfonts(name, *args):
        return None if name == "mplfonts" else real_find_spec(name, *args)

    monkeypatch.setattr(fonts.importlib.util, "find_spec", find_spec_without_mplfonts)

    with pytest.raises(fonts.FontNotFoundError, match=r"package 'mplfonts' is not installed.*make install"):
        fonts.cjk_font_path()


def test_case_missing_font_file_raises(monkeypatch, fresh_font_lookup, tmp_path):
    empty_package = importlib.machinery.ModuleSpec("mplfonts", None, is_package=True)
    empty_package.submodule_search_locations = [str(tmp_path)]
    monkeypatch.setattr(fonts.importlib.util, "find_spec", lambda name, *args: empty_package)

    with pytest.raises(fonts.FontNotFoundError, match=r"missing from package 'mplfonts'.*--force-reinstall"):
        fonts.cjk_font_path()
