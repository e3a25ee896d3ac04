"""``segmentation reclassify``: the monthly review of one month against the month before.

The command classifies as of the end of ``--month`` (local time). The
previous month's labels come from its snapshot, or from a classification as
of the end of that month when there is none. The command then saves the new
snapshot, prints the movers per label pair and the anomaly counts, and writes
the change list with ``--out``.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd

from ..classification import classify
from ..config import Config, load_config, parse_window
from ..export import FORMATS, output_format, write_table
from ..i18n import Catalog
from ..loading import load_source
from ..overrides_check import check_loaded_overrides
from ..review import (
    ANOMALY_FLAGS,
    anomaly_counts,
    existing_customers,
    load_history,
    load_snapshot,
    month_end,
    mover_counts,
    parse_month,
    reclassify,
    save_snapshot,
    snapshot_path,
)
from ..schema import Tables
from . import COMMAND_HELP

logger = logging.getLogger(__name__)

HELP = COMMAND_HELP["reclassify"]

MESSAGES = Catalog({
    "source": {
        "zh": "数据源：文件夹、数据源 YAML 文件，或 sample（内置示例数据）",
        "en": "data source: a folder, a source YAML file, or 'sample' for the built-in sample",
    },
    "month": {"zh": "复核月份 YYYY-MM，按该月最后一天结束时分类", "en": "review month YYYY-MM, "
              "classified as of the end of its last day"},
    "snapshots": {
        "zh": "标签快照文件夹；默认取配置 review.snapshot_dir（相对当前目录）",
        "en": "folder of label snapshots; default: review.snapshot_dir of the configuration, "
              "relative to the current directory",
    },
    "out": {
        "zh": "变化清单输出文件，扩展名决定格式：{formats}",
        "en": "change-list output file; its extension sets the format: {formats}",
    },
    "window": {"zh": "统计窗口，如 6M（月）或 90D（天）；默认取配置", "en": "feature window such as 6M "
               "(months) or 90D (days); default: from the configuration"},
    "previous_from_snapshot": {"zh": "上月（{month}）标签取自快照 {path}", "en": "previous month ({month}) "
                               "labels read from the snapshot {path}"},
    "previous_recomputed": {"zh": "上月（{month}）没有快照，已按当前数据重新计算", "en": "previous month "
                            "({month}) has no snapshot, so it was recomputed from the current data"},
    "snapshot_saved": {"zh": "本月标签快照已保存：{path}", "en": "label snapshot saved: {path}"},
    "header": {"zh": "{month} 月度复核：{count} 位客户，{changed} 位标签变化", "en": "monthly review "
               "{month}: {count} customers, {changed} with a changed label"},
    "movers_title": {"zh": "标签变化（上月 → 本月）", "en": "label moves (previous -> current)"},
    "mover_row": {"zh": "  {before} → {after}：{count}", "en": "  {before} -> {after}: {count}"},
    "no_movers": {"zh": "  无", "en": "  none"},
    "absent_before": {"zh": "（新客户）", "en": "(new)"},
    "absent_after": {"zh": "（本月无记录）", "en": "(gone)"},
    "flags_title": {"zh": "异常标记", "en": "anomaly flags"},
    "flag_row": {"zh": "  {name}：{count}", "en": "  {name}: {count}"},
    "flag_value_jump": {"zh": "价值跨级变化", "en": "value jump (two tiers)"},
    "flag_low_activity_big_order": {"zh": "低活跃客户下大额订单", "en": "low activity, big order"},
    "flag_flip_flop": {"zh": "标签反复", "en": "label flip-flop"},
    "flag_new_customer": {"zh": "新客户", "en": "new customers"},
    "flag_gone_customer": {"zh": "本月无记录的客户", "en": "gone customers"},
    "changes_written": {"zh": "变化清单已写出：{path}", "en": "change list written to {path}"},
    "sheet": {"zh": "变化清单", "en": "changes"},
})


def add_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """Declare the arguments of ``reclassify`` with help text in ``lang``."""
    parser.add_argument("source", help=MESSAGES("source", lang))
    parser.add_argument("--month", required=True, metavar="YYYY-MM", help=MESSAGES("month", lang))
    parser.add_argument("--snapshots", default=None, metavar="DIR", help=MESSAGES("snapshots", lang))
    parser.add_argument("--out", default=None, metavar="FILE",
                        help=MESSAGES("out", lang, formats=", ".join(FORMATS)))
    parser.add_argument("--window", default=None, metavar="WINDOW", help=MESSAGES("window", lang))


def previous_labels(tables: Tables, config: Config, month: pd.Period, folder: Path, window: str | None,
                    lang: str) -> pd.DataFrame:
    """Return last month's labels: the snapshot if there is one, else a classification at its end.

    A recomputed classification keeps only the customers that existed by the
    end of the previous month (see :func:`~segmentation.review.existing_customers`).
    """
    previous = month - 1
    path = snapshot_path(previous, folder)
    if path.is_file():
        print(MESSAGES("previous_from_snapshot", lang, month=previous, path=path))
        return load_snapshot(previous, folder, lang)
    print(MESSAGES("previous_recomputed", lang, month=previous))
    result = classify(tables, config, month_end(previous, config.timezone), window=window, lang=lang)
    return existing_customers(result.labels, result.features)


def _label_text(key: object, config: Config, absent: str, lang: str) -> str:
    if pd.isna(key):
        return MESSAGES(absent, lang)
    return config.label_name(str(key), lang) if str(key) in config.labels else str(key)


def format_review(changes: pd.DataFrame, config: Config, month: pd.Period, lang: str) -> list[str]:
    """Return the printed lines: the header, movers per label pair and the anomaly counts."""
    lines = [MESSAGES("header", lang, month=month, count=len(changes), changed=int(changes["changed"].sum())),
             MESSAGES("movers_title", lang)]
    movers = mover_counts(changes)
    for row in movers.itertuples():
        lines.append(MESSAGES("mover_row", lang, count=row.customers,
                              before=_label_text(row.previous_label, config, "absent_before", lang),
                              after=_label_text(row.current_label, config, "absent_after", lang)))
    if movers.empty:
        lines.append(MESSAGES("no_movers", lang))

    lines.append(MESSAGES("flags_title", lang))
    counts = anomaly_counts(changes)
    lines.extend(MESSAGES("flag_row", lang, name=MESSAGES(f"flag_{flag}", lang), count=counts[flag])
                 for flag in ANOMALY_FLAGS)
    return lines


def run(args: argparse.Namespace) -> int:
    """Run the monthly review; return the exit status."""
    lang = args.lang
    month = parse_month(args.month, lang)
    if args.out is not None:
        output_format(args.out, lang)
    if args.window is not None:
        parse_window(args.window)
    config = load_config(args.config)
    folder = Path(args.snapshots or config.review.snapshot_dir)

    tables = load_source(args.source, config, lang=lang)
    check_loaded_overrides(tables, config, lang)
    result = classify(tables, config, month_end(month, config.timezone), window=args.window, lang=lang)
    current = existing_customers(result.labels, result.features)
    previous = previous_labels(tables, config, month, folder, args.window, lang)

    history = load_history(folder)
    changes = reclassify(previous, current, history=history, orders=tables.orders, config=config,
                         month=month, lang=lang)
    path = save_snapshot(current, month, folder, as_of=result.as_of, lang=lang)
    print(MESSAGES("snapshot_saved", lang, path=path))

    print("\n".join(format_review(changes, config, month, lang)))
    if args.out is not None:
        write_table(changes, args.out, sheet=MESSAGES("sheet", lang), lang=lang)
        print(MESSAGES("changes_written", lang, path=args.out))
    return 0
