"""CSAT per label for a quarter, its change against the previous quarter, with t-intervals.

Conventions for the whole file:

* one observation is one rated ticket created in the quarter, grouped by
  its customer's label at the start of that quarter;
* scores are averaged on the 0-100 scale (``csat_100``) only, never raw,
  because sources mix 1-5 and 0-10 scales; the mean and interval on the
  source's own scale are the 0-100 values mapped linearly back to the scale
  most rated tickets use (``min + value / 100 * (max - min)``);
* intervals are two-sided Student t-intervals at :data:`CONFIDENCE` over
  the rated tickets, clipped to 0-100; the change against the previous quarter is tested with
  Welch's t-test and called significant when ``p < config.review.significance``;
* the VIP and to-be-activated segments come first; labels over fewer than
  ``review.min_group_size`` customers are suppressed (NaN, ``suppressed``).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy import stats

from .kpi_groups import suppress_small, watched_first
from .kpi_quarter import QuarterData
from .kpi_result import Section, missing_section

logger = logging.getLogger(__name__)

CONFIDENCE = 0.95
MIN_RATINGS_FOR_TEST = 2


def rated_tickets(data: QuarterData) -> pd.DataFrame | None:
    """Return the quarter's rated tickets with the start label; None if there is no CSAT column."""
    tickets = data.events("tickets", "created_at")
    if tickets is None or "csat_100" not in tickets.columns:
        return None
    rated = tickets[tickets["csat_100"].notna()].copy()
    rated["label"] = data.start_label_of(rated["customer_id"]).to_numpy()
    return rated


def source_scale(rated: pd.DataFrame) -> tuple[float, float]:
    """Return the (min, max) scale most rated tickets use; (0, 100) without scale columns.

    A tie goes to the scale that sorts first by (min, max), so the choice is
    the same on every run.
    """
    if not {"csat_min", "csat_max"} <= set(rated.columns) or rated.empty:
        return 0.0, 100.0
    pairs = rated[["csat_min", "csat_max"]].dropna().astype(float)
    if pairs.empty:
        return 0.0, 100.0
    counts = pairs.value_counts(sort=False).sort_index()
    low, high = counts.idxmax()
    if len(counts) > 1:
        logger.info("CSAT comes on %d scales; means are also shown on %s-%s, the most common one",
                    len(counts), low, high)
    return float(low), float(high)


