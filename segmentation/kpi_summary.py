"""The one-page summary for managers: headline KPIs with their trend, and the items that need a decision.

Conventions for the whole file:

* a headline value is ``NaN`` when its section is missing or suppressed.
  Its arrow compares it with the previous quarter at display precision
  (``↑`` higher, ``↓`` lower, ``→`` equal once rounded, ``—`` not
  comparable). An arrow shows direction only, so for resolution time ``↓``
  is good;
* rates are fractions in [0, 1], CSAT is on 0-100, resolution in hours;
* the items needing a decision are chosen by one rule (:data:`DECISION_RULE`):
  candidates come from significant CSAT drops, labels whose SLA attainment
  is below ``config.review.sla_goal``, significant rises in after-sales
  share, VIP customers with a missed monthly follow-up and overrides decided
  late; they are ranked by that category order, then by the number of
  customers concerned (most first), then by label order, and the first
  :data:`DECISION_COUNT` are kept. "Significant" means
  ``p < config.review.significance``, decided in the CSAT and after-sales
  sections.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .config import Config
from .i18n import Catalog
from .kpi_anomalies import significant_shifts
from .kpi_result import Section

logger = logging.getLogger(__name__)

DECISION_COUNT = 3
CATEGORIES = ("csat_drop", "sla_below_goal", "after_sales_rise", "vip_followups", "late_overrides")
HEADLINES = ("csat", "sla", "resolution", "activation", "upgrade")
_DIGITS = {"points": 1, "fraction": 3, "hours": 1}

DECISION_RULE = Catalog({
    "rule": {
        "zh": "选取规则：依次按类别排序——CSAT 显著下降、首响 SLA 达成率低于 {goal}、售后工单占比显著上升、"
              "VIP 客户漏回访、标签调整审批超时；同一类别内按涉及客户数从多到少，取前 {count} 项。"
              "显著性水平 p < {alpha:g}。",
        "en": "Rule: rank by category — significant CSAT drops, SLA attainment under {goal}, significant "
              "rises in after-sales share, VIP customers missing a follow-up, overrides decided late — then "
              "by the number of customers concerned, most first; keep the first {count}. "
              "Significance level p < {alpha:g}.",
    },
})

MESSAGES = Catalog({
    "csat_drop": {
        "zh": "{label}：CSAT 从 {previous:.1f} 降至 {current:.1f}（0–100 分，p = {p_value:.3f}），"
              "涉及 {customers:,} 位客户",
        "en": "{label}: CSAT fell from {previous:.1f} to {current:.1f} (0-100, p = {p_value:.3f}), "
              "{customers:,} customers",
    },
    "sla_below_goal": {
        "zh": "{label}：首响 SLA 达成率 {current:.1%}，低于 {goal} 的目标，涉及 {customers:,} 位客户",
        "en": "{label}: first-response SLA attainment {current:.1%}, below the {goal} goal, "
              "{customers:,} customers",
    },
    "after_sales_rise": {
        "zh": "{label}：售后工单占比从 {previous:.1%} 升至 {current:.1%}（p = {p_value:.3f}），"
              "涉及 {customers:,} 位客户",
        "en": "{label}: after-sales share of tickets rose from {previous:.1%} to {current:.1%} "
              "(p = {p_value:.3f}), {customers:,} customers",
    },
    "vip_followups": {
        "zh": "{customers:,} 位 VIP 客户本季度有月份未按月回访",
        "en": "{customers:,} VIP customer(s) missed a monthly follow-up this quarter",
    },
    "late_overrides": {
        "zh": "{customers:,} 条标签调整在申请后超过 {hours:g} 小时才审批",
        "en": "{customers:,} label override(s) were decided more than {hours:g} hours after the request",
    },
    "nothing": {"zh": "本季度没有需要决策的事项。", "en": "Nothing needs a decision this quarter."},
})


def goal_text(goal: float) -> str:
    """Return a goal fraction as a percentage without spurious decimals: 0.9 -> ``90%``, 0.925 -> ``92.5%``."""
    return f"{goal * 100:.4g}%"


def arrow(change: float, unit: str) -> str:
    """Return ``↑``, ``↓`` or ``→`` for a change at the display precision of ``unit``; ``—`` for NaN."""
    if pd.isna(change):
        return "—"
    rounded = round(float(change), _DIGITS[unit])
    if rounded > 0:
        return "↑"
    if rounded < 0:
        return "↓"
    return "→"


def _headline_values(sections: Mapping[str, Section]) -> dict[str, tuple[float, float, str]]:
    """Return ``key -> (current, previous, unit)`` for each headline KPI."""
    nan = float("nan")
    values = {key: (nan, nan, unit) for key, unit in zip(
        HEADLINES, ("points", "fraction", "hours", "fraction", "fraction"))}
    if sections["csat"].available:
        notes = sections["csat"].notes
        values["csat"] = (notes["overall_100"], notes["previous_overall_100"], "points")
    if sections["sla"].available:
        notes = sections["sla"].notes
        values["sla"] = (notes["overall"], notes["previous_overall"], "fraction")
    if sections["resolution"].available:
        notes = sections["resolution"].notes
        values["resolution"] = (notes["median_hours"], notes["previous_median_hours"], "hours")
    for key, measure in (("activation", "left_to_activate"), ("upgrade", "mid_to_high")):
        if sections[key].available:
            row = sections[key].table.loc[measure]
            values[key] = (row["rate"], row["previous_rate"], "fraction")
    return values


def headline_kpis(sections: Mapping[str, Section]) -> pd.DataFrame:
    """Return the headline KPIs with the previous quarter's value, the change and an arrow.

    Parameters
    ----------
    sections : mapping of str to Section
        At least the sections named in :data:`HEADLINES`.

    Returns
    -------
    DataFrame
        Indexed by :data:`HEADLINES`: ``value``, ``previous``, ``change``,
        ``arrow``, ``unit`` (``points``, ``fraction`` or ``hours``) and
        ``missing`` (the section's reason key, empty when available).
    """
    rows = {}
    for key, (value, previous, unit) in _headline_values(sections).items():
        change = value - previous
        rows[key] = {"value": value, "previous": previous, "change": change,
                     "arrow": arrow(change, unit), "unit": unit, "missing": sections[key].missing or ""}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "kpi"
    return table


def _candidates(sections: Mapping[str, Section], sla_goal: float) -> list[dict[str, object]]:
    shifts = significant_shifts(sections["csat"], sections["after_sales"])
    found: list[dict[str, object]] = []
    for _, row in shifts.iterrows():
        if row["metric"] == "csat" and row["change"] < 0:
            found.append({"category": "csat_drop", **row.drop(["metric"]).to_dict()})
        if row["metric"] == "after_sales_share" and row["change"] > 0:
            found.append({"category": "after_sales_rise", **row.drop(["metric"]).to_dict()})
    found.extend(_sla_candidates(sections["sla"], sla_goal))
    if sections["vip_followups"].available and sections["vip_followups"].notes["customers_missing"]:
        found.append({"category": "vip_followups", "label": "vip",
                      "customers": sections["vip_followups"].notes["customers_missing"]})
    if sections["overrides"].available and sections["overrides"].table.loc["late", "count"]:
        found.append({"category": "late_overrides", "label": "",
                      "customers": int(sections["overrides"].table.loc["late", "count"]),
                      "hours": sections["overrides"].notes["appeal_hours"]})
    return found


def _sla_candidates(section: Section, goal: float) -> list[dict[str, object]]:
    if not section.available:
        return []
    table = section.table
    below = table[(table["attainment"] < goal).fillna(False).astype(bool)]
    return [{"category": "sla_below_goal", "label": label, "current": row["attainment"],
             "customers": int(row["customers"]), "goal": goal}
            for label, row in below.iterrows()]


def decisions(sections: Mapping[str, Section], config: Config) -> pd.DataFrame:
    """Choose the items that most need a decision, by :data:`DECISION_RULE`.

    Parameters
    ----------
    sections : mapping of str to Section
        The review's sections; CSAT and after-sales already carry their
        ``significant`` flags.
    config : Config
        Supplies ``review.sla_goal`` (labels below it are candidates) and
        the label order used to break ties.

    Returns
    -------
    DataFrame
        At most :data:`DECISION_COUNT` rows in rank order with ``category``,
        ``label`` (key, empty for items not tied to a label), ``customers``
        and the numbers the message needs (``previous``, ``current``,
        ``p_value``, ``goal``, ``hours``; NaN where not relevant).
    """
    columns = ["category", "label", "customers", "previous", "current", "change", "p_value", "goal", "hours"]
    found = pd.DataFrame(_candidates(sections, config.review.sla_goal)).reindex(columns=columns)
    if found.empty:
        return found.astype({"category": "str", "label": "str"})

    label_rank = {label: position for position, label in enumerate(config.labels)}
    found["_category"] = found["category"].map(CATEGORIES.index)
    found["_label"] = found["label"].map(label_rank).fillna(len(label_rank))
    ranked = found.sort_values(["_category", "customers", "_label"], ascending=[True, False, True], kind="stable")
    return ranked.drop(columns=["_category", "_label"]).head(DECISION_COUNT).reset_index(drop=True)


def describe_decision(row: pd.Series, config: Config, lang: str = "zh") -> str:
    """Return the sentence for one row of :func:`decisions` in ``lang``."""
    label = config.label_name(row["label"], lang) if row["label"] in config.labels else ""
    fields = {name: (np.nan if pd.isna(value) else value) for name, value in row.items()}
    fields["label"] = label
    fields["customers"] = int(row["customers"])
    if not pd.isna(row["goal"]):
        fields["goal"] = goal_text(row["goal"])
    return MESSAGES(row["category"], lang, **fields)


def decision_rule(config: Config, lang: str = "zh") -> str:
    """Return the stated rule used to choose the decision items, with the SLA goal and test level of ``config``."""
    review = config.review
    return DECISION_RULE("rule", lang, goal=goal_text(review.sla_goal), count=DECISION_COUNT,
                         alpha=review.significance)


def nothing_to_decide(lang: str = "zh") -> str:
    """Return the sentence shown when no item needs a decision."""
    return MESSAGES("nothing", lang)
