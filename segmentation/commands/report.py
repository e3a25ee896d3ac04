"""``segmentation report``: render the quarterly review as HTML and update the report index.

``report quarterly SOURCE --quarter 2024Q2 --out reports/`` executes
``notebooks/03_quarterly_review.ipynb`` into ``reports/2024Q2/`` (executed
notebook, ``report.html`` without code, ``manifest.json`` and the tables the
notebook exports) and rewrites ``reports/index.html``. ``report sample``
does the same on the built-in sample for its latest full quarter; this is
what ``make report`` runs.

Before the notebook starts, the source is loaded once and the quarter is
checked against the span of its orders and tickets. Data problems exit with
status 1 and a quarter outside the data with status 2, and nothing runs. A
failed run leaves the previous report in place, keeps the failed notebook and
an error summary in ``reports/<quarter>.failed/``, and exits with status 3.
"""

from __future__ import annotations

import argparse
import functools
import logging
import sys
from datetime import date
from pathlib import Path

import pandas as pd

from ..cli import EXIT_OK, EXIT_RUN_FAILED
from ..config import load_config
from ..errors import DataValidationError, ParameterError, Problem
from ..i18n import Catalog
from ..loading import load_source
from ..periods import CalendarPeriod, parse_quarter
from ..render import HTML_NAME, INDEX_NAME, write_index, write_report_files
from ..runner import NotebookRunError, find_notebook, run_notebook
from ..sample import ensure_sample
from ..schema import Tables
from ..sample import read_manifest as read_sample_manifest
from ..source_file import resolve_source
from . import COMMAND_HELP

logger = logging.getLogger(__name__)

QUARTERLY_NOTEBOOK = "03_quarterly_review.ipynb"
DEFAULT_REPORTS_DIR = Path("reports")
KIND = "quarterly"

HELP = COMMAND_HELP["report"]

MESSAGES = Catalog({
    "kinds": {"zh": "报告类型", "en": "report kinds"},
    "quarterly": {"zh": "按指定季度和数据源生成季度复盘报告", "en": "render the quarterly review of one quarter"},
    "sample": {
        "zh": "用内置示例数据生成最近一个完整季度的报告（make report）",
        "en": "render the report of the latest full quarter of the built-in sample (make report)",
    },
    "source": {
        "zh": "数据源：文件夹、数据源 YAML 文件，或 sample（内置示例数据）",
        "en": "data source: a folder, a source YAML file, or 'sample' for the built-in sample",
    },
    "quarter": {"zh": "复盘季度，写成 YYYYQn，如 2024Q2", "en": "quarter to review, as YYYYQn, e.g. 2024Q2"},
    "out": {
        "zh": "报告文件夹，每个季度一个子文件夹，默认 reports/",
        "en": "reports folder, one sub-folder per quarter; default reports/",
    },
    "config": {"zh": "配置文件（YAML），覆盖默认阈值和规则", "en": "configuration file (YAML) merged over the defaults"},
    "timeout": {"zh": "单个单元格最长运行秒数；默认不限", "en": "maximum seconds per cell; no limit by default"},
    "config_missing": {
        "zh": "找不到配置文件 {path}，请检查路径。",
        "en": "configuration file {path} not found; check the path.",
    },
    "title": {"zh": "{quarter} 客户分层季度复盘", "en": "Quarterly review of customer segments, {quarter}"},
    "sample_quarter": {
        "zh": "示例数据截至 {end}，最近一个完整季度是 {quarter}",
        "en": "the sample ends on {end}; its latest full quarter is {quarter}",
    },
    "out_not_folder": {
        "zh": "--out {path} 是一个已存在的文件，而不是文件夹；请给出报告文件夹的路径。",
        "en": "--out {path} is an existing file, not a folder; give the path of the reports folder.",
    },
    "quarter_outside_data": {
        "zh": "季度 {quarter} 没有数据：数据源的订单和工单从 {first} 到 {last}（{zone}），"
              "有数据的季度是 {first_quarter} 至 {last_quarter}。请选择其中一个季度。",
        "en": "quarter {quarter} has no data: the source's orders and tickets run from {first} to {last} ({zone}), "
              "so the quarters with data are {first_quarter} to {last_quarter}. Choose one of those.",
    },
    "no_records": {
        "zh": "数据源 {source} 没有任何订单或工单记录，无法生成季度复盘。",
        "en": "source {source} has no order or ticket records, so there is nothing to review.",
    },
    "written": {"zh": "报告已生成：{path}", "en": "report written: {path}"},
    "index": {"zh": "报告索引：{path}", "en": "report index: {path}"},
    "failed": {"zh": "错误：{message}", "en": "error: {message}"},
})


