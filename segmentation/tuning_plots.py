"""Charts and display tables of a weight-tuning run, in Chinese (default) or English.

Conventions that hold for the whole file:

* every function takes a :class:`~segmentation.tuning_run.TuningResult` and a
  ``lang``;
* tables come back with display headers and values rounded to 4 decimals,
  so notebook outputs are stable text;
* drawing helpers take an optional ``ax``, return the ``Axes`` they drew on
  and pin the packaged CJK font on their figure
  (:func:`segmentation.plots.pin_cjk_font`) without touching global state;
* shares and weights are fractions in [0, 1]; tables show them as fractions
  too, never as percent strings, so they can be sorted and compared.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from .backtest_metrics import METRICS, capture_curve, scheme_scores, summarize_schemes
from .config import SCORE_DIMENSIONS, VALUE_TIERS
from .i18n import Catalog, check_lang
from .plots import new_figure, pin_cjk_font
from .scoring import compare_tiers, tier_codes
from .tuning_run import TuningResult, label_changes

logger = logging.getLogger(__name__)

DECIMALS = 4
LIFT_FRACTIONS = tuple(round(float(x), 2) for x in np.linspace(0, 1, 21))
SCHEME_ORDER = ("rule_table", "rfm", "equal_weights", "configured", "tuned")

MESSAGES = Catalog({
    "rule_table": {"zh": "规则表标签", "en": "rule-table labels"},
    "rfm": {"zh": "RFM 五分位得分", "en": "RFM quintile score"},
    "equal_weights": {"zh": "等权重", "en": "equal weights"},
    "configured": {"zh": "当前配置权重", "en": "configured weights"},
    "tuned": {"zh": "调优后权重", "en": "tuned weights"},
    "random": {"zh": "随机排序", "en": "random order"},
    "value": {"zh": "价值", "en": "value"},
    "activity": {"zh": "活跃", "en": "activity"},
    "need": {"zh": "需求", "en": "need"},
    "loyalty": {"zh": "忠诚度", "en": "loyalty"},
    "top10_capture": {"zh": "前10%客户消费占比", "en": "top-10% spend capture"},
    "top30_capture": {"zh": "前30%客户消费占比", "en": "top-30% spend capture"},
    "retention_auc": {"zh": "留存 AUC", "en": "retention AUC"},
    "spearman": {"zh": "与下期消费的 Spearman 相关", "en": "Spearman with next spend"},
    "upgrade_auc": {"zh": "价值升级 AUC", "en": "upgrade AUC"},
    "csat_spearman": {"zh": "与下期 CSAT 的 Spearman 相关", "en": "Spearman with next CSAT"},
    "mean": {"zh": "均值", "en": "mean"},
    "min": {"zh": "最小", "en": "min"},
    "max": {"zh": "最大", "en": "max"},
    "lift_title": {"zh": "下期消费捕获曲线（{count} 个回测时点平均）",
                   "en": "Capture of next-period spend (mean of {count} cut-offs)"},
    "lift_x": {"zh": "按得分从高到低覆盖的客户比例", "en": "share of customers, highest score first"},
    "lift_y": {"zh": "捕获的下期消费占比", "en": "share of next-period spend captured"},
    "pareto_title": {"zh": "预测力与标签稳定性的权衡", "en": "Predictive power against label stability"},
    "pareto_x": {"zh": "相对当前权重改变层级的客户比例", "en": "share of customers changing tier vs configured weights"},
    "pareto_y": {"zh": "目标：{objective}（各时点平均）", "en": "objective: {objective} (mean over cut-offs)"},
    "grid_points": {"zh": "网格上的权重组合", "en": "weight vectors searched"},
    "front": {"zh": "帕累托前沿", "en": "Pareto front"},
    "weights_title": {"zh": "推荐权重及 95% 自助法区间", "en": "Recommended weights with 95% bootstrap intervals"},
    "weight": {"zh": "权重", "en": "weight"},
    "low": {"zh": "区间下限", "en": "interval low"},
    "high": {"zh": "区间上限", "en": "interval high"},
    "configured_weight": {"zh": "当前配置", "en": "configured"},
    "dimension": {"zh": "维度", "en": "dimension"},
    "scheme": {"zh": "方案", "en": "scheme"},
    "cutoff": {"zh": "回测时点", "en": "cut-off"},
    "customers": {"zh": "客户数", "en": "customers"},
    "next_spend": {"zh": "下期消费合计", "en": "next-period spend"},
    "retained_share": {"zh": "下期留存比例", "en": "retained share"},
    "customer_id": {"zh": "客户ID", "en": "customer id"},
    "score_configured": {"zh": "当前权重得分", "en": "score, configured"},
    "score_new": {"zh": "推荐权重得分", "en": "score, recommended"},
    "tier_configured": {"zh": "当前层级", "en": "tier, configured"},
    "tier_new": {"zh": "推荐后层级", "en": "tier, recommended"},
    "tier_high": {"zh": "高", "en": "high"},
    "tier_mid": {"zh": "中", "en": "mid"},
    "tier_low": {"zh": "低", "en": "low"},
    "rule_tier": {"zh": "规则价值层级", "en": "rule value tier"},
    "score_tier": {"zh": "推荐权重得分层级", "en": "score tier, recommended weights"},
    "intro": {
        "zh": "数据源 `{source}`：当前 {customers} 位客户。回测时点 {cutoffs}；每个时点只用当时及以前的数据打分，"
              "再用其后 {horizon} 内实际发生的消费、留存、价值升级和 CSAT 检验。调优目标：{objective}；"
              "权重网格步长 {step}，共评估 {points} 组权重。",
        "en": "Source `{source}`: {customers} customers now. Cut-offs {cutoffs}: at each one the score uses only "
              "data up to that date and is judged on the spend, retention, value upgrades and CSAT of the "
              "following {horizon}. Objective: {objective}; weight grid step {step}, {points} weight vectors "
              "evaluated.",
    },
    "dimensions": {"zh": "可计算的维度：{available}。", "en": "Dimensions the data supports: {available}."},
    "missing_dimensions": {
        "zh": "无法计算的维度：{missing}。这些维度的权重固定为 0。",
        "en": "Dimensions the data cannot support: {missing}. Their weight is fixed at 0.",
    },
    "missing_value": {"zh": "价值（没有订单）", "en": "value (no orders)"},
    "missing_activity": {"zh": "活跃（没有订单或工单）", "en": "activity (no orders or tickets)"},
    "missing_need": {"zh": "需求（没有服务工单）", "en": "need (no service tickets)"},
    "missing_loyalty": {"zh": "忠诚度（没有注册时间、复购或 CSAT 数据）",
                        "en": "loyalty (no tenure, repeat-purchase or CSAT data)"},
    "notes": {"zh": "数据提示：", "en": "Data notes:"},
    "lift_text": {
        "zh": "## 下期消费捕获曲线\n\n曲线越靠左上，得分越早覆盖下期的大额消费。虚线是随机排序。",
        "en": "## Capture of next-period spend\n\nThe further up and left a curve runs, the sooner the score "
              "reaches next period's big spenders. The dashed line is random order.",
    },
    "pareto_text": {
        "zh": "## 预测力与标签稳定性\n\n每个灰点是一组权重。前沿上的权重无法在不增加层级变动的情况下进一步提高预测力。",
        "en": "## Predictive power against label stability\n\nEach grey point is one weight vector. Weights on "
              "the front cannot predict better without moving more customers between tiers.",
    },
    "weights_text": {
        "zh": "## 推荐权重\n\n推荐权重使 {objective} 在各回测时点的平均值最高；区间来自对客户的 {n_boot} 次自助重抽样（种子 {seed}）。",
        "en": "## Recommended weights\n\nThe recommended weights maximise the mean {objective} over the cut-offs; "
              "the intervals come from {n_boot} bootstrap resamples of customers (seed {seed}).",
    },
    "baselines_text": {
        "zh": "## 与基准方案对比\n\n第一张表是各方案前10%客户捕获的下期消费占比；第二张表是全部指标在各回测时点的均值、最小值和最大值；"
              "第三张表按客户逐一对比最近回测时点的规则价值层级与推荐权重下的得分层级（两者用相同占比切分）。",
        "en": "## Against the baselines\n\nThe first table is each scheme's top-10% capture of next-period spend. "
              "The second gives every metric's mean, min and max over the cut-offs. The third compares, customer "
              "by customer at the latest cut-off, the rule value tier with the score tier under the recommended "
              "weights (both cut with the same shares).",
    },
    "changes_text": {
        "zh": "## 层级会变化的客户\n\n采用推荐权重后，{count} 位客户（{share:.1%}）的得分层级会改变。下表按客户ID列出前 {limit} 位，只含ID和分数。",
        "en": "## Customers whose tier would change\n\nUnder the recommended weights {count} customers ({share:.1%}) "
              "change score tier. The table lists the first {limit} by id, with ids and scores only.",
    },
    "yaml_text": {
        "zh": "## 配置片段\n\n把下面的片段写入配置文件并用 `--config` 传入，定时运行即使用推荐权重。",
        "en": "## Configuration fragment\n\nPut the fragment below in a configuration file and pass it with "
              "`--config`, so scheduled runs use the recommended weights.",
    },
    "yaml_written": {"zh": "已写入 {name}", "en": "written to {name}"},
})


def intro_markdown(result: TuningResult, source: str, lang: str = "zh") -> str:
    """Return the opening paragraph: source, cut-offs, horizon, objective, dimensions and data notes.

    ``source`` is shown as given, so a machine-specific cache path never appears.
    """
    check_lang(lang)
    grid = result.search.grid
    text = MESSAGES("intro", lang, source=source, customers=len(result.current.frame),
                    cutoffs=", ".join(str(fold.cutoff.date()) for fold in result.folds), horizon=result.horizon,
                    objective=MESSAGES(result.search.objective, lang), step=f"{result.search.step:g}", points=len(grid))
    available = result.current.available
    parts = [text, MESSAGES("dimensions", lang, available=", ".join(MESSAGES(dim, lang) for dim in available))]
    missing = [MESSAGES(f"missing_{dim}", lang) for dim in SCORE_DIMENSIONS if dim not in available]
    if missing:
        parts.append(MESSAGES("missing_dimensions", lang, missing="; ".join(missing)))
    if result.notes:
        parts.append(MESSAGES("notes", lang) + "\n\n" + "\n".join(f"- {note}" for note in result.notes))
    return "\n\n".join(parts)


def section_markdown(result: TuningResult, key: str, lang: str = "zh", *, limit: int = 20) -> str:
    """Return the heading and explanation of one report section (``lift``, ``pareto``, ``weights``,
    ``baselines``, ``changes`` or ``yaml``)."""
    objective = MESSAGES(result.search.objective, lang)
    if key == "weights":
        return MESSAGES("weights_text", lang, objective=objective, n_boot=result.search.n_boot,
                        seed=result.search.seed)
    if key == "changes":
        count = len(label_changes(result))
        return MESSAGES("changes_text", lang, count=count, share=count / max(len(result.current.frame), 1),
                        limit=limit)
    return MESSAGES(f"{key}_text", lang)


def scheme_names(lang: str = "zh") -> dict[str, str]:
    """Return the display name of each scheme key."""
    return {key: MESSAGES(key, lang) for key in SCHEME_ORDER}


def lift_table(result: TuningResult, fractions: Sequence[float] = LIFT_FRACTIONS) -> pd.DataFrame:
    """Return each scheme's capture curve, averaged over the cut-offs.

    Returns
    -------
    DataFrame, shape (len(fractions), 5)
        Index: share of customers taken from the top; columns: scheme keys.
    """
    curves: dict[str, list[np.ndarray]] = {}
    for fold in result.folds:
        spend = fold.outcomes["next_spend"].to_numpy()
        for scheme, score in scheme_scores(fold, result.config, result.weight_sets).items():
            curves.setdefault(scheme, []).append(capture_curve(score.to_numpy(), spend, fractions))
    table = pd.DataFrame({scheme: np.mean(values, axis=0) for scheme, values in curves.items()},
                         index=pd.Index(list(fractions), name="fraction"))
    return table[[scheme for scheme in SCHEME_ORDER if scheme in table]]


def plot_lift(result: TuningResult, lang: str = "zh", ax: Axes | None = None) -> Axes:
    """Draw the capture curve of every scheme with the random-order diagonal."""
    check_lang(lang)
    ax = ax if ax is not None else new_figure()[1]
    table = lift_table(result)
    names = scheme_names(lang)
    for scheme in table.columns:
        width = 2.4 if scheme == "tuned" else 1.4
        ax.plot(table.index, table[scheme], label=names[scheme], linewidth=width)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label=MESSAGES("random", lang))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(MESSAGES("lift_title", lang, count=len(result.folds)))
    ax.set_xlabel(MESSAGES("lift_x", lang))
    ax.set_ylabel(MESSAGES("lift_y", lang))
    ax.legend(loc="lower right")
    pin_cjk_font(ax.figure)
    return ax


def plot_pareto(result: TuningResult, lang: str = "zh", ax: Axes | None = None) -> Axes:
    """Draw every searched weight vector by label change and objective, with the Pareto front."""
    check_lang(lang)
    ax = ax if ax is not None else new_figure()[1]
    grid = result.search.grid
    ax.scatter(grid["label_change"], grid["objective_mean"], s=10, color="lightgrey",
               label=MESSAGES("grid_points", lang))
    front = grid[grid["pareto"]].sort_values("label_change")
    ax.plot(front["label_change"], front["objective_mean"], marker="o", color="tab:blue",
            label=MESSAGES("front", lang))
    _mark_weight_set(ax, result, "configured", "s", lang)
    _mark_weight_set(ax, result, "tuned", "*", lang)
    ax.set_title(MESSAGES("pareto_title", lang))
    ax.set_xlabel(MESSAGES("pareto_x", lang))
    ax.set_ylabel(MESSAGES("pareto_y", lang, objective=MESSAGES(result.search.objective, lang)))
    ax.legend(loc="lower right")
    pin_cjk_font(ax.figure)
    return ax


def _mark_weight_set(ax: Axes, result: TuningResult, key: str, marker: str, lang: str) -> None:
    grid = result.search.grid
    target = np.array([result.weight_sets[key].get(dim, 0.0) for dim in SCORE_DIMENSIONS])
    hit = np.abs(grid[list(SCORE_DIMENSIONS)].to_numpy() - target).max(axis=1) < 1e-9
    if hit.any():
        row = grid[hit].iloc[0]
        ax.scatter([row["label_change"]], [row["objective_mean"]], marker=marker, s=160, zorder=3,
                   label=MESSAGES(key, lang))


def plot_weights(result: TuningResult, lang: str = "zh", ax: Axes | None = None) -> Axes:
    """Draw the recommended weights as bars with their bootstrap intervals, next to the configured ones."""
    check_lang(lang)
    ax = ax if ax is not None else new_figure()[1]
    intervals = result.search.intervals
    positions = np.arange(len(intervals))
    configured = [result.weight_sets["configured"].get(dim, 0.0) for dim in intervals.index]
    errors = np.vstack([intervals["weight"] - intervals["low"], intervals["high"] - intervals["weight"]])
    ax.bar(positions - 0.2, configured, width=0.4, color="lightgrey", label=MESSAGES("configured_weight", lang))
    ax.bar(positions + 0.2, intervals["weight"], width=0.4, yerr=np.clip(errors, 0, None), capsize=4,
           label=MESSAGES("tuned", lang))
    ax.set_xticks(positions, [MESSAGES(dim, lang) for dim in intervals.index])
    ax.set_ylim(0, 1)
    ax.set_ylabel(MESSAGES("weight", lang))
    ax.set_title(MESSAGES("weights_title", lang))
    ax.legend()
    pin_cjk_font(ax.figure)
    return ax


def weights_table(result: TuningResult, lang: str = "zh") -> pd.DataFrame:
    """Return configured and recommended weights with their intervals, one row per dimension."""
    intervals = result.search.intervals
    table = pd.DataFrame({
        MESSAGES("configured_weight", lang): [result.weight_sets["configured"].get(dim, 0.0) for dim in intervals.index],
        MESSAGES("weight", lang): intervals["weight"].to_numpy(),
        MESSAGES("low", lang): intervals["low"].to_numpy(),
        MESSAGES("high", lang): intervals["high"].to_numpy(),
    }, index=pd.Index([MESSAGES(dim, lang) for dim in intervals.index], name=MESSAGES("dimension", lang)))
    return table.round(DECIMALS)


def baselines_table(result: TuningResult, lang: str = "zh", metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Return the mean, min and max of each metric per scheme, with display headers."""
    table = summarize_schemes(result.schemes, metrics).round(DECIMALS)
    table.index = [scheme_names(lang).get(key, key) for key in table.index]
    table.index.name = MESSAGES("scheme", lang)
    table.columns = pd.MultiIndex.from_tuples(
        [(MESSAGES(metric, lang), MESSAGES(stat, lang)) for metric, stat in table.columns])
    return table


