"""Prose and fact tables of the quarterly-review report, in Chinese or English.

The notebook ``03_quarterly_review.ipynb`` only calls these functions and
shows what they return, so switching ``lang`` switches every heading and
sentence. Conventions for the whole file:

* functions return Markdown strings or frames of display text;
* run facts (parameters, row counts, file hashes, versions) live in
  :mod:`segmentation.kpi_facts`;
* no table here shows personal columns (name, phone, e-mail).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from .config import Config
from .i18n import Catalog, pick
from .kpi import QuarterlyReview
from .kpi_display import HEADERS, MEASURES
from .kpi_quarter import ONE_SECOND
from .kpi_summary import decision_rule, describe_decision, nothing_to_decide
from .quality import label as quality_label
from .schema import Tables

logger = logging.getLogger(__name__)

TEXT = Catalog({
    "title": {"zh": "# {quarter} 客户分层季度复盘", "en": "# Quarterly review of customer segments, {quarter}"},
    "subtitle": {
        "zh": "本报告复盘 {quarter}（{first} 至 {last}，{timezone} 时间），数据来源：{source}；"
              "每位客户按季度初所持的标签统计，并与上季度 {previous} 对比。",
        "en": "This report reviews {quarter} ({first} to {last}, {timezone} time) on the data source {source}; "
              "each customer counts under the label held at the start of the quarter, compared with the "
              "previous quarter, {previous}.",
    },
    "summary": {"zh": "## 管理层摘要", "en": "## Summary for managers"},
    "headline": {"zh": "**核心指标**（箭头为与上季度 {previous} 相比的方向；解决时长 ↓ 表示变快）",
                 "en": "**Headline KPIs** (arrows show the direction against last quarter, {previous}; "
                       "for resolution time ↓ means faster)"},
    "exported": {"zh": "已导出 {count} 个表格到 {folder}。", "en": "Exported {count} tables to {folder}."},
    "decisions": {"zh": "**需要决策的三件事**", "en": "**Three things that need a decision**"},
    "label_sources": {"zh": "季度初标签：{start}；季度末标签：{end}。",
                      "en": "Labels at the start: {start}; at the end: {end}."},
    "csat": {"zh": "## 满意度（CSAT）", "en": "## Satisfaction (CSAT)"},
    "csat_note": {
        "zh": "每张有评分的工单为一个观测；均值在 0–100 分上计算，并换算回原量表 {low:g}–{high:g}。"
              "置信区间为 95% t 区间（按工单计算，截断在量表范围内）；与上季度的差异用 Welch t 检验，p < {alpha} 视为显著。"
              "VIP 与待激活客户排在前面。本季度整体 CSAT：{overall}。",
        "en": "Each rated ticket is one observation; means are taken on 0-100 and mapped back to the "
              "{low:g}-{high:g} source scale. Intervals are 95% t-intervals over tickets, clipped to the scale; "
              "the change against last quarter is tested with Welch's t-test, significant at p < {alpha}. "
              "VIP and to-be-activated segments come first. Overall CSAT this quarter: {overall}.",
    },
    "sla": {"zh": "## 首次响应 SLA", "en": "## First-response SLA"},
    "sla_note": {
        "zh": "每张工单按客户季度初标签的目标判定：7×24 计时统计全部分钟，工作时间计时只统计法定工作日"
              "（含调休上班日）{start}–{end} 内的分钟。达成率 = 达标 ÷（达标 + 超时 + 季度末仍未响应且已超时）；"
              "未响应的工单计数，不会被剔除。整体达成率：{overall}。",
        "en": "Each ticket is judged against the target of its customer's label at the start of the quarter: "
              "a 24x7 clock counts every minute, a working-hours clock only minutes from {start} to {end} on "
              "official workdays (make-up workdays included). Attainment = met / (met + breached + unanswered "
              "past target at quarter end); unanswered tickets are counted, never dropped. Overall: {overall}.",
    },
    "resolution": {"zh": "## 解决时长", "en": "## Resolution time"},
    "resolution_note": {
        "zh": "从创建到解决的自然时长（小时）。未解决工单单独计数，不参与均值和分位数。整体中位数：{overall} 小时。",
        "en": "Wall-clock hours from creation to resolution. Open tickets are counted separately and left "
              "out of the mean and percentiles. Overall median: {overall} h.",
    },
    "conversion": {"zh": "## 价值转化：激活率与升级率", "en": "## Value conversion: activation and upgrade"},
    "conversion_note": {
        "zh": "激活率以季度初的待激活客户为分母，给出两个口径：季度末已不再是待激活，以及季度内下过单或联系过客服。"
              "升级率以季度初的中价值客户为分母，统计季度末升为高价值的比例。季度末已不在名单中的客户计为未转化。",
        "en": "Activation is over the customers labelled to be activated at the start, measured two ways: no "
              "longer so labelled at the end, and placed an order or contacted service during the quarter. "
              "Upgrade is the share of mid-value customers at the start who are high-value at the end. "
              "Customers gone by the end count as not converted.",
    },
    "migration": {"zh": "## 标签迁移", "en": "## Label migration"},
    "migration_note": {
        "zh": "行为季度初标签，列为季度末标签。另有 {entered} 位客户只在季度末出现（新客户），{left} 位只在季度初出现。",
        "en": "Rows are the label at the start, columns the label at the end. {entered} customer(s) appear "
              "only at the end (new), {left} only at the start.",
    },
    "anomalies": {"zh": "## 异常", "en": "## Anomalies"},
    "anomalies_note": {
        "zh": "售后工单占比的变化用双比例 z 检验，CSAT 的变化用 Welch t 检验，p < {alpha} 视为显著。",
        "en": "Changes in after-sales share are tested with a two-proportion z-test and CSAT changes with "
              "Welch's t-test, significant at p < {alpha}.",
    },
    "no_anomalies": {"zh": "本季度没有显著变化的标签。", "en": "No label moved significantly this quarter."},
    "overrides_note": {
        "zh": "**标签调整（申诉）**：本季度审批 {decided} 条，其中 {in_time} 条在 {hours:g} 小时内审批。",
        "en": "**Label overrides (appeals)**: {decided} decided this quarter, {in_time} of them within "
              "{hours:g} hours.",
    },
    "followups_note": {
        "zh": "**VIP 月度回访**：季度初 {vips:,} 位 VIP 客户中，{missing:,} 位有月份未回访。",
        "en": "**VIP monthly follow-up**: of {vips:,} VIP customers at the start, {missing:,} missed at least "
              "one month.",
    },
    "followups_list": {
        "zh": "下表按漏回访月数从多到少列出前 {limit} 位，仅列客户编号。",
        "en": "The table lists the first {limit}, most months missed first, by customer id only.",
    },
    "followups_exported": {"zh": "完整名单见导出的表格。", "en": "The exported tables have the full list."},
    "rules": {"zh": "## 现行规则", "en": "## Rules in force"},
    "rules_note": {
        "zh": "综合标签规则表（价值维度决定核心标签）与各标签的服务策略，均来自当前配置。",
        "en": "The composite-label rule table (the value dimension decides the core label) and the service "
              "strategy of each label, both from the configuration in force.",
    },
    "quality": {"zh": "## 数据质量", "en": "## Data quality"},
    "label_warnings": {"zh": "**分类时的提示**", "en": "**Notes from classification**"},
    "quality_missing": {"zh": "本数据源没有数据质量报告。", "en": "This data source has no data-quality report."},
    "clustering": {"zh": "## 聚类与权重调优（可选）", "en": "## Clustering and weight tuning (optional)"},
    "facts": {"zh": "## 运行信息", "en": "## Run facts"},
})

# The words for actions match segmentation.quality.label, which names the action values in the same tables.
QUALITY = Catalog({
    "table": {"zh": "表", "en": "table"},
    "rows_read": {"zh": "读取行数", "en": "rows read"},
    "kept": {"zh": "保留", "en": "kept"},
    "repaired": {"zh": "修复", "en": "repaired"},
    "set_aside": {"zh": "搁置", "en": "set aside"},
    "derived": {"zh": "由其他表推导", "en": "derived from another table"},
    "rule": {"zh": "规则", "en": "rule"},
    "action": {"zh": "处理", "en": "action"},
    "rows": {"zh": "行数", "en": "rows"},
})
SUMMARY_COUNTS = ("rows_read", "kept", "repaired", "set_aside")
QUALITY_COUNTS = (*SUMMARY_COUNTS, "rows")
FOLLOWUP_ROWS = 20


def _number(value: float, template: str) -> str:
    return "—" if pd.isna(value) else template.format(value)


def title_markdown(review: QuarterlyReview, lang: str = "zh") -> str:
    """Return the report title and one line on what it covers: quarter dates, source, label convention.

    The source is named without its folders, so no home folder leaks into a report.
    """
    current = review.current
    return "\n\n".join([
        TEXT("title", lang, quarter=current.quarter),
        TEXT("subtitle", lang, quarter=current.quarter, first=f"{current.start:%Y-%m-%d}",
             last=f"{current.end - ONE_SECOND:%Y-%m-%d}", timezone=current.config.timezone,
             source=Path(current.tables.source).name or current.tables.source,
             previous=review.previous.quarter),
    ])


def summary_markdown(review: QuarterlyReview, lang: str = "zh") -> str:
    """Return the managers' summary heading, where the labels came from, and the headline caption."""
    sources = review.current.label_sources
    return "\n\n".join([
        TEXT("summary", lang),
        TEXT("label_sources", lang, start=sources.get("start", "—"), end=sources.get("end", "—")),
        TEXT("headline", lang, previous=review.previous.quarter),
    ])


