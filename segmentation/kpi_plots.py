"""Charts of the quarterly-review sections, one function per section, each returning a Figure.

Conventions for the whole file:

* charts are drawn with the helpers of :mod:`segmentation.plots` and pinned
  to the packaged CJK font, so Chinese labels never turn into boxes;
* bars of suppressed groups are left out and marked with the suppressed
  text (``—（样本不足）``), never drawn as 0 or 100%;
* rates are drawn as percentages, CSAT on 0-100, times in hours;
* a section the data cannot support gives a small figure that states the
  reason, so every call returns a Figure and the notebook never branches.
"""

from __future__ import annotations

import logging

import numpy as np
from matplotlib.figure import Figure

from .config import Config
from .i18n import Catalog
from .kpi_display import HEADERS, MEASURES
from .kpi_groups import display_labels, suppressed_marker
from .kpi_result import Section
from .kpi_summary import goal_text
from .plots import bar_chart, heatmap, new_figure, pin_cjk_font

logger = logging.getLogger(__name__)

CURRENT_COLOR, PREVIOUS_COLOR = "#4C72B0", "#B0B0B0"

TITLES = Catalog({
    "csat": {"zh": "各标签满意度 CSAT（0–100，95% 置信区间）", "en": "CSAT per label (0-100, 95% CI)"},
    "sla": {"zh": "各标签首响 SLA 达成率", "en": "First-response SLA attainment per label"},
    "resolution": {"zh": "各标签解决时长（小时）", "en": "Resolution time per label (hours)"},
    "conversion": {"zh": "激活率与升级率", "en": "Activation and upgrade rates"},
    "migration": {"zh": "季度初 → 季度末标签迁移（客户数）", "en": "Label migration, start → end of quarter (customers)"},
    "after_sales": {"zh": "各标签售后工单占比", "en": "After-sales share of tickets per label"},
    "this_quarter": {"zh": "本季度", "en": "this quarter"},
    "last_quarter": {"zh": "上季度", "en": "last quarter"},
    "goal": {"zh": "目标 {goal}", "en": "goal {goal}"},
    "percent": {"zh": "百分比（%）", "en": "percent (%)"},
    "hours": {"zh": "小时", "en": "hours"},
})


def _missing_figure(section: Section, lang: str) -> Figure:
    fig, ax = new_figure(figsize=(8.0, 1.2))
    ax.axis("off")
    ax.text(0.5, 0.5, section.reason(lang), ha="center", va="center", wrap=True)
    return pin_cjk_font(fig)


def _mark_suppressed(ax, positions, suppressed: np.ndarray, text: str) -> None:
    """Write the suppressed text upright where a bar was left out."""
    # x in data units, y in axes units, so the text starts at the bottom whatever the y range.
    for position, hidden in zip(positions, suppressed):
        if hidden:
            ax.text(position, 0.02, text, ha="center", va="bottom", rotation=90, fontsize=8, color="0.4",
                    transform=ax.get_xaxis_transform(), clip_on=True)


def _show_every_group(ax, count: int) -> None:
    """Keep every group on the x axis even when its bars are NaN, so no marker falls outside."""
    ax.set_xlim(-0.6, count - 0.4)


def _paired_bars(ax, names: list[str], current: np.ndarray, previous: np.ndarray, lang: str,
                 value_format: str, inside: bool = False) -> np.ndarray:
    """Draw this quarter's and last quarter's bars side by side; return the x positions."""
    positions = np.arange(len(names))
    width = 0.38
    bars = ax.bar(positions - width / 2, current, width, color=CURRENT_COLOR,
                  label=TITLES("this_quarter", lang))
    ax.bar(positions + width / 2, previous, width, color=PREVIOUS_COLOR, label=TITLES("last_quarter", lang))
    labels = [value_format.format(v) if np.isfinite(v) else "" for v in current]
    if inside:
        # Inside the bar, so an error bar drawn on top does not cover the value.
        ax.bar_label(bars, labels=labels, label_type="center", color="white")
    else:
        ax.bar_label(bars, labels=labels, padding=3)
    ax.set_xticks(positions, names)
    _show_every_group(ax, len(names))
    ax.legend(loc="upper right", fontsize=8)
    ax.margins(y=0.15)
    return positions


def plot_csat(section: Section, config: Config, lang: str = "zh") -> Figure:
    """Draw CSAT per label on 0-100 with its t-interval and last quarter's mean beside it."""
    if not section.available:
        return _missing_figure(section, lang)
    table = section.table
    fig, ax = new_figure()
    names = display_labels(list(table.index), config, lang)
    current = table["mean_100"].to_numpy(dtype=float)
    positions = _paired_bars(ax, names, current, table["previous_100"].to_numpy(dtype=float), lang, "{:.1f}",
                             inside=True)

    low = current - table["ci_low_100"].to_numpy(dtype=float)
    high = table["ci_high_100"].to_numpy(dtype=float) - current
    ax.errorbar(positions - 0.19, current, yerr=np.vstack([low, high]), fmt="none", ecolor="0.2", capsize=4)
    _mark_suppressed(ax, positions - 0.19, table["suppressed"].to_numpy(), suppressed_marker(config, lang))
    ax.set_ylim(0, 110)
    ax.set_title(TITLES("csat", lang))
    ax.set_ylabel(HEADERS("mean_100", lang))
    return pin_cjk_font(fig)


