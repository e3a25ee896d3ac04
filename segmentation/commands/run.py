"""``segmentation run``: execute one notebook with checked, typed parameters, for scheduled runs.

The notebook's ``parameters`` cell is checked and every ``-p NAME VALUE`` is
converted to its declared type before a kernel starts. Only a successful run
replaces the output folder, with the executed notebook and ``manifest.json``
(and ``report.html`` with ``--html``). A failed run is kept in
``<DIR>.failed/`` with ``error.txt`` and ``error.json``, and the command
exits with status 3.
"""

from __future__ import annotations

import argparse
import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from ..cli import EXIT_OK, EXIT_RUN_FAILED
from ..errors import ParameterError
from ..i18n import Catalog
from ..manifest import build_manifest, write_manifest
from ..render import HTML_NAME, write_report_files
from ..runner import NotebookRunError, RunRecord, find_notebook, run_notebook
from ..runner_params import read_notebook_parameters
from . import COMMAND_HELP

logger = logging.getLogger(__name__)

KIND = "notebook"

HELP = COMMAND_HELP["run"]

MESSAGES = Catalog({
    "notebook": {
        "zh": "笔记本：.ipynb 文件路径，或 notebooks/ 中的名称，如 02_weight_tuning",
        "en": "notebook: path of an .ipynb file, or a name in notebooks/ such as 02_weight_tuning",
    },
    "out": {
        "zh": "输出文件夹；只有运行成功才会替换其中原有的内容",
        "en": "output folder; its previous contents are replaced only by a successful run",
    },
    "parameter": {
        "zh": "笔记本参数（可重复），按 parameters 单元格中声明的类型转换，如 -p month 2024-06",
        "en": "notebook parameter (repeatable), converted to the type declared in the parameters cell, "
              "e.g. -p month 2024-06",
    },
    "html": {"zh": "同时生成不含代码的 report.html", "en": "also render report.html without code"},
    "timeout": {"zh": "单个单元格最长运行秒数；默认不限", "en": "maximum seconds per cell; no limit by default"},
    "duplicate": {
        "zh": "参数 {name} 传入了多次（{values}），请只保留一个。",
        "en": "parameter {name} was given more than once ({values}); keep one.",
    },
    "done": {"zh": "笔记本已运行完成：{path}", "en": "notebook run finished: {path}"},
    "html_written": {"zh": "HTML 报告：{path}", "en": "HTML report: {path}"},
    "failed": {"zh": "错误：{message}", "en": "error: {message}"},
})


def add_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """Declare the arguments of ``run`` with help text in ``lang``."""
    parser.add_argument("notebook", help=MESSAGES("notebook", lang))
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help=MESSAGES("out", lang))
    parser.add_argument("-p", "--parameter", dest="parameters", nargs=2, action="append", default=[],
                        metavar=("NAME", "VALUE"), help=MESSAGES("parameter", lang))
    parser.add_argument("--html", action="store_true", help=MESSAGES("html", lang))
    parser.add_argument("--timeout", type=int, default=None, metavar="SECONDS", help=MESSAGES("timeout", lang))


def collect_parameters(pairs: list[list[str]], lang: str) -> dict[str, str]:
    """Turn ``-p NAME VALUE`` pairs into a dict, raising ``ParameterError`` for a repeated name."""
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)

    repeated = [MESSAGES("duplicate", lang, name=name, values=", ".join(given))
                for name, given in values.items() if len(given) > 1]
    if repeated:
        raise ParameterError("\n".join(repeated))
    return {name: given[0] for name, given in values.items()}


def with_global_options(parameters: dict[str, object], declared: set[str], args: argparse.Namespace) -> dict[str, object]:
    """Fill ``lang`` and ``config`` from the global options when the notebook declares them and ``-p`` did not."""
    filled = dict(parameters)
    if "lang" in declared:
        filled.setdefault("lang", args.lang)
    if "config" in declared and args.config:
        filled.setdefault("config", str(Path(args.config).absolute()))
    return filled


def run(args: argparse.Namespace) -> int:
    """Check and run the notebook, print where the output went, and return the exit status."""
    lang = args.lang
    notebook = find_notebook(args.notebook, lang)
    declared = set(read_notebook_parameters(notebook, lang).specs)
    parameters = with_global_options(collect_parameters(args.parameters, lang), declared, args)

    finalize = _finalize_step(notebook, args.html, lang)
    try:
        record = run_notebook(notebook, args.out, parameters, lang=lang, progress_bar=not args.quiet, quiet=args.quiet,
                              execution_timeout=args.timeout, finalize=finalize)
    except NotebookRunError as error:
        print(MESSAGES("failed", lang, message=error), file=sys.stderr)
        return EXIT_RUN_FAILED

    print(MESSAGES("done", lang, path=record.output_dir / record.executed_name))
    if args.html:
        print(MESSAGES("html_written", lang, path=record.output_dir / HTML_NAME))
    return EXIT_OK


def _finalize_step(notebook: Path, html: bool, lang: str) -> Callable[[RunRecord], None]:
    if html:
        return functools.partial(write_report_files, kind=KIND, title=notebook.stem, lang=lang)
    return _write_manifest


def _write_manifest(record: RunRecord) -> None:
    write_manifest(build_manifest(record, kind=KIND), record.work_dir)
