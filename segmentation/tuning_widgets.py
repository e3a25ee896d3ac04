"""Interactive weight panel for JupyterLab: sliders that update tiers, lift and label changes live.

Conventions that hold for the whole file:

* :func:`recompute` is pure numpy on arrays prepared once by
  :func:`panel_data`, so one slider move costs a matrix-vector product, two
  tier cuts and one sort, independent of how the scores were built;
* slider weights need not sum to 1: they are divided by their sum, and the
  panel shows the normalised values;
* the panel shows counts and shares only, never customer ids or names;
* nothing here runs under papermill: notebooks build the panel only when
  their ``interactive`` parameter is true.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from .backtest_metrics import capture_curve
from .config import SCORE_DIMENSIONS, VALUE_TIERS
from .errors import ParameterError
from .i18n import Catalog, check_lang
from .plots import new_figure, pin_cjk_font
from .scoring import tier_codes, weight_vector
from .tuning_plots import LIFT_FRACTIONS
from .tuning_plots import MESSAGES as PLOT_MESSAGES
from .tuning_run import TuningResult

logger = logging.getLogger(__name__)

SLIDER_STEP = 0.05

MESSAGES = Catalog({
    "no_weight": {"zh": "权重之和为 0，请至少调高一个维度。", "en": "the weights sum to 0; raise at least one."},
    "bad_shares": {
        "zh": "高层占比 {high:.2f} 与中层占比 {mid:.2f} 之和超过 1，请调低其中之一。",
        "en": "the high share {high:.2f} and the mid share {mid:.2f} add up to more than 1; lower one of them.",
    },
    "high_share": {"zh": "高层占比", "en": "high share"},
    "mid_share": {"zh": "中层占比", "en": "mid share"},
    "summary": {
        "zh": "归一化权重：{weights}<br>层级人数：高 {high}，中 {mid}，低 {low}（低层占比 {low_share:.2f}）<br>"
              "相对当前配置改变层级的客户：{changes} 人（{change_share:.1%}）<br>"
              "最近回测时点前10%客户消费占比：{capture:.4f}",
        "en": "normalised weights: {weights}<br>tier sizes: high {high}, mid {mid}, low {low} "
              "(low share {low_share:.2f})<br>customers changing tier vs configured weights: {changes} "
              "({change_share:.1%})<br>top-10% spend capture at the latest cut-off: {capture:.4f}",
    },
    "panel_lift_title": {"zh": "最近回测时点的下期消费捕获曲线", "en": "Capture of next-period spend, latest cut-off"},
    "slider_weights": {"zh": "滑块权重", "en": "slider weights"},
})


@dataclass(frozen=True)
class PanelData:
    """Arrays the panel recomputes from.

    Attributes
    ----------
    matrix : array of float, shape (n, 4)
        Current dimension scores.
    reference : array of float, shape (4,)
        Configured weights, the baseline of label change.
    lift_matrix : array of float, shape (m, 4)
        Dimension scores at the latest cut-off.
    lift_spend : array of float, shape (m,)
        Next-period spend of the same m customers.
    available : tuple of str
        Dimensions the data supports.
    """

    matrix: np.ndarray
    reference: np.ndarray
    lift_matrix: np.ndarray
    lift_spend: np.ndarray
    available: tuple[str, ...]


@dataclass(frozen=True)
class PanelState:
    """Panel figures for one slider setting.

    Attributes
    ----------
    weights : array of float, shape (4,)
        Normalised weights.
    tier_counts : array of int, shape (3,)
        Customers per score tier, high to low.
    label_changes : int
        Customers whose tier differs from the tier under the configured weights.
    capture : array of float, shape (len(fractions),)
        Capture curve at the latest cut-off.
    """

    weights: np.ndarray
    tier_counts: np.ndarray
    label_changes: int
    capture: np.ndarray


def panel_data(result: TuningResult) -> PanelData:
    """Prepare the arrays of a tuning run for the panel (done once)."""
    latest = result.folds[-1]
    return PanelData(
        matrix=result.current.matrix,
        reference=weight_vector(result.weight_sets["configured"]),
        lift_matrix=latest.scores.matrix,
        lift_spend=latest.outcomes["next_spend"].to_numpy(dtype="float64"),
        available=result.current.available,
    )


def normalise_weights(raw: Mapping[str, float], lang: str = "zh") -> np.ndarray:
    """Divide slider weights by their sum; return shape (4,) in :data:`SCORE_DIMENSIONS` order."""
    vector = np.array([max(float(raw.get(dim, 0.0)), 0.0) for dim in SCORE_DIMENSIONS])
    if vector.sum() <= 0:
        raise ParameterError(MESSAGES("no_weight", lang))
    return vector / vector.sum()


def tier_shares(high: float, mid: float, lang: str = "zh") -> dict[str, float]:
    """Return ``{"high", "mid", "low"}`` shares with low as the rest; high + mid must not exceed 1."""
    if high < 0 or mid < 0 or high + mid > 1 + 1e-9:
        raise ParameterError(MESSAGES("bad_shares", lang, high=high, mid=mid))
    return {"high": float(high), "mid": float(mid), "low": max(0.0, 1.0 - high - mid)}


def recompute(data: PanelData, weights: Mapping[str, float], shares: Mapping[str, float],
              fractions: tuple[float, ...] = LIFT_FRACTIONS, lang: str = "zh") -> PanelState:
    """Recompute tier sizes, label changes and the capture curve for one slider setting.

    Raises
    ------
    ParameterError
        If every weight is 0.
    """
    vector = normalise_weights(weights, lang)

    codes = tier_codes(data.matrix @ vector, shares)
    reference_codes = tier_codes(data.matrix @ data.reference, shares)
    counts = np.bincount(codes, minlength=len(VALUE_TIERS))

    capture = capture_curve(data.lift_matrix @ vector, data.lift_spend, fractions)
    return PanelState(weights=vector, tier_counts=counts, label_changes=int((codes != reference_codes).sum()),
                      capture=capture)


def summary_html(state: PanelState, n_customers: int, capture_top10: float, lang: str = "zh") -> str:
    """Return the panel's text block for one state."""
    names = [PLOT_MESSAGES(dim, lang) for dim in SCORE_DIMENSIONS]
    weights = ", ".join(f"{name} {weight:.2f}" for name, weight in zip(names, state.weights))
    high, mid, low = (int(count) for count in state.tier_counts)
    return MESSAGES("summary", lang, weights=weights, high=high, mid=mid, low=low, low_share=low / max(n_customers, 1),
                    changes=state.label_changes, change_share=state.label_changes / max(n_customers, 1),
                    capture=capture_top10)


