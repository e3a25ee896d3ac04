"""Chart helpers shared by the notebooks and reports, with Chinese text that never turns into boxes.

Conventions for every helper here:

* Each helper ends by pinning the packaged Noto Sans CJK SC font on every
  text of its figure (:func:`pin_cjk_font`), so the chart draws correctly
  wherever it is rendered (inline in a notebook, ``savefig``, nbconvert)
  without changing global matplotlib state.
* Negative numbers in value labels are written with U+2212 (the minus sign),
  the character matplotlib itself uses on tick labels.
* Drawing helpers take an optional ``ax`` and return the ``Axes`` they drew
  on. Assign the result in a notebook, so no ``<Axes ...>`` text lands in the
  stored outputs. A trailing ``;`` is not enough, because nbval runs cells
  without IPython history and then shows the value anyway.
* :func:`save_figure` writes figures and treats a glyph missing from the font
  as an error, never a silent box.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text

from .errors import SegmentationError

from .fonts import cjk_font, cjk_rc
from .i18n import DEFAULT_LANG, Catalog

logger = logging.getLogger(__name__)

MINUS_SIGN = "\u2212"
DEFAULT_FIGSIZE = (8.0, 4.5)
DEFAULT_DPI = 150

# matplotlib 3.6+ writes "Glyph 23458 (...) missing from font(s) DejaVu Sans."; older
# releases wrote "missing from current font".
_MISSING_GLYPH = re.compile(r"Glyph (\d+) .*missing from (?:current font|font\(s\))")

MESSAGES = Catalog({
    "missing_glyph": {
        "zh": "图表 {path} 中有字体缺少的字符：{chars}。这些字符会显示为方框，因此没有保存。"
              "请用 segmentation.plots 的函数绘图，或在保存前调用 segmentation.plots.pin_cjk_font(fig)。",
        "en": "chart {path} contains characters missing from the font: {chars}. They would be drawn "
              "as boxes, so the chart was not saved. Draw with the segmentation.plots helpers or call "
              "segmentation.plots.pin_cjk_font(fig) before saving.",
    },
    "length_mismatch": {
        "zh": "柱状图的标签数（{labels}）与数值个数（{values}）不一致，请传入等长的两个序列。",
        "en": "the bar chart has {labels} label(s) but {values} value(s); pass sequences of equal length.",
    },
})


class MissingGlyphError(SegmentationError, RuntimeError):
    """A chart contains characters that its font cannot draw.

    Attributes
    ----------
    characters : list of str
        The missing characters, in the order matplotlib reported them.
    """

    def __init__(self, message: str, characters: Sequence[str]) -> None:
        super().__init__(message)
        self.characters = list(characters)


def format_value(value: float, template: str = "{:,.1f}") -> str:
    """Format a number for a value label, writing a negative sign as U+2212.

    Parameters
    ----------
    value : float
        The number to show. NaN gives an empty label.
    template : str, default "{:,.1f}"
        A ``str.format`` template with one field, e.g. ``"{:+.0f}%"``.

    Returns
    -------
    str
        The label text.

    Examples
    --------
    >>> format_value(-5, "{:+.0f}%")
    '−5%'
    >>> format_value(12, "{:+.0f}%")
    '+12%'
    """
    if pd.isna(value):
        return ""
    return template.format(value).replace("-", MINUS_SIGN)


def new_figure(figsize: tuple[float, float] = DEFAULT_FIGSIZE, nrows: int = 1,
               ncols: int = 1) -> tuple[Figure, Axes | np.ndarray]:
    """Create a figure with constrained layout and the CJK font pinned on its axes.

    Parameters
    ----------
    figsize : (float, float), default (8.0, 4.5)
        Width and height in inches.
    nrows, ncols : int, default 1
        Grid of axes, as in :func:`matplotlib.pyplot.subplots`.

    Returns
    -------
    fig : Figure
        The new figure, registered with pyplot so notebooks show it inline.
    ax : Axes or ndarray of Axes
        One ``Axes`` for a 1 x 1 grid, else an array.
    """
    fig, ax = plt.subplots(nrows, ncols, figsize=figsize, layout="constrained")
    pin_cjk_font(fig)
    return fig, ax


def pin_cjk_font(fig: Figure) -> Figure:
    """Set the packaged CJK font on every text of ``fig`` and on its future tick labels.

    Text created with the default font family resolves that family when it
    is drawn, so a chart built inside :func:`segmentation.fonts.cjk_font`
    still draws boxes when a notebook renders it later. Naming the font on
    each text avoids that. Call this after adding text with plain matplotlib.

    Parameters
    ----------
    fig : Figure
        The figure to change in place.

    Returns
    -------
    Figure
        The same figure.
    """
    families = cjk_rc()["font.sans-serif"]
    for ax in fig.axes:
        # Tick labels are recreated while drawing; tick_params keeps the font for the new ones.
        ax.tick_params(axis="both", which="both", labelfontfamily=families)
    for text in fig.findobj(Text):
        text.set_fontfamily(families)
    return fig


def _axes_or_new(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    _, new_ax = new_figure()
    return new_ax


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str = "",
              ylabel: str = "", value_format: str = "{:,.1f}", ax: Axes | None = None,
              color: str = "#4C72B0", negative_color: str = "#C44E52") -> Axes:
    """Draw a bar chart with a value label on every bar, negative bars included.

    Parameters
    ----------
    labels : sequence of str
        Category names on the x axis, e.g. ``["高", "中", "低"]``.
    values : sequence of float
        One value per label; negative values draw downward in ``negative_color``.
    title, ylabel : str
        Chart title and y-axis label.
    value_format : str, default "{:,.1f}"
        Template of the value labels, see :func:`format_value`.
    ax : Axes, optional
        Axes to draw on; a new figure is created when omitted.
    color, negative_color : str
        Bar colours for values >= 0 and < 0.

    Returns
    -------
    Axes
        The axes drawn on.

    Raises
    ------
    ValueError
        If ``labels`` and ``values`` differ in length.
    """
    labels, values = [str(label) for label in labels], [float(value) for value in values]
    if len(labels) != len(values):
        raise ValueError(MESSAGES("length_mismatch", DEFAULT_LANG, labels=len(labels), values=len(values)))

    ax = _axes_or_new(ax)
    colors = [negative_color if value < 0 else color for value in values]
    bars = ax.bar(labels, values, color=colors)
    ax.bar_label(bars, labels=[format_value(value, value_format) for value in values], padding=3)
    ax.axhline(0, color="0.3", linewidth=0.8)

    # Leave room above and below the bars so the edge labels are not clipped.
    ax.margins(y=0.15)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    pin_cjk_font(ax.figure)
    return ax


def heatmap(frame: pd.DataFrame, *, title: str = "", value_format: str = "{:,.0f}",
            cmap: str = "Blues", colorbar_label: str = "", ax: Axes | None = None) -> Axes:
    """Draw a table of numbers as coloured cells with the value written in each.

    Parameters
    ----------
    frame : DataFrame
        Rows become the y axis and columns the x axis, labelled by the index
        and column names. NaN cells stay blank.
    title : str
        Chart title.
    value_format : str, default "{:,.0f}"
        Template of the cell labels, see :func:`format_value`.
    cmap : str, default "Blues"
        matplotlib colour map.
    colorbar_label : str
        Label of the colour bar.
    ax : Axes, optional
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    Axes
        The axes drawn on.
    """
    values = frame.to_numpy(dtype=float)
    ax = _axes_or_new(ax)

    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, aspect="auto")
    ax.set_xticks(range(frame.shape[1]), [str(column) for column in frame.columns])
    ax.set_yticks(range(frame.shape[0]), [str(row) for row in frame.index])
    colorbar = ax.figure.colorbar(image, ax=ax)
    colorbar.set_label(colorbar_label)
    _annotate_cells(ax, values, value_format)
    ax.set_title(title)
    pin_cjk_font(ax.figure)
    return ax


def _annotate_cells(ax: Axes, values: np.ndarray, value_format: str) -> None:
    # White text on the darker half of the colour scale keeps every label readable.
    finite = values[np.isfinite(values)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for (row, column), value in np.ndenumerate(values):
        if not np.isfinite(value):
            continue
        text_color = "white" if value > middle else "black"
        ax.text(column, row, format_value(value, value_format), ha="center", va="center", color=text_color)


def line_chart(frame: pd.DataFrame, *, title: str = "", ylabel: str = "", xlabel: str = "",
               ax: Axes | None = None, marker: str = "o") -> Axes:
    """Draw one line per column of ``frame`` over its index, with a legend.

    Parameters
    ----------
    frame : DataFrame
        The index gives the x positions (e.g. quarters ``"2024Q1"``), each
        column one line named in the legend.
    title, ylabel, xlabel : str
        Chart title and axis labels.
    ax : Axes, optional
        Axes to draw on; a new figure is created when omitted.
    marker : str, default "o"
        Marker drawn at each point.

    Returns
    -------
    Axes
        The axes drawn on.
    """
    ax = _axes_or_new(ax)
    positions = range(len(frame.index))

    for column in frame.columns:
        ax.plot(positions, frame[column].to_numpy(dtype=float), marker=marker, label=str(column))
    ax.set_xticks(positions, [str(item) for item in frame.index])
    if len(frame.columns) > 1:
        ax.legend()
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    pin_cjk_font(ax.figure)
    return ax


def save_figure(fig: Figure, path: str | Path, *, dpi: int = DEFAULT_DPI,
                lang: str = DEFAULT_LANG) -> Path:
    """Write ``fig`` to ``path``, failing if any character lacks a glyph.

    Parameters
    ----------
    fig : Figure
        The figure to save.
    path : str or Path
        Target file; the suffix picks the format (``.png``, ``.svg``, ``.pdf``).
        Missing parent folders are created.
    dpi : int, default 150
        Resolution of raster formats.
    lang : {"zh", "en"}
        Language of the error message.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    MissingGlyphError
        If matplotlib reported a glyph missing from the font while drawing.
        The file is removed, so no chart with boxes is left behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    # The font context covers text the caller added with the default family. Text given
    # another font explicitly keeps it, and the glyph check below catches it.
    with warnings.catch_warnings(record=True) as caught, cjk_font():
        warnings.simplefilter("always")
        fig.savefig(path, dpi=dpi)

    missing = _missing_characters(caught)
    _reissue_other_warnings(caught)
    if missing:
        path.unlink(missing_ok=True)
        raise MissingGlyphError(MESSAGES("missing_glyph", lang, path=path, chars=" ".join(missing)), missing)

    logger.debug("saved chart %s", path)
    return path


def _missing_characters(caught: list[warnings.WarningMessage]) -> list[str]:
    characters: list[str] = []
    for warning in caught:
        match = _MISSING_GLYPH.search(str(warning.message))
        if match and chr(int(match.group(1))) not in characters:
            characters.append(chr(int(match.group(1))))
    return characters


def _reissue_other_warnings(caught: list[warnings.WarningMessage]) -> None:
    # Recording swallowed every warning; pass on the unrelated ones so the caller's filters
    # (pytest's "error" filters, say) still see them.
    for warning in caught:
        if not _MISSING_GLYPH.search(str(warning.message)):
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