def add_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """Declare the ``quarterly`` and ``sample`` report kinds with help text in ``lang``."""
    kinds = parser.add_subparsers(dest="report_kind", required=True, title=MESSAGES("kinds", lang))

    quarterly = kinds.add_parser("quarterly", help=MESSAGES("quarterly", lang), description=MESSAGES("quarterly", lang))
    quarterly.add_argument("source", help=MESSAGES("source", lang))
    quarterly.add_argument("--quarter", required=True, metavar="YYYYQn", help=MESSAGES("quarter", lang))
    # A separate dest: a sub-parser default would overwrite the global --config.
    quarterly.add_argument("--config", dest="report_config", default=None, metavar="FILE",
                           help=MESSAGES("config", lang))
    _add_common_arguments(quarterly, lang)

    sample = kinds.add_parser("sample", help=MESSAGES("sample", lang), description=MESSAGES("sample", lang))
    _add_common_arguments(sample, lang)


def _add_common_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    parser.add_argument("--out", type=Path, default=DEFAULT_REPORTS_DIR, metavar="DIR", help=MESSAGES("out", lang))
    parser.add_argument("--timeout", type=int, default=None, metavar="SECONDS", help=MESSAGES("timeout", lang))


def last_full_quarter(last_day: date) -> str:
    """Return the latest quarter that ends on or before ``last_day``, as ``YYYYQn``.

    Examples
    --------
    >>> last_full_quarter(date(2024, 6, 30))
    '2024Q2'
    >>> last_full_quarter(date(2024, 6, 29))
    '2024Q1'
    """
    quarter = pd.Period(last_day, freq="Q")
    if last_day < quarter.end_time.date():
        quarter -= 1
    return str(quarter)


def sample_source_and_quarter(lang: str) -> tuple[Path, str]:
    """Generate the sample if needed and return its source file and its latest full quarter."""
    source = ensure_sample(lang=lang)
    end = date.fromisoformat(str(read_sample_manifest(source)["end"])[:10])
    quarter = last_full_quarter(end)
    logger.info(MESSAGES("sample_quarter", lang, end=end, quarter=quarter))
    return source, quarter


def input_files(source: str | Path, lang: str) -> tuple[str, list[Path]]:
    """Return the source as the notebook should receive it (an absolute path) and the data files it names.

    ``"sample"`` becomes the sample's source file, so the manifest can hash
    the sample's files like any other input.

    Raises
    ------
    DataValidationError
        If the source does not exist or its source file is invalid.
    """
    path = ensure_sample(lang=lang) if str(source) == "sample" else Path(source).absolute()
    spec = resolve_source(path, lang)
    return str(path), [file for table in spec.tables.values() for file in table.files]


def check_out_dir(reports_dir: Path, lang: str) -> None:
    """Raise ``ParameterError`` if ``reports_dir`` exists but is not a folder."""
    if reports_dir.exists() and not reports_dir.is_dir():
        raise ParameterError(MESSAGES("out_not_folder", lang, path=reports_dir))