def build_panel(result: TuningResult, lang: str = "zh") -> widgets.VBox:
    """Build the slider panel for a tuning run.

    Sliders start at the recommended weights and the configured tier shares;
    dimensions the data cannot support are disabled.

    Returns
    -------
    ipywidgets.VBox
        Display it in JupyterLab; it updates on every slider change.
    """
    check_lang(lang)
    data = panel_data(result)
    weight_sliders = {
        dim: widgets.FloatSlider(value=result.search.recommended[dim], min=0.0, max=1.0, step=SLIDER_STEP,
                                 description=PLOT_MESSAGES(dim, lang), disabled=dim not in data.available,
                                 continuous_update=True, readout_format=".2f")
        for dim in SCORE_DIMENSIONS
    }
    high = widgets.FloatSlider(value=result.shares["high"], min=0.0, max=0.5, step=0.01,
                               description=MESSAGES("high_share", lang), readout_format=".2f")
    mid = widgets.FloatSlider(value=result.shares["mid"], min=0.0, max=1.0, step=0.01,
                              description=MESSAGES("mid_share", lang), readout_format=".2f")
    summary, chart = widgets.HTML(), widgets.Output()

    def update(_change: object = None) -> None:
        _refresh(data, result, weight_sliders, high.value, mid.value, summary, chart, lang)

    for slider in (*weight_sliders.values(), high, mid):
        slider.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox([widgets.VBox(list(weight_sliders.values())), widgets.VBox([high, mid])]),
                         summary, chart])


def _refresh(data: PanelData, result: TuningResult, sliders: Mapping[str, widgets.FloatSlider], high: float,
             mid: float, summary: widgets.HTML, chart: widgets.Output, lang: str) -> None:
    try:
        shares = tier_shares(high, mid, lang)
        state = recompute(data, {dim: slider.value for dim, slider in sliders.items()}, shares, lang=lang)
    except ParameterError as error:
        summary.value = str(error)
        return
    top10 = float(state.capture[LIFT_FRACTIONS.index(0.1)])
    summary.value = summary_html(state, len(data.matrix), top10, lang)
    with chart:
        chart.clear_output(wait=True)
        figure = _draw_panel_lift(data, result, state, lang)
        plt.show()
    # Outside the inline backend show() keeps the figure open, so close it to free memory.
    plt.close(figure)


def _draw_panel_lift(data: PanelData, result: TuningResult, state: PanelState, lang: str) -> Figure:
    figure, ax = new_figure(figsize=(6.5, 3.6))
    for key in ("configured", "tuned"):
        curve = capture_curve(data.lift_matrix @ weight_vector(result.weight_sets[key]), data.lift_spend,
                              LIFT_FRACTIONS)
        ax.plot(LIFT_FRACTIONS, curve, linewidth=1.2, label=PLOT_MESSAGES(key, lang))
    ax.plot(LIFT_FRACTIONS, state.capture, linewidth=2.4, label=MESSAGES("slider_weights", lang))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label=PLOT_MESSAGES("random", lang))
    ax.set_title(MESSAGES("panel_lift_title", lang))
    ax.set_xlabel(PLOT_MESSAGES("lift_x", lang))
    ax.set_ylabel(PLOT_MESSAGES("lift_y", lang))
    ax.legend(loc="lower right")
    pin_cjk_font(figure)
    return figure
