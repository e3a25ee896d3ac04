"""The optional weight-tuning headline of the quarterly review: tuned dimension weights against the configured ones.

Conventions for the whole file:

* the run uses only the data up to the end of the reviewed quarter (see
  :func:`segmentation.backtest.tables_until`), so the review of a past
  quarter never tunes on later data. Its cut-offs are the last three quarter
  ends that leave a full outcome period (:data:`HORIZON`) before that end;
* the weights are tuned for, and compared by, the top-10% capture: the share
  of next-period spend that the 10% of customers with the highest composite
  score account for, averaged over the cut-offs;
* weights are fractions that sum to 1 and show as percentages;
* the full analysis (Pareto front, bootstrap intervals, the customers whose
  tier changes) is the weight-tuning notebook's job. This section gives the
  meeting only its headline numbers and never changes the configuration.
"""

from __future__ import annotations

import logging
import warnings

import pandas as pd

from .backtest import DEFAULT_HORIZON, tables_until
from .config import SCORE_DIMENSIONS, parse_window
from .errors import ParameterError
from .i18n import Catalog
from .kpi_display import MEASURES
from .kpi_quarter import ONE_SECOND, QuarterData
from .kpi_result import Section, missing_section
from .tuning_plots import MESSAGES as TUNING_NAMES
from .tuning_run import label_changes, run_tuning

logger = logging.getLogger(__name__)

HORIZON = DEFAULT_HORIZON
OBJECTIVE = "top10_capture"
WEIGHT_SETS = ("configured", "tuned")

MESSAGES = Catalog({
    "summary": {
        "zh": "**维度权重调优**：用截至 {end} 的数据，在 {count} 个回测时点（{cutoffs}）检验，每个时点之后的 "
              "{horizon}为结果期。按综合得分排在前 10% 的客户，平均捕获下期消费的 {tuned}（调优后权重），"
              "当前配置权重下为 {configured}，相差 {difference}。改用调优后权重，{changed:,} 位客户"
              "（{share:.1%}）的得分层级会变化。本节只供会议讨论，不会修改配置；完整分析见权重调优笔记本。",
        "en": "**Dimension-weight tuning**: tested at {count} cut-offs ({cutoffs}) on the data up to {end}, each "
              "judged on the following {horizon}. The top 10% of customers by composite score captured {tuned} "
              "of next-period spend on average under the tuned weights and {configured} under the configured "
              "weights, a difference of {difference}. Switching to the tuned weights would move {changed:,} "
              "customers ({share:.1%}) to another score tier. This section is for discussion only and changes "
              "no configuration; the weight-tuning notebook has the full analysis.",
    },
    "missing": {"zh": "**维度权重调优**：{reason}。", "en": "**Dimension-weight tuning**: {reason}."},
    "months": {"zh": "{count} 个月", "en": "{count} months"},
    "days": {"zh": "{count} 天", "en": "{count} days"},
})


def tuning_section(data: QuarterData, seed: int = 42, lang: str = "zh") -> Section:
    """Tune the dimension weights on the data up to the quarter end and compare them with the configured ones.

    Parameters
    ----------
    data : QuarterData
        The quarter under review.
    seed : int, default 42
        Seed of the bootstrap in :func:`segmentation.tuning_run.run_tuning`.
    lang : {"zh", "en"}
        Language of the backtest's error message when the data cannot support it.

    Returns
    -------
    Section
        Key ``tuning``. The table is indexed by ``configured`` and ``tuned``
        (name ``scheme``) with one weight column per score dimension and
        ``top10_capture`` (mean over the cut-offs). ``notes`` hold ``end``
        (the data cut), ``cutoffs`` (dates as text), ``horizon``,
        ``changed`` (customers whose score tier the tuned weights change) and
        ``customers``. Missing (``no_backtest``) when no quarter end leaves a
        full outcome period.
    """
    end = data.end - ONE_SECOND
    # The classifier's degenerate-data warnings were already collected for this quarter by the review.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            result = run_tuning(tables_until(data.tables, end), data.config, horizon=HORIZON, objective=OBJECTIVE,
                                seed=seed, lang=lang)
        except ParameterError as error:
            logger.info("weight tuning for %s skipped: %s", data.quarter, error)
            return missing_section("tuning", "no_backtest", detail=str(error).rstrip("。. "))

    picked = result.schemes[result.schemes["metric"] == OBJECTIVE]
    capture = picked.groupby("scheme")["value"].mean()
    table = pd.DataFrame(
        [[result.weight_sets[key].get(dimension, 0.0) for dimension in SCORE_DIMENSIONS] for key in WEIGHT_SETS],
        index=pd.Index(WEIGHT_SETS, name="scheme"), columns=list(SCORE_DIMENSIONS))
    table[OBJECTIVE] = capture.reindex(WEIGHT_SETS).to_numpy()
    notes = {
        "end": f"{end:%Y-%m-%d}",
        "cutoffs": [str(fold.cutoff.date()) for fold in result.folds],
        "horizon": result.horizon,
        "changed": len(label_changes(result)),
        "customers": len(result.current.frame),
    }
    return Section("tuning", table=table, notes=notes)


def _weight_text(weight: float) -> str:
    return "—" if pd.isna(weight) else f"{weight * 100:.4g}%"


def _capture_text(capture: float) -> str:
    return "—" if pd.isna(capture) else f"{capture:.1%}"


def _horizon_text(horizon: str, lang: str) -> str:
    count, unit = parse_window(horizon)
    return MESSAGES("months" if unit == "M" else "days", lang, count=count)


def tuning_markdown(section: Section, lang: str = "zh") -> str:
    """Return the paragraph with the tuning headline of :func:`tuning_section`, or why it is missing."""
    if not section.available:
        return MESSAGES("missing", lang, reason=section.reason(lang))
    notes, capture = section.notes, section.table[OBJECTIVE]
    separator = "、" if lang == "zh" else ", "
    difference = capture["tuned"] - capture["configured"]
    difference_text = "—" if pd.isna(difference) else MEASURES("pp", lang, value=difference * 100)
    return MESSAGES(
        "summary", lang, end=notes["end"], count=len(notes["cutoffs"]), cutoffs=separator.join(notes["cutoffs"]),
        horizon=_horizon_text(notes["horizon"], lang), tuned=_capture_text(capture["tuned"]),
        configured=_capture_text(capture["configured"]), difference=difference_text.replace("-", "\u2212"),
        changed=notes["changed"], share=notes["changed"] / max(notes["customers"], 1))


def tuning_table(section: Section, lang: str = "zh") -> pd.DataFrame:
    """Return configured and tuned weights with their top-10% capture, as display text in ``lang``."""
    table = section.table
    frame = pd.DataFrame({TUNING_NAMES(dimension, lang): [_weight_text(value) for value in table[dimension]]
                          for dimension in SCORE_DIMENSIONS})
    frame[TUNING_NAMES(OBJECTIVE, lang)] = [_capture_text(value) for value in table[OBJECTIVE]]
    frame.index = pd.Index([TUNING_NAMES(key, lang) for key in table.index], name=TUNING_NAMES("scheme", lang))
    return frame