def decisions_markdown(review: QuarterlyReview, lang: str = "zh") -> str:
    """Return the numbered items that need a decision, followed by the rule that chose them."""
    lines = [TEXT("decisions", lang)]
    if review.decisions.empty:
        lines.append(nothing_to_decide(lang))
    else:
        items = [f"{rank}. {describe_decision(row, review.current.config, lang)}"
                 for rank, (_, row) in enumerate(review.decisions.iterrows(), start=1)]
        lines.append("\n".join(items))
    lines.append(f"*{decision_rule(review.current.config, lang)}*")
    return "\n\n".join(lines)


def section_markdown(review: QuarterlyReview, key: str, lang: str = "zh") -> str:
    """Return the heading and explanation of one report section.

    ``key`` is one of ``csat``, ``sla``, ``resolution``, ``conversion``,
    ``migration`` and ``anomalies``. The explanation states the method and
    the overall figure, or the ``missing, because ...`` reason. Overrides
    and VIP follow-ups, shown under the anomalies, have their own text in
    :func:`overrides_markdown` and :func:`followups_markdown`.
    """
    sections, config = review.sections, review.current.config
    parts = [TEXT(key, lang)]
    if key == "csat" and sections["csat"].available:
        notes = sections["csat"].notes
        low, high = notes["scale"]
        parts.append(TEXT("csat_note", lang, low=low, high=high, alpha=notes["alpha"],
                          overall=_number(notes["overall_100"], "{:.1f}")))
    elif key == "sla" and sections["sla"].available:
        parts.append(TEXT("sla_note", lang, start=f"{config.working_start:%H:%M}",
                          end=f"{config.working_end:%H:%M}",
                          overall=_number(sections["sla"].notes["overall"], "{:.1%}")))
    elif key == "resolution" and sections["resolution"].available:
        parts.append(TEXT("resolution_note", lang,
                          overall=_number(sections["resolution"].notes["median_hours"], "{:.1f}")))
    elif key == "conversion":
        parts.append(TEXT("conversion_note", lang))
    elif key == "migration":
        notes = sections["migration"].notes
        parts.append(TEXT("migration_note", lang, entered=f"{notes['entered']:,}", left=f"{notes['left']:,}"))
    elif key == "anomalies":
        parts.append(TEXT("anomalies_note", lang, alpha=config.review.significance))
        if not sections["csat"].available and not sections["after_sales"].available:
            parts.append(sections["after_sales"].reason(lang))
        elif review.anomalies.empty:
            parts.append(TEXT("no_anomalies", lang))
    elif key in sections and not sections[key].available:
        parts.append(sections[key].reason(lang))
    return "\n\n".join(parts)