def t_interval(values: np.ndarray, confidence: float = CONFIDENCE,
               bounds: tuple[float, float] = (0.0, 100.0)) -> tuple[float, float]:
    """Return the two-sided Student t-interval of the mean, clipped to ``bounds``.

    A mean score cannot leave its scale, so an interval reaching past 0 or
    100 is cut there. Both ends are NaN for fewer than two values.
    """
    values = np.asarray(values, dtype=float)
    if values.size < 2:
        return float("nan"), float("nan")
    mean = values.mean()
    half_width = stats.t.ppf((1 + confidence) / 2, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    low, high = np.clip([mean - half_width, mean + half_width], *bounds)
    return float(low), float(high)


def csat_by_label(rated: pd.DataFrame, data: QuarterData) -> pd.DataFrame:
    """Summarise CSAT per start label on the 0-100 scale.

    Parameters
    ----------
    rated : DataFrame
        Output of :func:`rated_tickets`.
    data : QuarterData

    Returns
    -------
    DataFrame
        Indexed by label key, watched labels first, columns ``customers``,
        ``ratings``, ``mean_100``, ``ci_low_100``, ``ci_high_100``, and
        ``suppressed``; means and bounds are NaN for suppressed labels.
    """
    rows = {}
    for label in watched_first(data.config):
        group = rated[rated["label"] == label]
        low, high = t_interval(group["csat_100"].to_numpy())
        rows[label] = {
            "customers": group["customer_id"].nunique(),
            "ratings": len(group),
            "mean_100": group["csat_100"].mean() if len(group) else np.nan,
            "ci_low_100": low,
            "ci_high_100": high,
        }
    table = pd.DataFrame.from_dict(rows, orient="index").astype({"customers": "int64", "ratings": "int64"})
    table.index.name = "label"
    return suppress_small(table, ["mean_100", "ci_low_100", "ci_high_100"], data.config)


def welch_p_value(current: np.ndarray, previous: np.ndarray) -> float:
    """Return Welch's two-sided t-test p-value; NaN when either side has too few values or no spread."""
    if len(current) < MIN_RATINGS_FOR_TEST or len(previous) < MIN_RATINGS_FOR_TEST:
        return float("nan")
    if np.var(current) == 0 and np.var(previous) == 0:
        return float("nan")
    return float(stats.ttest_ind(current, previous, equal_var=False).pvalue)


def to_scale(values: pd.Series | float, scale: tuple[float, float]) -> pd.Series | float:
    """Map 0-100 values linearly onto ``scale`` = (min, max), e.g. 70 -> 3.8 on 1-5."""
    low, high = scale
    return low + values / 100 * (high - low)


def csat_section(current: QuarterData, previous: QuarterData | None) -> Section:
    """Compute CSAT per label with its change against the previous quarter.

    Parameters
    ----------
    current, previous : QuarterData
        The quarter under review and the one before it (None to skip the
        comparison).

    Returns
    -------
    Section
        Key ``csat``. The table is :func:`csat_by_label` plus ``mean_scale``,
        ``ci_low_scale``, ``ci_high_scale`` (on the source scale),
        ``previous_100``, ``change_100`` (points on 0-100), ``p_value``
        (Welch) and ``significant`` (bool, ``p < config.review.significance``
        of ``current``). Missing when the source has no tickets or no CSAT
        scores. ``notes`` hold the scale, the interval method, the test level
        ``alpha`` and ``overall_100``/``previous_overall_100``.
    """
    if not current.tables.has("tickets"):
        return missing_section("csat", "no_tickets")
    rated = rated_tickets(current)
    if rated is None or (rated.empty and _no_scores_at_all(current)):
        return missing_section("csat", "no_csat")

    table = csat_by_label(rated, current)
    scale = source_scale(rated)
    for column in ("mean", "ci_low", "ci_high"):
        table[f"{column}_scale"] = to_scale(table[f"{column}_100"], scale)

    before = rated_tickets(previous) if previous is not None else None
    table = _add_change(table, rated, before, current)
    notes = {
        "scale": scale,
        "method": "t-interval",
        "confidence": CONFIDENCE,
        "alpha": current.config.review.significance,
        "overall_100": float(rated["csat_100"].mean()) if len(rated) else float("nan"),
        "previous_overall_100": float(before["csat_100"].mean()) if before is not None and len(before)
        else float("nan"),
    }
    return Section("csat", table=table, notes=notes)


def _no_scores_at_all(data: QuarterData) -> bool:
    tickets = data.tables.tickets
    return "csat_100" not in tickets.columns or tickets["csat_100"].isna().all()


def _add_change(table: pd.DataFrame, rated: pd.DataFrame, before: pd.DataFrame | None,
                data: QuarterData) -> pd.DataFrame:
    """Add the previous quarter's mean, the change, Welch's p-value and its significance per label."""
    result = table.copy()
    if before is None:
        before = rated.iloc[0:0]
    earlier = csat_by_label(before, data)

    result["previous_100"] = earlier["mean_100"].reindex(result.index)
    result["change_100"] = result["mean_100"] - result["previous_100"]
    result["p_value"] = [
        welch_p_value(rated.loc[rated["label"] == label, "csat_100"].to_numpy(),
                      before.loc[before["label"] == label, "csat_100"].to_numpy())
        if not result.loc[label, "suppressed"] and not np.isnan(result.loc[label, "previous_100"])
        else np.nan
        for label in result.index
    ]
    result["significant"] = (result["p_value"] < data.config.review.significance).to_numpy(dtype=bool)
    return result
