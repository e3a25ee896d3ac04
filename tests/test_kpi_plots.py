"""Tests of the review charts: every call returns a Figure, Chinese text has glyphs, small groups are marked."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib import pyplot as plt
from matplotlib.figure import Figure
from matplotlib.text import Text

from segmentation.config import load_config
from segmentation.kpi_plots import (
    plot_after_sales,
    plot_conversion,
    plot_csat,
    plot_migration,
    plot_resolution,
    plot_sla,
)
from segmentation.kpi_result import Section
from segmentation.plots import save_figure

LABELS = pd.Index(["vip", "regular", "to_activate"], name="label")
SUPPRESSED = [False, True, False]


def texts(fig: Figure) -> list[str]:
    return [text.get_text() for text in fig.findobj(Text)]


SECTIONS = {
    "csat": Section("csat", table=pd.DataFrame({
        "mean_100": [80.0, np.nan, 65.0], "ci_low_100": [75.0, np.nan, 60.0], "ci_high_100": [85.0, np.nan, 70.0],
        "previous_100": [82.0, 70.0, np.nan], "suppressed": SUPPRESSED}, index=LABELS)),
    "sla": Section("sla", table=pd.DataFrame({
        "attainment": [0.9, np.nan, 0.7], "previous_attainment": [0.8, 0.9, 0.75], "suppressed": SUPPRESSED},
        index=LABELS)),
    "resolution": Section("resolution", table=pd.DataFrame({
        "mean_hours": [5.0, np.nan, 30.0], "median_hours": [3.0, np.nan, 20.0], "p90_hours": [12.0, np.nan, 60.0],
        "suppressed": SUPPRESSED}, index=LABELS)),
    "after_sales": Section("after_sales", table=pd.DataFrame({
        "share": [0.5, np.nan, 0.1], "previous_share": [0.4, 0.3, 0.2], "suppressed": SUPPRESSED}, index=LABELS)),
    "migration": Section("migration", table=pd.DataFrame(
        [[1, 0, 0], [2, 3, 0], [0, 2, 3]], index=LABELS.rename("start"), columns=LABELS.rename("end"))),
}
ACTIVATION = Section("activation", table=pd.DataFrame(
    {"rate": [0.25, 0.5], "previous_rate": [0.2, 0.5], "suppressed": [False, False]},
    index=pd.Index(["left_to_activate", "ordered_or_contacted"], name="measure")))

DRAWERS = [
    (plot_csat, "csat"), (plot_sla, "sla"), (plot_resolution, "resolution"),
    (plot_after_sales, "after_sales"), (plot_migration, "migration"),
]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize(("draw", "key"), DRAWERS, ids=[key for _, key in DRAWERS])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_chart_saves_without_missing_glyphs(draw, key, lang, tmp_path):
    fig = draw(SECTIONS[key], load_config(), lang)
    assert isinstance(fig, Figure)
    assert save_figure(fig, tmp_path / f"{key}.png", dpi=40, lang=lang).stat().st_size > 0


@pytest.mark.parametrize(("draw", "key"), DRAWERS[:4], ids=[key for _, key in DRAWERS[:4]])
def test_suppressed_group_is_marked(draw, key):
    fig = draw(SECTIONS[key], load_config(), "zh")
    assert "—（样本不足）" in texts(fig)


def test_missing_section_figure_states_reason():
    fig = plot_csat(Section("csat", missing="no_tickets"), load_config(), "en")
    assert "missing, because the data has no tickets (service contacts), so this cannot be computed" in texts(fig)


def test_conversion_with_upgrade_missing(tmp_path):
    fig = plot_conversion(ACTIVATION, Section("upgrade", missing="no_orders"), load_config(), "zh")
    labels = [tick.get_text() for tick in fig.axes[0].get_xticklabels()]
    assert labels == ["季度末已不再是待激活", "季度内下单或联系过"]
    save_figure(fig, tmp_path / "conversion.png", dpi=40)


def test_mostly_suppressed_chart_keeps_its_layout(tmp_path):
    """Markers of empty groups once fell outside the x range and collapsed the constrained layout."""
    table = SECTIONS["csat"].table.assign(mean_100=[np.nan, np.nan, 49.8], ci_low_100=[np.nan, np.nan, 48.5],
                                          ci_high_100=[np.nan, np.nan, 51.1], previous_100=np.nan,
                                          suppressed=[True, True, False])
    fig = plot_csat(Section("csat", table=table), load_config(), "en")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        save_figure(fig, tmp_path / "csat.png", dpi=40)
    assert fig.axes[0].get_xlim() == (-0.6, 2.6)
