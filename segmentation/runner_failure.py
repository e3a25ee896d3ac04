"""Failed notebook runs: the error summary a scheduler and an analyst read, and where it is kept.

Conventions:

* A failed run for target folder ``X`` is kept in ``X.failed/``: the
  executed notebook as far as it ran, ``error.txt`` (one message in the
  user's language) and ``error.json`` (the same facts for programs).
* Cell indexes are 0-based positions in the source notebook, so they point
  at the cell an analyst must fix, not at papermill's copy.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from jupyter_client.kernelspec import NoSuchKernel
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.exceptions import PapermillExecutionError

from .errors import SegmentationError
from .i18n import Catalog

logger = logging.getLogger(__name__)

FAILED_SUFFIX = ".failed"
ERROR_TEXT = "error.txt"
ERROR_JSON = "error.json"

# Failures of the notebook or its kernel, as opposed to bugs in the runner.
RUN_FAILURES = (PapermillExecutionError, CellTimeoutError, DeadKernelError, NoSuchKernel)
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")

MESSAGES = Catalog({
    "failed": {
        "zh": "笔记本 {notebook} 运行失败：{where}抛出 {ename}：{evalue}\n"
              "失败的笔记本和错误摘要：{failed_dir}\n{previous}",
        "en": "notebook {notebook} failed: {where}raised {ename}: {evalue}\n"
              "failed notebook and error summary: {failed_dir}\n{previous}",
    },
    "previous_kept": {"zh": "之前的结果未改动：{target}", "en": "previous output left unchanged: {target}"},
    "no_previous": {"zh": "{target} 还没有成功运行的结果。", "en": "there is no earlier successful output in {target}."},
    "where_cell": {
        "zh": "第 {number} 个单元格（索引 {index}，In [{count}]）",
        "en": "cell {number} (index {index}, In [{count}]) ",
    },
    "where_unknown": {"zh": "运行时", "en": "the run "},
})


class NotebookRunError(SegmentationError, RuntimeError):
    """A notebook run failed; the failed notebook and its error summary were kept.

    Attributes
    ----------
    summary : dict
        The contents of ``error.json``: notebook, cell_index (0-based, in the
        source notebook; None when no cell is to blame), execution_count,
        ename, evalue, parameters, failed_dir, target, previous_output_kept
        and failed_at.
    """

    def __init__(self, message: str, summary: Mapping[str, object]) -> None:
        super().__init__(message)
        self.summary = dict(summary)


def failed_dir_for(output_dir: str | Path) -> Path:
    """Return the folder where a failed run for ``output_dir`` is kept."""
    output_dir = Path(output_dir)
    return output_dir.with_name(output_dir.name + FAILED_SUFFIX)


def error_summary(error: Exception, notebook: Path, parameters_index: int, injected: bool) -> dict[str, object]:
    """Return the facts of one failure: notebook, cell_index, execution_count, ename and evalue.

    Parameters
    ----------
    error : Exception
        What the run raised. Only ``PapermillExecutionError`` names a cell;
        for anything else ``cell_index`` and ``execution_count`` are None.
    notebook : Path
        The source notebook.
    parameters_index : int
        Index of its ``parameters`` cell.
    injected : bool
        Whether papermill inserted an ``injected-parameters`` cell.
    """
    if isinstance(error, PapermillExecutionError):
        return {
            "notebook": str(notebook),
            "cell_index": _source_cell_index(error.cell_index, parameters_index, injected),
            "execution_count": error.exec_count,
            "ename": error.ename,
            "evalue": _ANSI_ESCAPE.sub("", error.evalue),
        }
    return {"notebook": str(notebook), "cell_index": None, "execution_count": None,
            "ename": type(error).__name__, "evalue": str(error)}


def _source_cell_index(executed_index: int, parameters_index: int, injected: bool) -> int:
    # papermill inserts its "injected-parameters" cell right after the parameters cell,
    # so cells after it sit one place later in the executed notebook than in the source.
    if injected and executed_index > parameters_index + 1:
        return executed_index - 1
    return executed_index


def keep_failure(work_dir: Path, output_dir: Path, summary: dict[str, object], lang: str) -> Path:
    """Write the error summary into ``work_dir`` and rename it to the failed folder of ``output_dir``.

    ``summary`` gains failed_dir, target, previous_output_kept and failed_at.
    An older failed folder is replaced. Returns the failed folder.
    """
    failed_dir = failed_dir_for(output_dir)
    summary.update({"failed_dir": str(failed_dir), "target": str(output_dir),
                    "previous_output_kept": output_dir.exists(),
                    "failed_at": datetime.now().astimezone().isoformat(timespec="seconds")})

    (work_dir / ERROR_JSON).write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (work_dir / ERROR_TEXT).write_text(failure_message(summary, lang) + "\n", encoding="utf-8")

    shutil.rmtree(failed_dir, ignore_errors=True)
    work_dir.rename(failed_dir)
    logger.error("notebook %s failed; summary in %s", summary["notebook"], failed_dir / ERROR_TEXT)
    return failed_dir


def failure_message(summary: Mapping[str, object], lang: str) -> str:
    """Return the one-paragraph failure message of ``summary`` (as completed by :func:`keep_failure`)."""
    index = summary["cell_index"]
    if index is None:
        where = MESSAGES("where_unknown", lang)
    else:
        where = MESSAGES("where_cell", lang, number=index + 1, index=index, count=summary["execution_count"])
    previous_key = "previous_kept" if summary["previous_output_kept"] else "no_previous"
    previous = MESSAGES(previous_key, lang, target=summary["target"])
    return MESSAGES("failed", lang, notebook=summary["notebook"], where=where, ename=summary["ename"],
                    evalue=summary["evalue"], failed_dir=summary["failed_dir"], previous=previous)
