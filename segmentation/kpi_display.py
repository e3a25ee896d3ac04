"""Quarterly-review tables formatted for the meeting report, in Chinese or English.

Conventions for the whole file:

* every function returns a new frame of strings; the numbers behind it are
  left untouched in the :class:`~segmentation.kpi_result.Section`;
* rates show as percentages with one decimal, their changes in percentage
  points; CSAT shows on 0-100 with one decimal; hours with one decimal;
* counts show with thousands separators, p-values with three decimals and
  as ``<0.001`` below that;
* a suppressed value shows as ``—（样本不足）`` / ``— (fewer than 5)`` and any
  other missing value as ``—``, never as 0% or 100%;
* labels and measures show by their display names in the chosen language,
  and row names sit in the index, so no table shows a 0, 1, 2, ... row number;
* no personal column (name, phone, e-mail) is part of these tables. A
  customer id that is itself an e-mail address or phone number is masked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

import pandas as pd

from .config import Config
from .i18n import Catalog
from .kpi_groups import display_labels, suppressed_marker
from .kpi_result import Section

logger = logging.getLogger(__name__)

HEADERS = Catalog({
    "label": {"zh": "客户标签", "en": "label"},
    "measure": {"zh": "指标", "en": "measure"},
    "kpi": {"zh": "核心指标", "en": "KPI"},
    "customers": {"zh": "客户数", "en": "customers"},
    "tickets": {"zh": "工单数", "en": "tickets"},
    "ratings": {"zh": "评分数", "en": "ratings"},
    "mean_100": {"zh": "CSAT（0–100）", "en": "CSAT (0-100)"},
    "ci_100": {"zh": "95% 置信区间", "en": "95% CI"},
    "mean_scale": {"zh": "CSAT（原量表）", "en": "CSAT (source scale)"},
    "previous_100": {"zh": "上季度", "en": "last quarter"},
    "change_100": {"zh": "变化", "en": "change"},
    "p_value": {"zh": "p 值", "en": "p-value"},
    "significant": {"zh": "显著", "en": "significant"},
    "met": {"zh": "达标", "en": "met"},
    "breached": {"zh": "超时", "en": "breached"},
    "no_response": {"zh": "未响应", "en": "no response"},
    "overdue": {"zh": "未响应且已超时", "en": "unanswered, overdue"},
    "attainment": {"zh": "达成率", "en": "attainment"},
    "previous_attainment": {"zh": "上季度", "en": "last quarter"},
    "change": {"zh": "变化", "en": "change"},
    "target_minutes": {"zh": "目标（分钟）", "en": "target (min)"},
    "clock": {"zh": "计时方式", "en": "clock"},
    "resolved": {"zh": "已解决", "en": "resolved"},
    "open": {"zh": "未解决", "en": "open"},
    "mean_hours": {"zh": "平均（小时）", "en": "mean (h)"},
    "median_hours": {"zh": "中位数（小时）", "en": "median (h)"},
    "p90_hours": {"zh": "90 分位（小时）", "en": "90th pct (h)"},
    "previous_median_hours": {"zh": "上季度中位数", "en": "last quarter median"},
    "change_median_hours": {"zh": "变化（小时）", "en": "change (h)"},
    "count": {"zh": "人数", "en": "count"},
    "base_customers": {"zh": "季度初客户数", "en": "customers at start"},
    "converted": {"zh": "已转化", "en": "converted"},
    "override_count": {"zh": "条数", "en": "overrides"},
    "rate": {"zh": "比率", "en": "rate"},
    "previous_rate": {"zh": "上季度", "en": "last quarter"},
    "after_sales": {"zh": "售后工单", "en": "after-sales tickets"},
    "share": {"zh": "售后占比", "en": "after-sales share"},
    "previous_share": {"zh": "上季度", "en": "last quarter"},
    "value": {"zh": "本季度", "en": "this quarter"},
    "previous": {"zh": "上季度", "en": "last quarter"},
    "arrow": {"zh": "趋势", "en": "trend"},
    "customer_id": {"zh": "客户编号", "en": "customer id"},
    "missed_months": {"zh": "漏回访月数", "en": "months missed"},
    "months": {"zh": "漏回访月份", "en": "months without follow-up"},
    "start": {"zh": "季度初标签", "en": "label at start"},
    "end": {"zh": "季度末标签", "en": "label at end"},
    "metric": {"zh": "指标", "en": "metric"},
    "current": {"zh": "本季度", "en": "this quarter"},
})

MEASURES = Catalog({
    "left_to_activate": {"zh": "季度末已不再是待激活", "en": "no longer to be activated at the end"},
    "ordered_or_contacted": {"zh": "季度内下单或联系过", "en": "ordered or contacted in the quarter"},
    "mid_to_high": {"zh": "中价值升为高价值", "en": "mid value to high value"},
    "decided": {"zh": "本季度审批的调整", "en": "overrides decided in the quarter"},
    "decided_in_time": {"zh": "在期限内审批", "en": "decided within the deadline"},
    "late": {"zh": "超时审批", "en": "decided late"},
    "in_force_at_end": {"zh": "季度末仍生效", "en": "in force at the end"},
    "expired_by_end": {"zh": "季度末已到期", "en": "expired by the end"},
    "csat": {"zh": "满意度 CSAT（0–100）", "en": "CSAT (0-100)"},
    "sla": {"zh": "首响 SLA 达成率", "en": "first-response SLA attainment"},
    "resolution": {"zh": "解决时长中位数（小时）", "en": "median resolution time (h)"},
    "activation": {"zh": "待激活客户激活率", "en": "activation rate"},
    "upgrade": {"zh": "中→高价值升级率", "en": "mid-to-high upgrade rate"},
    "after_sales_share": {"zh": "售后工单占比", "en": "after-sales share"},
    "24x7": {"zh": "7×24 小时", "en": "24x7"},
    "working_hours": {"zh": "工作时间", "en": "working hours"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "points": {"zh": "{value:+.1f} 分", "en": "{value:+.1f} pts"},
    "pp": {"zh": "{value:+.1f} 个百分点", "en": "{value:+.1f} pp"},
    "hours_change": {"zh": "{value:+.1f} 小时", "en": "{value:+.1f} h"},
})

EMPTY = "—"
# A source may key customers by e-mail or mobile number, which are personal data themselves.
_PERSONAL_ID = re.compile(r"@|^\+?\d{11,}$")
_VALUE_KINDS = {"percent", "points", "scale", "hours", "change_pp", "change_points", "change_hours", "interval"}
P_VALUE_FLOOR = 0.001
# Per-section headers for column keys whose meaning depends on the section: "customers" of a conversion
# table is its denominator, and "count" of the overrides table counts overrides, not people.
SECTION_HEADERS = {
    "activation": {"customers": "base_customers", "count": "converted"},
    "upgrade": {"customers": "base_customers", "count": "converted"},
    "overrides": {"count": "override_count"},
}


def _fmt(kind: str, value: object, lang: str) -> str:
    """Format one value of a column kind; ``—`` for missing values."""
    if kind == "text":
        return MEASURES(value, lang) if value in MEASURES else str(value)
    if pd.isna(value):
        return EMPTY
    formats: dict[str, Callable[[object], str]] = {
        "count": lambda v: f"{int(v):,}",
        "percent": lambda v: f"{float(v):.1%}",
        "points": lambda v: f"{float(v):.1f}",
        "scale": lambda v: f"{float(v):.2f}",
        "hours": lambda v: f"{float(v):.1f}",
        "minutes": lambda v: f"{float(v):g}",
        "p": lambda v: f"<{P_VALUE_FLOOR:g}" if float(v) < P_VALUE_FLOOR else f"{float(v):.3f}",
        "change_pp": lambda v: MEASURES("pp", lang, value=float(v) * 100),
        "change_points": lambda v: MEASURES("points", lang, value=float(v)),
        "change_hours": lambda v: f"{float(v):+.1f}",
        "change_hours_unit": lambda v: MEASURES("hours_change", lang, value=float(v)),
        "bool": lambda v: MEASURES("yes" if v else "no", lang),
    }
    return formats[kind](value).replace("-", "\u2212") if kind != "bool" else formats[kind](value)


COLUMNS: dict[str, Sequence[tuple[str, str]]] = {
    "csat": (("customers", "count"), ("ratings", "count"), ("mean_100", "points"), ("ci_100", "interval"),
             ("mean_scale", "scale"), ("previous_100", "points"), ("change_100", "change_points"),
             ("p_value", "p")),
    "sla": (("target_minutes", "minutes"), ("clock", "text"), ("tickets", "count"), ("met", "count"),
            ("breached", "count"), ("no_response", "count"), ("overdue", "count"),
            ("attainment", "percent"), ("previous_attainment", "percent"), ("change", "change_pp")),
    "resolution": (("tickets", "count"), ("resolved", "count"), ("open", "count"), ("mean_hours", "hours"),
                   ("median_hours", "hours"), ("p90_hours", "hours"), ("previous_median_hours", "hours"),
                   ("change_median_hours", "change_hours")),
    "activation": (("customers", "count"), ("count", "count"), ("rate", "percent"),
                   ("previous_rate", "percent"), ("change", "change_pp")),
    "upgrade": (("customers", "count"), ("count", "count"), ("rate", "percent"),
                ("previous_rate", "percent"), ("change", "change_pp")),
    "after_sales": (("customers", "count"), ("tickets", "count"), ("after_sales", "count"),
                    ("share", "percent"), ("previous_share", "percent"), ("change", "change_pp"),
                    ("p_value", "p")),
    "overrides": (("count", "count"),),
    "vip_followups": (("customer_id", "text"), ("missed_months", "count"), ("months", "text")),
}


def safe_customer_id(customer_id: str) -> str:
    """Return the id unchanged, or masked (``ab***``) when it is an e-mail address or a phone number."""
    text = str(customer_id)
    if _PERSONAL_ID.search(text):
        return text[:2] + "***"
    return text


def _cell(row: pd.Series, column: str, kind: str, marker: str, lang: str) -> str:
    suppressed = bool(row.get("suppressed", False))
    if suppressed and kind in _VALUE_KINDS and not column.startswith("previous"):
        return marker
    if column == "customer_id":
        return safe_customer_id(row[column])
    if kind == "interval":
        low, high = row["ci_low_100"], row["ci_high_100"]
        return EMPTY if pd.isna(low) else f"{low:.1f}–{high:.1f}"
    return _fmt(kind, row[column], lang)


def _header(section_key: str, column: str, lang: str) -> str:
    return HEADERS(SECTION_HEADERS.get(section_key, {}).get(column, column), lang)


def _index_names(section: Section, config: Config, lang: str) -> list[str]:
    index = section.table.index
    if index.name == "label":
        return display_labels(list(index), config, lang)
    return [_fmt("text", key, lang) for key in index]


def display_section(section: Section, config: Config, lang: str = "zh") -> pd.DataFrame:
    """Return a section's short table as formatted strings with headers in ``lang``.

    Parameters
    ----------
    section : Section
        Any section except ``migration`` (see :func:`display_migration`).
    config : Config
        Supplies label display names and ``review.min_group_size``.
    lang : {"zh", "en"}

    Returns
    -------
    DataFrame of str
        One row per label or measure, indexed by its display name; the VIP
        follow-up list is indexed by customer id. A missing section gives a
        one-cell frame holding its ``missing, because ...`` text.
    """
    if not section.available:
        return pd.DataFrame({HEADERS("measure", lang): [section.reason(lang)]}, index=pd.Index([""]))
    marker = suppressed_marker(config, lang)
    columns = COLUMNS[section.key]
    rows = [[_cell(row, name, kind, marker, lang) for name, kind in columns]
            for _, row in section.table.iterrows()]
    frame = pd.DataFrame(rows, columns=[_header(section.key, name, lang) for name, _ in columns], dtype="str")
    if section.key == "vip_followups":
        return frame.set_index(HEADERS("customer_id", lang))
    frame.index = pd.Index(_index_names(section, config, lang), name=HEADERS(section.table.index.name, lang))
    return frame


def display_migration(section: Section, config: Config, lang: str = "zh") -> pd.DataFrame:
    """Return the migration matrix as counts text with display names on both axes, rows = label at start."""
    table = section.table.map(lambda count: _fmt("count", count, lang))
    table.index = pd.Index(display_labels(list(table.index), config, lang), name=HEADERS("start", lang))
    table.columns = pd.Index(display_labels(list(table.columns), config, lang), name=HEADERS("end", lang))
    return table


def display_headline(headline: pd.DataFrame, sections: dict[str, Section], lang: str = "zh") -> pd.DataFrame:
    """Return the headline KPIs formatted: value, last quarter, change and trend arrow.

    A KPI whose section is missing shows its ``missing, because ...`` text
    in the value column.
    """
    kinds = {"points": ("points", "change_points"), "fraction": ("percent", "change_pp"),
             "hours": ("hours", "change_hours_unit")}
    rows = []
    for key, row in headline.iterrows():
        value_kind, change_kind = kinds[row["unit"]]
        value = sections[key].reason(lang) if row["missing"] else _fmt(value_kind, row["value"], lang)
        rows.append([MEASURES(key, lang), value, _fmt(value_kind, row["previous"], lang),
                     _fmt(change_kind, row["change"], lang), row["arrow"]])
    names = [HEADERS(name, lang) for name in ("kpi", "value", "previous", "change", "arrow")]
    return pd.DataFrame(rows, columns=names, dtype="str").set_index(names[0])


def display_anomalies(anomalies: pd.DataFrame, config: Config, lang: str = "zh") -> pd.DataFrame:
    """Return the significant shifts formatted, indexed by label and metric; CSAT in points, shares in percent."""
    rows = []
    for _, row in anomalies.iterrows():
        value_kind, change_kind = ("points", "change_points") if row["metric"] == "csat" else ("percent", "change_pp")
        rows.append([display_labels([row["label"]], config, lang)[0], MEASURES(row["metric"], lang),
                     _fmt(value_kind, row["previous"], lang), _fmt(value_kind, row["current"], lang),
                     _fmt(change_kind, row["change"], lang), _fmt("p", row["p_value"], lang),
                     _fmt("count", row["customers"], lang)])
    names = [HEADERS(name, lang) for name in
             ("label", "metric", "previous", "current", "change", "p_value", "customers")]
    return pd.DataFrame(rows, columns=names, dtype="str").set_index(names[:2])
