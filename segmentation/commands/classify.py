"""``segmentation classify``: classify every customer and write the label register.

The output format follows the extension of ``--out`` (csv, xlsx or parquet).
Personal columns are written only with ``--with-contacts``. After writing,
the command prints customers per label and tier, the value-tier shares next
to the intended ones, the override counts and the notes on dimensions the
data could not support.
"""

from __future__ import annotations

import argparse
import logging
import re
from pathlib import Path

import pandas as pd

from ..classification import Classification, classify
from ..config import load_config, parse_window
from ..errors import ParameterError
from ..export import FORMATS, output_format
from ..i18n import Catalog
from ..loading import load_source
from ..overrides import summarize_overrides
from ..overrides_check import check_loaded_overrides
from ..register import build_register, count_by, value_shares, write_register
from ..schema import Tables
from . import COMMAND_HELP

logger = logging.getLogger(__name__)

HELP = COMMAND_HELP["classify"]
_AS_OF_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$")

MESSAGES = Catalog({
    "source": {
        "zh": "数据源：文件夹、数据源 YAML 文件，或 sample（内置示例数据）",
        "en": "data source: a folder, a source YAML file, or 'sample' for the built-in sample",
    },
    "as_of": {
        "zh": "分类时点，YYYY-MM-DD（当天结束时）或 YYYY-MM-DD HH:MM；默认取数据中最后一天",
        "en": "classification time, YYYY-MM-DD (end of that day) or YYYY-MM-DD HH:MM; "
              "default: the last day in the data",
    },
    "out": {
        "zh": "输出文件，扩展名决定格式：{formats}",
        "en": "output file; its extension sets the format: {formats}",
    },
    "with_contacts": {
        "zh": "写入客户姓名、电话、邮箱（个人信息，仅供客服团队内部使用）",
        "en": "include customer name, phone and e-mail (personal data, for the service team only)",
    },
    "window": {"zh": "统计窗口，如 6M（月）或 90D（天）；默认取配置", "en": "feature window such as 6M "
               "(months) or 90D (days); default: from the configuration"},
    "quarantine": {
        "zh": "把清洗时剔除的行写入此文件夹，便于核对",
        "en": "write the rows set aside during cleaning to this folder for checking",
    },
    "bad_as_of": {
        "zh": "--as-of {value!r} 无法识别；请写成 YYYY-MM-DD（如 2024-06-30）或 YYYY-MM-DD HH:MM。",
        "en": "--as-of {value!r} is invalid; write YYYY-MM-DD (e.g. 2024-06-30) or YYYY-MM-DD HH:MM.",
    },
    "written": {
        "zh": "已写出 {path}：{count} 位客户，分类时点 {as_of}，统计窗口 {window}。",
        "en": "wrote {path}: {count} customers, as of {as_of}, window {window}.",
    },
    "section_label": {"zh": "综合标签", "en": "label"},
    "section_value_tier": {"zh": "价值分层", "en": "value tier"},
    "section_activity_tier": {"zh": "活跃分层", "en": "activity tier"},
    "section_need_type": {"zh": "需求类型", "en": "need type"},
    "count_row": {"zh": "  {name}：{count}（{share:.1%}）", "en": "  {name}: {count} ({share:.1%})"},
    "shares_title": {"zh": "价值分层占比（实际 / 目标）", "en": "value-tier shares (real / intended)"},
    "share_row": {"zh": "  {name}：{real:.1%} / {intended:.1%}", "en": "  {name}: {real:.1%} / {intended:.1%}"},
    "overrides": {
        "zh": "人工调整：生效 {applied}，已过期 {expired}，未到生效时间 {pending}，"
              "{hours:g} 小时内审批 {in_time}，超时审批 {late}",
        "en": "overrides: {applied} applied, {expired} expired, {pending} not yet in force, "
              "{in_time} decided within {hours:g} hours, {late} decided late",
    },
    "notes_title": {"zh": "说明", "en": "notes"},
    "note_row": {"zh": "  - {note}", "en": "  - {note}"},
    "quarantine_written": {"zh": "剔除的行已写入 {path}", "en": "rows set aside written to {path}"},
})


