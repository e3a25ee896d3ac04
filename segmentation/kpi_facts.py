"""Run facts of the quarterly-review report: parameters, data window, row counts, file hashes, versions.

Conventions for the whole file:

* :func:`run_facts` and :func:`file_hashes` give the same text on every run
  of the same data, parameters and code; :func:`volatile_facts` (run time
  and git commit) changes, so notebook tests can sanitise that one output;
* input files and the data source are named by file name only, so no
  home folder leaks into a report;
* every function returns a frame of display text with headers in the
  requested language, indexed by its first column (fact or table), so no
  row number shows.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
from collections.abc import Mapping
from pathlib import Path

import chinese_calendar
import pandas as pd

from .i18n import Catalog
from .quality import label as table_name
from .schema import Tables
from .workcalendar import covered_years

logger = logging.getLogger(__name__)

FACTS = Catalog({
    "source": {"zh": "数据来源", "en": "data source"},
    "quarter": {"zh": "复盘季度", "en": "quarter"},
    "window": {"zh": "数据时间范围", "en": "data window"},
    "config": {"zh": "配置文件", "en": "configuration"},
    "defaults": {"zh": "默认配置", "en": "defaults"},
    "lang": {"zh": "语言", "en": "language"},
    "output_dir": {"zh": "导出目录", "en": "export folder"},
    "none": {"zh": "无", "en": "none"},
    "rows": {"zh": "{table}表行数", "en": "{table} rows"},
    "version": {"zh": "segmentation 版本", "en": "segmentation version"},
    "calendar": {"zh": "节假日日历", "en": "holiday calendar"},
    "run_time": {"zh": "运行时间", "en": "run time"},
    "commit": {"zh": "git 提交", "en": "git commit"},
    "unknown": {"zh": "未知", "en": "unknown"},
    "fact": {"zh": "项目", "en": "fact"},
    "value": {"zh": "值", "en": "value"},
    "file": {"zh": "文件", "en": "file"},
    "table": {"zh": "表", "en": "table"},
    "zh": {"zh": "中文", "en": "Chinese"},
    "en": {"zh": "英文", "en": "English"},
})


def data_window(tables: Tables) -> str:
    """Return the first and last local date of the orders and tickets, e.g. ``2023-01-01 – 2024-06-30``."""
    stamps = [frame[column] for frame, column in ((tables.orders, "order_date"), (tables.tickets, "created_at"))
              if frame is not None and column in frame.columns and frame[column].notna().any()]
    if not stamps:
        return "—"
    first = min(series.min() for series in stamps)
    last = max(series.max() for series in stamps)
    return f"{first:%Y-%m-%d} – {last:%Y-%m-%d}"


def run_facts(tables: Tables, parameters: Mapping[str, str], lang: str = "zh") -> pd.DataFrame:
    """Return the facts of a run that repeat exactly on the same data, parameters and code.

    Parameters
    ----------
    tables : Tables
    parameters : mapping
        The notebook parameters (``source``, ``quarter``, ``config``,
        ``lang``, ``output_dir``).
    lang : {"zh", "en"}

    Returns
    -------
    DataFrame
        One column, value, indexed by fact, as display text. A source given
        as a path shows by its file or folder name.
    """
    # Imported here because the package __init__ defines __version__ after its own imports.
    from . import __version__

    first, last = covered_years()
    rows = [
        (FACTS("source", lang), Path(str(parameters.get("source", ""))).name or "—"),
        (FACTS("quarter", lang), str(parameters.get("quarter", ""))),
        (FACTS("config", lang), str(parameters.get("config", "")) or FACTS("defaults", lang)),
        (FACTS("lang", lang), _language_name(str(parameters.get("lang", lang)), lang)),
        (FACTS("output_dir", lang), str(parameters.get("output_dir", "")) or FACTS("none", lang)),
        (FACTS("window", lang), data_window(tables)),
    ]
    for name in ("customers", "orders", "tickets", "followups", "overrides"):
        table = getattr(tables, name)
        rows.append((FACTS("rows", lang, table=table_name(name, lang)), "—" if table is None else f"{len(table):,}"))
    rows.append((FACTS("version", lang), __version__))
    rows.append((FACTS("calendar", lang),
                 f"chinesecalendar {getattr(chinese_calendar, '__version__', '?')} ({first}–{last})"))
    return _facts_frame(rows, lang)


def _language_name(code: str, lang: str) -> str:
    return FACTS(code, lang) if code in ("zh", "en") else code


def _facts_frame(rows: list[tuple[str, str]], lang: str) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[FACTS("fact", lang), FACTS("value", lang)]).set_index(FACTS("fact", lang))


def file_hashes(tables: Tables, lang: str = "zh") -> pd.DataFrame:
    """Return the SHA-256 of every input file, indexed by table display name, files named without folders."""
    rows = []
    for table, paths in sorted(tables.files.items()):
        for path in paths:
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest() if Path(path).is_file() else "—"
            rows.append((table_name(table, lang), Path(path).name, digest))
    frame = pd.DataFrame(rows, columns=[FACTS("table", lang), FACTS("file", lang), "SHA-256"])
    return frame.set_index(FACTS("table", lang))


def git_commit(folder: str | Path | None = None) -> str | None:
    """Return the commit of the git checkout holding ``folder`` (default: the package), or None."""
    folder = Path(folder) if folder is not None else Path(__file__).resolve().parent
    try:
        result = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=folder, capture_output=True,
                                text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        logger.info("git commit not available: %s", error)
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def volatile_facts(timezone: str, lang: str = "zh", now: pd.Timestamp | None = None) -> pd.DataFrame:
    """Return the facts that change between runs: the run time (in ``timezone``) and the git commit."""
    stamp = now if now is not None else pd.Timestamp.now(tz=timezone)
    rows = [(FACTS("run_time", lang), f"{stamp:%Y-%m-%d %H:%M:%S %Z}"),
            (FACTS("commit", lang), git_commit() or FACTS("unknown", lang))]
    return _facts_frame(rows, lang)