def plot_sla(section: Section, config: Config, lang: str = "zh") -> Figure:
    """Draw SLA attainment per label in percent, last quarter beside it, with the ``review.sla_goal`` line."""
    if not section.available:
        return _missing_figure(section, lang)
    table = section.table
    fig, ax = new_figure()
    names = display_labels(list(table.index), config, lang)
    positions = _paired_bars(ax, names, table["attainment"].to_numpy(dtype=float) * 100,
                             table["previous_attainment"].to_numpy(dtype=float) * 100, lang, "{:.1f}%")
    goal = config.review.sla_goal
    ax.axhline(goal * 100, color="#C44E52", linestyle="--", linewidth=1,
               label=TITLES("goal", lang, goal=goal_text(goal)))
    _mark_suppressed(ax, positions - 0.19, table["suppressed"].to_numpy(), suppressed_marker(config, lang))
    ax.legend(loc="lower right", fontsize=8)
    ax.set_ylim(0, 110)
    ax.set_title(TITLES("sla", lang))
    ax.set_ylabel(TITLES("percent", lang))
    return pin_cjk_font(fig)


def plot_resolution(section: Section, config: Config, lang: str = "zh") -> Figure:
    """Draw mean, median and 90th-percentile resolution hours per label as grouped bars."""
    if not section.available:
        return _missing_figure(section, lang)
    table = section.table
    fig, ax = new_figure()
    positions = np.arange(len(table))
    width = 0.27
    for offset, column in zip((-width, 0.0, width), ("mean_hours", "median_hours", "p90_hours")):
        bars = ax.bar(positions + offset, table[column].to_numpy(dtype=float), width,
                      label=HEADERS(column, lang))
        ax.bar_label(bars, fmt="%.1f", padding=2, fontsize=8)
    ax.set_xticks(positions, display_labels(list(table.index), config, lang))
    _show_every_group(ax, len(table))
    _mark_suppressed(ax, positions, table["suppressed"].to_numpy(), suppressed_marker(config, lang))
    ax.legend(fontsize=8)
    ax.margins(y=0.15)
    ax.set_title(TITLES("resolution", lang))
    ax.set_ylabel(TITLES("hours", lang))
    return pin_cjk_font(fig)


def plot_conversion(activation: Section, upgrade: Section, config: Config, lang: str = "zh") -> Figure:
    """Draw the activation and upgrade rates in percent, this quarter against last quarter."""
    tables = [section.table for section in (activation, upgrade) if section.available]
    if not tables:
        return _missing_figure(activation if not activation.available else upgrade, lang)
    rows = [row for table in tables for _, row in table.iterrows()]
    measures = [key for table in tables for key in table.index]

    fig, ax = new_figure()
    names = [MEASURES(key, lang) for key in measures]
    current = np.array([row["rate"] for row in rows], dtype=float) * 100
    previous = np.array([row["previous_rate"] for row in rows], dtype=float) * 100
    positions = _paired_bars(ax, names, current, previous, lang, "{:.1f}%")
    suppressed = np.array([bool(row["suppressed"]) for row in rows])
    _mark_suppressed(ax, positions - 0.19, suppressed, suppressed_marker(config, lang))
    ax.set_title(TITLES("conversion", lang))
    ax.set_ylabel(TITLES("percent", lang))
    return pin_cjk_font(fig)


def plot_migration(section: Section, config: Config, lang: str = "zh") -> Figure:
    """Draw the start-to-end label migration matrix as a heatmap of customer counts."""
    table = section.table.copy()
    table.index = display_labels(list(table.index), config, lang)
    table.columns = display_labels(list(table.columns), config, lang)
    fig, ax = new_figure(figsize=(7.0, 5.0))
    heatmap(table, title=TITLES("migration", lang), ax=ax, colorbar_label=HEADERS("customers", lang))
    ax.set_ylabel(HEADERS("start", lang))
    ax.set_xlabel(HEADERS("end", lang))
    return pin_cjk_font(fig)


def plot_after_sales(section: Section, config: Config, lang: str = "zh") -> Figure:
    """Draw each label's after-sales share in percent, this quarter against last quarter."""
    if not section.available:
        return _missing_figure(section, lang)
    table = section.table
    fig, ax = new_figure()
    names = display_labels(list(table.index), config, lang)
    positions = _paired_bars(ax, names, table["share"].to_numpy(dtype=float) * 100,
                             table["previous_share"].to_numpy(dtype=float) * 100, lang, "{:.1f}%")
    _mark_suppressed(ax, positions - 0.19, table["suppressed"].to_numpy(), suppressed_marker(config, lang))
    ax.set_title(TITLES("after_sales", lang))
    ax.set_ylabel(TITLES("percent", lang))
    return pin_cjk_font(fig)


def plot_headline_bars(values: dict[str, float], title: str) -> Figure:
    """Draw a small bar chart of named values (e.g. clustering scores) with value labels."""
    fig, ax = new_figure(figsize=(7.0, 3.5))
    bar_chart(list(values), list(values.values()), title=title, ax=ax, value_format="{:.2f}")
    return pin_cjk_font(fig)