def overrides_markdown(review: QuarterlyReview, lang: str = "zh") -> str:
    """Return the sentence on the quarter's label overrides, or why the data has none."""
    overrides = review.sections["overrides"]
    if not overrides.available:
        return overrides.reason(lang)
    counts = overrides.table["count"]
    return TEXT("overrides_note", lang, decided=counts["decided"], in_time=counts["decided_in_time"],
                hours=overrides.notes["appeal_hours"])


def followups_markdown(review: QuarterlyReview, lang: str = "zh", limit: int = FOLLOWUP_ROWS,
                       exported: bool = False) -> str:
    """Return the sentence on missed VIP follow-ups, or why it cannot be checked.

    When more than ``limit`` customers missed a month, a second paragraph
    states that the table lists only the first ``limit`` and, if
    ``exported``, that the exported tables have the full list.
    """
    followups = review.sections["vip_followups"]
    if not followups.available:
        return followups.reason(lang)
    missing = followups.notes["customers_missing"]
    parts = [TEXT("followups_note", lang, vips=followups.notes["vip_customers"], missing=missing)]
    if missing > limit:
        exported_text = TEXT("followups_exported", lang) if exported else ""
        separator = "" if lang == "zh" else " "
        parts.append(separator.join(filter(None, [TEXT("followups_list", lang, limit=limit), exported_text])))
    return "\n\n".join(parts)


