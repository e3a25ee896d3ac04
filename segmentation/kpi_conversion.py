"""Value conversion over a quarter: activation, upgrade and the migration of labels.

Conventions for the whole file:

* "start" and "end" mean each customer's label (and value tier) at the start
  and at the end of the quarter, as :mod:`segmentation.kpi_quarter` builds
  them. A customer absent at the end (churned or set aside) counts as not
  converted, so leavers never raise a rate;
* rates are fractions in [0, 1] over the customers of the starting group;
  a group of fewer than ``review.min_group_size`` customers is suppressed
  (rate NaN, ``suppressed`` True);
* an order counts as activity when it falls in the quarter with a positive
  amount and, where the data has a status, the status ``paid``.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .kpi_groups import label_order, suppress_small
from .kpi_quarter import QuarterData
from .kpi_result import Section, missing_section

logger = logging.getLogger(__name__)

TO_ACTIVATE = "to_activate"
ACTIVATION_MEASURES = ("left_to_activate", "ordered_or_contacted")
UPGRADE_MEASURES = ("mid_to_high",)


def _lookup(labels: pd.DataFrame, column: str) -> pd.Series:
    """Return ``column`` of a labels frame indexed by customer id."""
    frame = labels.drop_duplicates("customer_id")
    return frame.set_index(frame["customer_id"].astype("str"))[column]


def active_customers(data: QuarterData) -> set[str]:
    """Return the ids of customers who ordered (paid, positive) or opened a ticket in the quarter."""
    active: set[str] = set()
    orders = data.events("orders", "order_date")
    if orders is not None:
        paid = orders["amount"] > 0
        if "status" in orders.columns:
            paid &= orders["status"].fillna("paid").eq("paid")
        active |= set(orders.loc[paid, "customer_id"].astype("str"))
    tickets = data.events("tickets", "created_at")
    if tickets is not None:
        active |= set(tickets["customer_id"].astype("str"))
    return active


def _rate_rows(denominator: int, counts: dict[str, int]) -> pd.DataFrame:
    table = pd.DataFrame({
        "customers": denominator,
        "count": pd.Series(counts, dtype="int64"),
    })
    table["rate"] = table["count"] / denominator if denominator else np.nan
    table.index.name = "measure"
    return table


def activation_table(data: QuarterData) -> pd.DataFrame:
    """Count the to-be-activated customers at the start who converted during the quarter.

    Returns
    -------
    DataFrame
        Indexed by :data:`ACTIVATION_MEASURES`: ``left_to_activate`` (no
        longer labelled to be activated at the end) and
        ``ordered_or_contacted`` (placed an order or opened a ticket in the
        quarter); columns ``customers`` (the starting group), ``count``,
        ``rate`` and ``suppressed``.
    """
    start = _lookup(data.labels_start, "label")
    end = _lookup(data.labels_end, "label")
    group = start.index[start == TO_ACTIVATE]

    still = end.reindex(group).eq(TO_ACTIVATE)
    left = int((~still & end.reindex(group).notna()).sum())
    contacted = len(set(group) & active_customers(data))
    table = _rate_rows(len(group), {"left_to_activate": left, "ordered_or_contacted": contacted})
    return suppress_small(table, ["rate"], data.config)


def activation_section(current: QuarterData, previous: QuarterData | None) -> Section:
    """Compute the activation rates of to-be-activated customers, with the previous quarter's.

    Returns
    -------
    Section
        Key ``activation``; the table of :func:`activation_table` plus
        ``previous_rate`` and ``change``. Missing when the configuration has
        no ``to_activate`` label.
    """
    if TO_ACTIVATE not in current.config.labels:
        return missing_section("activation", "no_label", label=TO_ACTIVATE)
    table = activation_table(current)
    earlier = activation_table(previous) if previous is not None else None
    return Section("activation", table=_with_previous(table, earlier))


def _with_previous(table: pd.DataFrame, earlier: pd.DataFrame | None) -> pd.DataFrame:
    result = table.copy()
    result["previous_rate"] = earlier["rate"].reindex(result.index) if earlier is not None else np.nan
    result["change"] = result["rate"] - result["previous_rate"]
    return result


def upgrade_table(data: QuarterData) -> pd.DataFrame:
    """Count the mid-value customers at the start who are high-value at the end.

    Returns
    -------
    DataFrame
        One row ``mid_to_high`` with ``customers`` (mid value at the start),
        ``count``, ``rate`` and ``suppressed``.
    """
    start = _lookup(data.labels_start, "value_tier")
    end = _lookup(data.labels_end, "value_tier")
    group = start.index[start == "mid"]
    upgraded = int(end.reindex(group).eq("high").sum())
    table = _rate_rows(len(group), {"mid_to_high": upgraded})
    return suppress_small(table, ["rate"], data.config)


def upgrade_section(current: QuarterData, previous: QuarterData | None) -> Section:
    """Compute the mid-to-high value upgrade rate with the previous quarter's.

    Returns
    -------
    Section
        Key ``upgrade``; the table of :func:`upgrade_table` plus
        ``previous_rate`` and ``change``. Missing when the data has no orders,
        because value tiers need spend.
    """
    if not current.tables.has("orders") or "value_tier" not in current.labels_start.columns:
        return missing_section("upgrade", "no_orders")
    table = upgrade_table(current)
    earlier = upgrade_table(previous) if previous is not None else None
    return Section("upgrade", table=_with_previous(table, earlier))


def migration_matrix(data: QuarterData) -> Section:
    """Count customers by label at the start (rows) and at the end (columns) of the quarter.

    Returns
    -------
    Section
        Key ``migration``. The table has every configured label on both
        axes in order, zero-filled; index name ``start``, columns name
        ``end``. ``notes`` hold ``entered`` (labelled at the end only) and
        ``left`` (labelled at the start only).
    """
    start = _lookup(data.labels_start, "label").rename("start")
    end = _lookup(data.labels_end, "label").rename("end")
    both = pd.concat([start, end], axis=1, join="inner")

    labels = label_order(data.config)
    matrix = pd.DataFrame(0, index=pd.Index(labels, name="start"), columns=pd.Index(labels, name="end"),
                          dtype="int64")
    # Unstacking an empty count would lose the axes, so counts are written into a zero frame.
    for (from_label, to_label), count in both.groupby(["start", "end"]).size().items():
        if from_label in matrix.index and to_label in matrix.columns:
            matrix.loc[from_label, to_label] = count

    notes = {
        "entered": int((~end.index.isin(start.index)).sum()),
        "left": int((~start.index.isin(end.index)).sum()),
    }
    return Section("migration", table=matrix, notes=notes)