def add_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """Declare the arguments of ``classify`` with help text in ``lang``."""
    parser.add_argument("source", help=MESSAGES("source", lang))
    parser.add_argument("--as-of", dest="as_of", default=None, metavar="DATE", help=MESSAGES("as_of", lang))
    parser.add_argument("--out", required=True, metavar="FILE",
                        help=MESSAGES("out", lang, formats=", ".join(FORMATS)))
    parser.add_argument("--with-contacts", action="store_true", help=MESSAGES("with_contacts", lang))
    parser.add_argument("--window", default=None, metavar="WINDOW", help=MESSAGES("window", lang))
    parser.add_argument("--quarantine", default=None, metavar="DIR", help=MESSAGES("quarantine", lang))


def check_as_of(value: str | None, lang: str = "zh") -> str | None:
    """Return ``value`` if it is ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM[:SS]`` and a real date.

    Raises
    ------
    ParameterError
        Naming the value and the accepted forms.
    """
    if value is None:
        return None
    text = value.strip()
    if not _AS_OF_PATTERN.match(text):
        raise ParameterError(MESSAGES("bad_as_of", lang, value=value))
    try:
        pd.Timestamp(text)
    except ValueError:
        raise ParameterError(MESSAGES("bad_as_of", lang, value=value)) from None
    return text


def format_summary(result: Classification, register: pd.DataFrame, lang: str) -> list[str]:
    """Return the printed summary lines: customers per label and tier, then the value-tier shares."""
    config = result.config
    counts = count_by(register, config, lang)
    lines = []
    for section, rows in counts.groupby("section", sort=False):
        lines.append(MESSAGES(f"section_{section}", lang))
        lines.extend(MESSAGES("count_row", lang, name=row.display_name, count=row.customers, share=row.share)
                     for row in rows.itertuples())

    shares = value_shares(register, config, lang)
    if shares["customers"].sum() > 0:
        lines.append(MESSAGES("shares_title", lang))
        lines.extend(MESSAGES("share_row", lang, name=row.display_name, real=row.share, intended=row.intended_share)
                     for row in shares.itertuples())
    return lines


def _override_line(tables: Tables, result: Classification, lang: str) -> list[str]:
    if tables.overrides is None or len(tables.overrides) == 0:
        return []
    summary = summarize_overrides(tables.overrides, result.config, result.as_of)
    return [MESSAGES("overrides", lang, applied=summary.applied, expired=summary.expired, pending=summary.pending,
                     hours=summary.appeal_hours, in_time=summary.decided_in_time, late=summary.late)]


def _note_lines(notes: list[str], lang: str) -> list[str]:
    if not notes:
        return []
    return [MESSAGES("notes_title", lang), *(MESSAGES("note_row", lang, note=note) for note in notes)]


def write_quarantine(tables: Tables, folder: str, lang: str) -> None:
    """Write the rows set aside while loading to ``folder`` and print where they went."""
    if tables.quality is None:
        return
    tables.quality.write_quarantine(folder)
    print(MESSAGES("quarantine_written", lang, path=folder))


def run(args: argparse.Namespace) -> int:
    """Classify the source and write the register; return the exit status."""
    lang = args.lang
    out = Path(args.out)
    output_format(out, lang)
    as_of = check_as_of(args.as_of, lang)
    if args.window is not None:
        parse_window(args.window)
    config = load_config(args.config)

    tables = load_source(args.source, config, lang=lang)
    if args.quarantine:
        write_quarantine(tables, args.quarantine, lang)
    check_loaded_overrides(tables, config, lang)

    result = classify(tables, config, as_of, window=args.window, lang=lang)
    register = build_register(result.labels, config, features=result.features, tables=tables,
                              as_of=result.as_of, with_contacts=args.with_contacts, lang=lang)
    write_register(register, out, config, notes=result.notes, lang=lang)

    as_of_text = f"{result.as_of:%Y-%m-%d %H:%M:%S} ({config.timezone})"
    print(MESSAGES("written", lang, path=out, count=len(register), as_of=as_of_text, window=result.window))
    lines = format_summary(result, register, lang) + _override_line(tables, result, lang)
    print("\n".join(lines + _note_lines(result.notes, lang)))
    return 0