def record_span(tables: Tables) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Return the first and last order or ticket timestamp, or None if there are none."""
    stamps = [frame[column].dropna() for frame, column in ((tables.orders, "order_date"), (tables.tickets, "created_at"))
              if frame is not None]
    stamps = [series for series in stamps if not series.empty]
    if not stamps:
        return None
    return min(series.min() for series in stamps), max(series.max() for series in stamps)


def check_quarter_has_data(tables: Tables, period: CalendarPeriod, lang: str) -> None:
    """Raise if ``period`` lies wholly before the first or after the last order or ticket.

    Raises
    ------
    DataValidationError
        If the source has no orders or tickets at all.
    ParameterError
        If the quarter ends before the first record or starts after the last;
        the message names the data's span and the quarters that have data.
    """
    span = record_span(tables)
    if span is None:
        message = MESSAGES("no_records", lang, source=tables.source)
        raise DataValidationError([Problem("source", "no_records", message, fatal=True)])

    first, last = (stamp.tz_convert(period.start.tz) for stamp in span)
    if period.end <= first or period.start > last:
        raise ParameterError(MESSAGES(
            "quarter_outside_data", lang, quarter=period.label, first=f"{first:%Y-%m-%d %H:%M}",
            last=f"{last:%Y-%m-%d %H:%M}", zone=period.start.tz, first_quarter=_quarter_label(first),
            last_quarter=_quarter_label(last)))


def _quarter_label(stamp: pd.Timestamp) -> str:
    return str(pd.Period(stamp.tz_localize(None), freq="Q"))


def check_config(config: str | None, lang: str) -> str | None:
    """Return the absolute path of the configuration file, raising ``ParameterError`` if it is missing."""
    if not config:
        return None
    path = Path(config)
    if not path.is_file():
        raise ParameterError(MESSAGES("config_missing", lang, path=path))
    return str(path.absolute())


def render_quarterly(source: str | Path, quarter: str, reports_dir: Path, *, config: str | None = None,
                     lang: str = "zh", progress_bar: bool = True, quiet: bool = False,
                     timeout: int | None = None) -> Path:
    """Execute the quarterly notebook into ``reports_dir/<quarter>/`` and refresh the index.

    Parameters
    ----------
    source : str or Path
        Data source: a folder, a source YAML file or ``"sample"``.
    quarter : str
        ``YYYYQn``.
    reports_dir : Path
        Folder of all reports.
    config : str, optional
        Configuration file.
    lang : {"zh", "en"}
        Language of the report and of messages.
    progress_bar : bool
        Show papermill's progress bar.
    quiet : bool
        Keep the kernel's own log warnings off the terminal.
    timeout : int, optional
        Seconds one cell may run.

    Returns
    -------
    Path
        The report's HTML file.

    Raises
    ------
    ParameterError
        Before anything runs, for a bad quarter, ``--out`` or configuration
        file, or a quarter outside the data's span.
    DataValidationError
        Before anything runs, for a missing source or fatal problems in its files.
    NotebookRunError
        If the notebook failed; the index is refreshed first, so it shows the failure.
    """
    notebook = find_notebook(QUARTERLY_NOTEBOOK, lang)
    check_out_dir(reports_dir, lang)
    config_path = check_config(config, lang)
    settings = load_config(config_path)
    period = parse_quarter(quarter, settings.timezone, lang=lang)
    label = period.label
    source_value, data_files = input_files(source, lang)
    parameters = {"source": source_value, "quarter": label, "lang": lang}
    if config_path:
        parameters["config"] = config_path

    # The notebook loads the source again, but problems found here end the command with
    # status 1 or 2 before a kernel starts, rather than as a failed run (status 3).
    check_quarter_has_data(load_source(source_value, settings, lang=lang), period, lang)

    finalize = functools.partial(write_report_files, kind=KIND, title=MESSAGES("title", lang, quarter=label),
                                 lang=lang, inputs=data_files, extra={"quarter": label})
    try:
        record = run_notebook(notebook, reports_dir / label, parameters, lang=lang, progress_bar=progress_bar, quiet=quiet,
                              execution_timeout=timeout, finalize=finalize)
    except NotebookRunError:
        write_index(reports_dir, lang, settings.timezone)
        raise

    write_index(reports_dir, lang, settings.timezone)
    return record.output_dir / HTML_NAME


def run(args: argparse.Namespace) -> int:
    """Render the requested report, print where it went, and return the exit status."""
    lang = args.lang
    if args.report_kind == "sample":
        source, quarter, config = *sample_source_and_quarter(lang), args.config
    else:
        source, quarter, config = args.source, args.quarter, args.report_config or args.config

    try:
        html_path = render_quarterly(source, quarter, args.out, config=config, lang=lang,
                                     progress_bar=not args.quiet, quiet=args.quiet, timeout=args.timeout)
    except NotebookRunError as error:
        print(MESSAGES("failed", lang, message=error), file=sys.stderr)
        return EXIT_RUN_FAILED

    print(MESSAGES("written", lang, path=html_path))
    print(MESSAGES("index", lang, path=(args.out / INDEX_NAME).absolute()))
    return EXIT_OK
