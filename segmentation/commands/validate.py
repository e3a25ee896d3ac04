"""``segmentation validate SOURCE``: load a source and print its data-quality summary.

Prints rows read, kept, repaired and set aside per table, the rows each
cleaning rule touched and the first row problems, in the language of
``--lang``. It then checks the override rows as ``classify`` does (see
:func:`~segmentation.overrides_check.check_loaded_overrides`), so a source
that passes here is not rejected there for its overrides. Exits 0 when the
source loads and its overrides are valid. Fatal problems, invalid override
rows and, with ``--strict``, row problems raise
:class:`~segmentation.errors.DataValidationError`, which
:func:`segmentation.cli.main` prints before exiting with status 1.
"""

from __future__ import annotations

import argparse
import unicodedata

import pandas as pd

from ..config import load_config
from ..i18n import Catalog
from ..loading import load_source
from ..overrides_check import check_loaded_overrides
from ..quality import QualityReport, label
from ..schema import Tables
from . import COMMAND_HELP

SHOWN_PROBLEMS = 20

HELP = COMMAND_HELP["validate"]

MESSAGES = Catalog({
    "source": {"zh": "数据源：文件夹、数据源 YAML 文件或 sample", "en": "data source: a folder, a source YAML file or 'sample'"},
    "quarantine": {"zh": "把搁置的行和行级问题写入该文件夹（每张表一个 CSV，带 BOM 的 UTF-8）",
                   "en": "write the set-aside rows and row problems to this folder (one CSV per table, "
                         "UTF-8 with BOM)"},
    "strict": {"zh": "严格模式：任何行级问题都视为致命错误", "en": "strict mode: treat any row problem as fatal"},
    "title": {"zh": "数据源 {name}", "en": "source {name}"},
    "derived": {"zh": "（由其他表派生）", "en": " (derived from other tables)"},
    "rules": {"zh": "各规则计数：", "en": "rows per rule:"},
    "no_rules": {"zh": "没有任何行被搁置、修复或计数。", "en": "no row was set aside, repaired or counted."},
    "problems": {"zh": "行级问题共 {count} 个，前 {shown} 个：", "en": "{count} row problem(s); the first {shown}:"},
    "more": {"zh": "……其余 {count} 个见 --quarantine 导出的 problems.csv", "en": "... {count} more in problems.csv "
             "(write it with --quarantine)"},
    "written": {"zh": "已写入 {path}", "en": "wrote {path}"},
    "col_table": {"zh": "表", "en": "table"},
    "col_rows_read": {"zh": "读取", "en": "read"},
    "col_kept": {"zh": "保留", "en": "kept"},
    "col_repaired": {"zh": "修复", "en": "repaired"},
    "col_set_aside": {"zh": "搁置", "en": "set aside"},
    "col_rule": {"zh": "规则", "en": "rule"},
    "col_action": {"zh": "处理", "en": "action"},
    "col_rows": {"zh": "行数", "en": "rows"},
})


def add_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """Add the ``validate`` arguments with help text in ``lang``."""
    parser.add_argument("source", help=MESSAGES("source", lang))
    parser.add_argument("--quarantine", metavar="DIR", default=None, help=MESSAGES("quarantine", lang))
    parser.add_argument("--strict", action="store_true", help=MESSAGES("strict", lang))


def run(args: argparse.Namespace) -> int:
    """Load ``args.source``, print the quality summary, optionally write the quarantine files, check the overrides."""
    config = load_config(args.config)
    tables = load_source(args.source, config, lang=args.lang, strict=args.strict)

    print(format_summary(tables, args.lang))

    if args.quarantine:
        for path in tables.quality.write_quarantine(args.quarantine):
            print(MESSAGES("written", args.lang, path=path))

    # Checked after the summary is printed, so the counts reach the analyst even when an override is rejected.
    check_loaded_overrides(tables, config, args.lang)
    return 0


def format_summary(tables: Tables, lang: str) -> str:
    """Return the printed summary: per-table counts, per-rule counts and the first row problems."""
    report: QualityReport = tables.quality
    sections = [MESSAGES("title", lang, name=tables.source), _table_counts(report, lang)]
    rules = report.to_frame()
    sections.append(MESSAGES("rules", lang) + "\n" + _rule_counts(rules, lang) if len(rules)
                    else MESSAGES("no_rules", lang))
    sections.append(_problem_lines(report, lang))
    return "\n\n".join(section for section in sections if section)


def _table_counts(report: QualityReport, lang: str) -> str:
    summary = report.summary_frame()
    names = [label(table, lang) + (MESSAGES("derived", lang) if derived else "")
             for table, derived in zip(summary["table"], summary["derived"])]
    frame = pd.DataFrame({MESSAGES("col_table", lang): names})
    for column in ("rows_read", "kept", "repaired", "set_aside"):
        frame[MESSAGES(f"col_{column}", lang)] = summary[column]
    return _to_text(frame)


def _rule_counts(rules: pd.DataFrame, lang: str) -> str:
    frame = pd.DataFrame({
        MESSAGES("col_table", lang): rules["table"].map(lambda key: label(key, lang)),
        MESSAGES("col_rule", lang): [f"{label(rule, lang)} ({rule})" for rule in rules["rule"]],
        MESSAGES("col_action", lang): rules["action"].map(lambda key: label(key, lang)),
        MESSAGES("col_rows", lang): rules["rows"],
    })
    return _to_text(frame)


def _problem_lines(report: QualityReport, lang: str) -> str:
    problems = report.problems
    if not problems:
        return ""
    first_problems = problems[:SHOWN_PROBLEMS]
    lines = [MESSAGES("problems", lang, count=len(problems), shown=len(first_problems))]
    lines += [f"  - {problem.message}" for problem in first_problems]
    if len(problems) > len(first_problems):
        lines.append("  " + MESSAGES("more", lang, count=len(problems) - len(first_problems)))
    return "\n".join(lines)


def _to_text(frame: pd.DataFrame) -> str:
    """Lay out ``frame`` as text: text columns left-aligned, numbers right-aligned."""
    cells = [[str(value) for value in frame[column]] for column in frame.columns]
    widths = [max(map(_display_width, [str(column), *column_cells]))
              for column, column_cells in zip(frame.columns, cells)]
    numeric = [pd.api.types.is_numeric_dtype(frame[column]) for column in frame.columns]
    rows = [list(frame.columns)] + [list(row) for row in zip(*cells)]
    return "\n".join("  ".join(_pad(str(cell), width, right) for cell, width, right in zip(row, widths, numeric))
                     .rstrip() for row in rows)


def _display_width(text: str) -> int:
    # Chinese characters take two terminal columns.
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int, right: bool) -> str:
    padding = " " * (width - _display_width(text))
    return padding + text if right else text + padding
