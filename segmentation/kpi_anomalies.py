"""Anomalies for the quarterly review meeting: shifts in after-sales share and CSAT, appeals, missed follow-ups.

Conventions for the whole file:

* a label's after-sales share is the fraction of its quarter's tickets whose
  issue type maps to the ``after_sales`` need type. Its change against the
  previous quarter is tested with a pooled two-proportion z-test and is
  significant when ``p < config.review.significance``, the same level as
  the CSAT Welch test in :mod:`segmentation.kpi_csat`;
* shares are fractions in [0, 1], suppressed (NaN) for labels with fewer
  than ``review.min_group_size`` customers;
* overrides are counted when their decision falls in the quarter; one
  decided more than ``review.appeal_hours`` after the request is late;
* a VIP customer (label ``vip`` at the start of the quarter) misses a month
  when no follow-up is recorded in that calendar month of the quarter; the
  report lists such customers by id only.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy import stats

from .kpi_groups import reindex_labels, suppress_small
from .kpi_quarter import QuarterData
from .kpi_result import Section, missing_section
from .overrides import summarize_overrides
from .periods import month_of

logger = logging.getLogger(__name__)

AFTER_SALES = "after_sales"
VIP = "vip"
OVERRIDE_MEASURES = ("decided", "decided_in_time", "late", "in_force_at_end", "expired_by_end")


def two_proportion_p_value(successes: tuple[int, int], trials: tuple[int, int]) -> tuple[float, float]:
    """Return the z statistic and two-sided p-value of a pooled two-proportion z-test.

    Parameters
    ----------
    successes, trials : tuple of int
        ``(current, previous)`` counts.

    Returns
    -------
    tuple of float
        ``(z, p)``; both NaN when a side has no trials or the pooled share is
        0 or 1 (no variance to test against).
    """
    (x1, x2), (n1, n2) = successes, trials
    if n1 == 0 or n2 == 0:
        return float("nan"), float("nan")
    pooled = (x1 + x2) / (n1 + n2)
    standard_error = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if standard_error == 0:
        return float("nan"), float("nan")
    z = (x1 / n1 - x2 / n2) / standard_error
    return float(z), float(2 * stats.norm.sf(abs(z)))


def after_sales_counts(data: QuarterData) -> pd.DataFrame:
    """Count the quarter's tickets and after-sales tickets per start label.

    Returns
    -------
    DataFrame
        Indexed by label key in configured order: ``customers``, ``tickets``,
        ``after_sales``, ``share`` and ``suppressed``.
    """
    tickets = data.events("tickets", "created_at")
    lookup = data.config.issue_type_to_need()
    need = tickets["issue_type"].astype("str").str.strip().str.lower().map(lookup)
    frame = pd.DataFrame({
        "label": data.start_label_of(tickets["customer_id"]).to_numpy(),
        "customer_id": tickets["customer_id"].to_numpy(),
        "after_sales": (need == AFTER_SALES).to_numpy(dtype=bool),
    })
    grouped = frame.groupby("label", sort=False)
    table = pd.DataFrame({
        "customers": grouped["customer_id"].nunique(),
        "tickets": grouped.size(),
        "after_sales": grouped["after_sales"].sum(),
    })
    table = reindex_labels(table, data.config, counts=("customers", "tickets", "after_sales"))
    table["share"] = table["after_sales"] / table["tickets"].where(table["tickets"] > 0)
    return suppress_small(table, ["share"], data.config)


def after_sales_section(current: QuarterData, previous: QuarterData | None) -> Section:
    """Test each label's after-sales share against the previous quarter.

    Returns
    -------
    Section
        Key ``after_sales``; :func:`after_sales_counts` plus
        ``previous_share``, ``change``, ``z``, ``p_value`` and ``significant``
        (``p < config.review.significance`` of ``current``). ``notes`` hold
        the test level ``alpha`` and the test name. Missing when the data has
        no tickets or no issue types.
    """
    if not current.tables.has("tickets"):
        return missing_section("after_sales", "no_tickets")
    if "issue_type" not in current.tables.tickets.columns:
        return missing_section("after_sales", "no_issue_type")

    table = after_sales_counts(current)
    earlier = after_sales_counts(previous) if previous is not None else None
    table["previous_share"] = earlier["share"].reindex(table.index) if earlier is not None else np.nan
    table["change"] = table["share"] - table["previous_share"]

    tests = [_share_test(table, earlier, label) for label in table.index]
    table["z"] = [z for z, _ in tests]
    table["p_value"] = [p for _, p in tests]
    alpha = current.config.review.significance
    table["significant"] = (table["p_value"] < alpha).to_numpy(dtype=bool)
    return Section("after_sales", table=table, notes={"alpha": alpha, "test": "two-proportion z-test"})


def _share_test(table: pd.DataFrame, earlier: pd.DataFrame | None, label: str) -> tuple[float, float]:
    if earlier is None or table.loc[label, "suppressed"] or earlier.loc[label, "suppressed"]:
        return float("nan"), float("nan")
    return two_proportion_p_value(
        (int(table.loc[label, "after_sales"]), int(earlier.loc[label, "after_sales"])),
        (int(table.loc[label, "tickets"]), int(earlier.loc[label, "tickets"])),
    )


def overrides_section(data: QuarterData) -> Section:
    """Count the overrides decided in the quarter and how many were decided in time.

    Returns
    -------
    Section
        Key ``overrides``. The table is indexed by :data:`OVERRIDE_MEASURES`
        with one ``count`` column. ``notes`` contain ``appeal_hours`` and
        ``share_in_time`` (fraction decided within the deadline, NaN when
        none was decided). Missing when the data has no overrides.
    """
    if not data.tables.has("overrides"):
        return missing_section("overrides", "no_overrides")

    decided = data.events("overrides", "decided_at")
    summary = summarize_overrides(decided, data.config, data.end - pd.Timedelta(1, "ns"))
    counts = [summary.total, summary.decided_in_time, summary.late, summary.applied, summary.expired]
    table = pd.DataFrame({"count": counts}, index=pd.Index(OVERRIDE_MEASURES, name="measure"), dtype="int64")
    share = summary.decided_in_time / summary.total if summary.total else float("nan")
    return Section("overrides", table=table,
                   notes={"appeal_hours": summary.appeal_hours, "share_in_time": share})


def vip_followup_section(data: QuarterData) -> Section:
    """List VIP customers with a month of the quarter that has no follow-up.

    Returns
    -------
    Section
        Key ``vip_followups``. The table has one row per VIP customer who
        missed at least one month, most months missed first, then by id.
        Its columns are ``customer_id``, ``missed_months`` (count) and
        ``months`` (``YYYY-MM`` list as text). ``notes`` contain
        ``vip_customers`` and ``customers_missing``. Missing when the
        configuration has no ``vip`` label or the data no follow-ups.
    """
    if VIP not in data.config.labels:
        return missing_section("vip_followups", "no_label", label=VIP)
    if not data.tables.has("followups"):
        return missing_section("vip_followups", "no_followups")

    labels = data.labels_start
    vips = sorted(set(labels.loc[labels["label"] == VIP, "customer_id"].astype("str")))
    months = [period.strftime("%Y-%m") for period in pd.period_range(
        data.start.tz_localize(None), data.end.tz_localize(None) - pd.Timedelta(1, "s"), freq="M")]

    followups = data.events("followups", "followup_at")
    seen = set(zip(followups["customer_id"].astype("str"),
                   month_of(followups["followup_at"], data.config.timezone)))
    rows = []
    for customer in vips:
        missed = [month for month in months if (customer, month) not in seen]
        if missed:
            rows.append({"customer_id": customer, "missed_months": len(missed), "months": ", ".join(missed)})

    table = pd.DataFrame(rows, columns=["customer_id", "missed_months", "months"]).astype(
        {"customer_id": "str", "missed_months": "int64", "months": "str"})
    table = table.sort_values(["missed_months", "customer_id"], ascending=[False, True], kind="stable",
                              ignore_index=True)
    notes = {"vip_customers": len(vips), "customers_missing": len(table), "months": months}
    return Section("vip_followups", table=table, notes=notes)


def significant_shifts(csat: Section, after_sales: Section) -> pd.DataFrame:
    """Collect the labels whose CSAT or after-sales share moved significantly.

    Returns
    -------
    DataFrame
        One row per significant shift: ``label``, ``metric`` (``csat`` in
        0-100 points or ``after_sales_share`` as a fraction), ``previous``,
        ``current``, ``change``, ``p_value`` and ``customers``. Empty when
        nothing moved or both sections are missing.
    """
    rows = []
    sources = ((csat, "csat", "previous_100", "mean_100"),
               (after_sales, "after_sales_share", "previous_share", "share"))
    for section, metric, before, now in sources:
        if not section.available:
            continue
        hits = section.table[section.table["significant"]]
        for label, row in hits.iterrows():
            rows.append({"label": label, "metric": metric, "previous": row[before], "current": row[now],
                         "change": row[now] - row[before], "p_value": row["p_value"],
                         "customers": int(row["customers"])})
    columns = ["label", "metric", "previous", "current", "change", "p_value", "customers"]
    return pd.DataFrame(rows, columns=columns)