def capture_table(result: TuningResult, lang: str = "zh") -> pd.DataFrame:
    """Return each scheme's top-10% capture of next-period spend per cut-off, plus the mean."""
    picked = result.schemes[result.schemes["metric"] == "top10_capture"]
    table = picked.pivot(index="scheme", columns="cutoff", values="value").reindex(list(SCHEME_ORDER))
    table.columns = [str(column) for column in table.columns]
    table[MESSAGES("mean", lang)] = table.mean(axis=1)
    table.index = [scheme_names(lang)[key] for key in table.index]
    table.index.name = MESSAGES("scheme", lang)
    return table.round(DECIMALS)


def tier_comparison_table(result: TuningResult, lang: str = "zh") -> pd.DataFrame:
    """Cross-tabulate rule value tiers against score tiers under the recommended weights.

    Both are cut with the same shares and tie rule at the latest cut-off, so
    the diagonal counts the customers the two schemes agree on.

    Returns
    -------
    DataFrame, shape (3, 3)
        Rows: rule value tier; columns: score tier; customer counts.
    """
    fold = result.folds[-1]
    codes = tier_codes(fold.scores.composite(result.search.recommended).to_numpy(), result.shares)
    score_tier = pd.Series(np.array(VALUE_TIERS)[codes], index=fold.scores.frame.index)
    table = compare_tiers(score_tier, fold.labels["value_tier"].astype("str"))
    names = [MESSAGES(f"tier_{tier}", lang) for tier in VALUE_TIERS]
    table.index = pd.Index(names, name=MESSAGES("rule_tier", lang))
    table.columns = pd.Index(names, name=MESSAGES("score_tier", lang))
    return table


def folds_table(result: TuningResult, lang: str = "zh") -> pd.DataFrame:
    """Return the customers, next-period spend and retained share of each cut-off."""
    rows = {
        str(fold.cutoff.date()): {
            MESSAGES("customers", lang): len(fold.outcomes),
            MESSAGES("next_spend", lang): round(float(fold.outcomes["next_spend"].sum()), 2),
            MESSAGES("retained_share", lang): round(float(fold.outcomes["retained"].mean()), DECIMALS),
        }
        for fold in result.folds
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = MESSAGES("cutoff", lang)
    return table


def label_changes_table(result: TuningResult, lang: str = "zh", limit: int = 20,
                        weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Return the first ``limit`` customers (by id) whose tier would change, with display headers.

    Only ids, scores and tiers are shown, never names or contact details.
    """
    changes = label_changes(result, weights).head(limit)
    tiers = {key: MESSAGES(f"tier_{key}", lang) for key in ("high", "mid", "low")}
    for column in ("tier_configured", "tier_new"):
        changes[column] = changes[column].map(tiers)
    changes = changes.round({"score_configured": DECIMALS, "score_new": DECIMALS})
    return changes.rename(columns={column: MESSAGES(column, lang) for column in changes.columns})
