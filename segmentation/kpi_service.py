"""Service efficiency per label for a quarter: first-response SLA attainment and resolution time.

Conventions for the whole file:

* the tickets are those created in the quarter, each judged against the
  label its customer carried at the start of the quarter;
* first-response durations are in minutes on the label's clock (see
  :mod:`segmentation.sla`); resolution times are wall-clock hours from
  creation to resolution, because a customer waits through nights and
  holidays alike;
* attainment is a fraction in [0, 1]; tickets without a first response are
  counted (``no_response``, ``overdue``) and unresolved tickets are counted
  as ``open``, never dropped;
* statistics over fewer than ``review.min_group_size`` customers are
  suppressed (NaN, ``suppressed`` True).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .kpi_groups import reindex_labels, suppress_small
from .kpi_quarter import QuarterData
from .kpi_result import Section, missing_section
from .sla import overall_attainment, sla_attainment, sla_outcomes

logger = logging.getLogger(__name__)

RESOLUTION_QUANTILE = 0.9
RESOLUTION_STATS = ("mean_hours", "median_hours", "p90_hours")


def _quarter_tickets(data: QuarterData, column: str) -> tuple[pd.DataFrame | None, str | None]:
    """Return the quarter's tickets, or the missing reason when ``column`` is absent or empty."""
    if not data.tables.has("tickets"):
        return None, "no_tickets"
    tickets = data.tables.tickets
    if column not in tickets.columns or tickets[column].isna().all():
        return None, "no_first_response" if column == "first_response_at" else "no_resolution"
    return data.events("tickets", "created_at"), None


def sla_table(data: QuarterData) -> tuple[pd.DataFrame, float] | None:
    """Return the per-label attainment table and the overall attainment; None without response data."""
    tickets, reason = _quarter_tickets(data, "first_response_at")
    if reason is not None:
        return None
    outcomes = sla_outcomes(tickets, data.labels_start, data.config, as_of=data.end)
    return sla_attainment(outcomes, data.config), overall_attainment(outcomes)


def sla_section(current: QuarterData, previous: QuarterData | None) -> Section:
    """Compute first-response SLA attainment per label with its change against the previous quarter.

    Returns
    -------
    Section
        Key ``sla``. The table is :func:`segmentation.sla.sla_attainment`
        plus ``previous_attainment`` and ``change`` (difference of fractions).
        ``notes`` hold ``overall`` and ``previous_overall``. Missing when the
        tickets have no first-response times.
    """
    _, reason = _quarter_tickets(current, "first_response_at")
    if reason is not None:
        return missing_section("sla", reason)

    table, overall = sla_table(current)
    before = sla_table(previous) if previous is not None else None
    previous_table, previous_overall = before if before is not None else (None, float("nan"))

    table["previous_attainment"] = (
        previous_table["attainment"].reindex(table.index) if previous_table is not None else np.nan)
    table["change"] = table["attainment"] - table["previous_attainment"]
    return Section("sla", table=table, notes={"overall": overall, "previous_overall": previous_overall})


def resolution_hours(tickets: pd.DataFrame) -> pd.Series:
    """Return the wall-clock hours from creation to resolution; NaN where unresolved or reversed."""
    hours = (tickets["resolved_at"] - tickets["created_at"]).dt.total_seconds() / 3600
    reversed_count = int((hours < 0).sum())
    if reversed_count:
        logger.warning("%d ticket(s) are resolved before they were created; their resolution time is blank",
                       reversed_count)
    return hours.where(hours >= 0).astype(float)


def resolution_table(data: QuarterData) -> pd.DataFrame | None:
    """Summarise resolution hours per start label; None without resolution data.

    Returns
    -------
    DataFrame or None
        Indexed by label key in configured order, columns ``customers``,
        ``tickets``, ``resolved``, ``open`` (no resolution time), the
        statistics of :data:`RESOLUTION_STATS` over resolved tickets, and
        ``suppressed``.
    """
    tickets, reason = _quarter_tickets(data, "resolved_at")
    if reason is not None:
        return None

    frame = pd.DataFrame({
        "label": data.start_label_of(tickets["customer_id"]).to_numpy(),
        "customer_id": tickets["customer_id"].to_numpy(),
        "hours": resolution_hours(tickets).to_numpy(),
    })
    grouped = frame.groupby("label", sort=False)
    table = pd.DataFrame({
        "customers": grouped["customer_id"].nunique(),
        "tickets": grouped.size(),
        "resolved": grouped["hours"].count(),
        "mean_hours": grouped["hours"].mean(),
        "median_hours": grouped["hours"].median(),
        "p90_hours": grouped["hours"].quantile(RESOLUTION_QUANTILE),
    })
    table = reindex_labels(table, data.config, counts=("customers", "tickets", "resolved"))
    table.insert(3, "open", table["tickets"] - table["resolved"])
    return suppress_small(table, list(RESOLUTION_STATS), data.config)


def resolution_section(current: QuarterData, previous: QuarterData | None) -> Section:
    """Compute resolution time per label (mean, median, 90th percentile) against the previous quarter.

    Returns
    -------
    Section
        Key ``resolution``. The table is :func:`resolution_table` plus
        ``previous_median_hours`` and ``change_median_hours``. ``notes`` hold
        the overall ``median_hours`` and ``previous_median_hours`` over all
        resolved tickets of the quarter. Missing when the tickets have no
        resolution times.
    """
    _, reason = _quarter_tickets(current, "resolved_at")
    if reason is not None:
        return missing_section("resolution", reason)

    table = resolution_table(current)
    previous_table = resolution_table(previous) if previous is not None else None
    table["previous_median_hours"] = (
        previous_table["median_hours"].reindex(table.index) if previous_table is not None else np.nan)
    table["change_median_hours"] = table["median_hours"] - table["previous_median_hours"]

    notes = {
        "median_hours": _overall_median(current),
        "previous_median_hours": _overall_median(previous) if previous is not None else float("nan"),
        "quantile": RESOLUTION_QUANTILE,
    }
    return Section("resolution", table=table, notes=notes)


def _overall_median(data: QuarterData) -> float:
    tickets = data.events("tickets", "created_at")
    if tickets is None or "resolved_at" not in tickets.columns or tickets.empty:
        return float("nan")
    return float(resolution_hours(tickets).median())