def rule_table_frame(config: Config, lang: str = "zh") -> pd.DataFrame:
    """Return the label rule table with display names: one row per value and activity tier, one column per need.

    Each cell is the composite label of that combination of tiers.
    """
    rules = config.label_rules.to_frame()
    names = {
        "value": [config.tier_name("value", key, lang) for key in rules["value"]],
        "activity": [config.tier_name("activity", key, lang) for key in rules["activity"]],
        "need": [config.tier_name("need", key, lang) for key in rules["need"]],
    }
    long = pd.DataFrame({**names, "label": [config.label_name(key, lang) for key in rules["label"]]})
    table = long.pivot(index=["value", "activity"], columns="need", values="label")
    # pivot sorts the axes by name; the rule table's own order (high to low) is the one readers expect.
    rows = pd.MultiIndex.from_frame(long[["value", "activity"]].drop_duplicates())
    table = table.reindex(index=rows, columns=list(dict.fromkeys(names["need"])))
    table.index.names = [pick({"zh": "价值", "en": "value"}, lang), pick({"zh": "活跃", "en": "activity"}, lang)]
    table.columns.name = pick({"zh": "需求", "en": "need"}, lang)
    return table


def strategy_frame(config: Config, lang: str = "zh") -> pd.DataFrame:
    """Return the service strategy of each label: response target, clock, agent, follow-up, channels."""
    rows = []
    for key, strategy in config.strategies.items():
        rows.append({
            HEADERS("label", lang): config.label_name(key, lang),
            HEADERS("target_minutes", lang): f"{strategy.first_response_minutes:g}",
            HEADERS("clock", lang): MEASURES(strategy.clock, lang),
            pick({"zh": "专属客服", "en": "dedicated agent"}, lang): MEASURES(
                "yes" if strategy.dedicated_agent else "no", lang),
            pick({"zh": "回访", "en": "follow-up"}, lang): pick(strategy.follow_up, lang),
            pick({"zh": "渠道与权益", "en": "channels and privileges"}, lang): "; ".join(
                [*strategy.channels.get(lang, []), *strategy.privileges.get(lang, [])]),
        })
    return pd.DataFrame(rows).set_index(HEADERS("label", lang))


def quality_frames(tables: Tables, lang: str = "zh") -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Return the load's per-table summary and per-rule counts as display text in ``lang``.

    Tables, rules and actions show by their names from
    :func:`segmentation.quality.label`, counts with thousands separators and
    flags as yes or no. The summary is indexed by table, the rule counts by
    table and rule. None when the source has no quality report (tables built
    in code).
    """
    if tables.quality is None:
        return None
    summary = tables.quality.summary_frame().reindex(columns=["table", *SUMMARY_COUNTS, "derived"])
    rules = tables.quality.to_frame()
    for frame in (summary, rules):
        for column in ("table", "rule", "action"):
            if column in frame.columns:
                frame[column] = [quality_label(key, lang) for key in frame[column]]
        for column in QUALITY_COUNTS:
            if column in frame.columns:
                frame[column] = [f"{int(count):,}" for count in frame[column]]
    summary["derived"] = [MEASURES("yes" if derived else "no", lang) for derived in summary["derived"]]
    summary = summary.set_index("table")
    rules = rules.set_index(["table", "rule"])
    return tuple(_quality_headers(frame, lang) for frame in (summary, rules))


def _quality_headers(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    def header(name: str) -> str:
        return QUALITY(name, lang) if name in QUALITY else name

    frame = frame.rename(columns=header)
    frame.index.names = [header(name) for name in frame.index.names]
    return frame


def warnings_markdown(review: QuarterlyReview, lang: str = "zh") -> str:
    """Return the classifier's warnings as a bullet list under a heading; empty when there are none."""
    if not review.warnings:
        return ""
    return "\n\n".join([TEXT("label_warnings", lang), "\n".join(f"- {message}" for message in review.warnings)])


def export_tables(review: QuarterlyReview, folder: str | Path) -> list[Path]:
    """Write the headline, the decisions and every available section table as CSV files.

    Files are ``<folder>/<quarter>_<name>.csv`` in UTF-8 with a byte-order
    mark, so Excel shows Chinese text. The numbers are the raw ones (rates
    as fractions), not the formatted display text.

    Returns
    -------
    list of Path
        The files written, in a fixed order.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frames = {"headline": review.headline, "decisions": review.decisions, "anomalies": review.anomalies}
    frames.update({key: section.table for key, section in review.sections.items() if section.available})

    written = []
    for name, frame in frames.items():
        path = folder / f"{review.current.quarter}_{name}.csv"
        frame.to_csv(path, encoding="utf-8-sig")
        written.append(path)
    logger.info("wrote %d review tables to %s", len(written), folder)
    return written
