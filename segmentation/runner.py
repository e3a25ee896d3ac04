"""Run a notebook with papermill so that a scheduler can trust the result.

Conventions:

* Parameters are checked and typed by :mod:`segmentation.runner_params`
  before any kernel starts; papermill receives typed values only.
* The notebook always runs on the project's kernel (``segmentation`` when
  that kernelspec is installed, else ``python3``), whatever kernel name the
  file was saved with, in the caller's working directory.
* A run writes into a staging folder next to the target folder. Only a run
  that succeeds (including the caller's ``finalize`` step) replaces the
  target, so the previous good output is never half overwritten. A failed
  run is kept in ``<target>.failed/`` with the executed notebook and an error
  summary (``error.txt``, ``error.json``, see :mod:`segmentation.runner_failure`);
  the next successful run deletes it.
* Paths into the staging folder that the notebook printed are rewritten to
  the folder's final name, where the files are once the run ends.
"""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import nbformat
import papermill
from jupyter_client.kernelspec import KernelSpecManager

from .errors import ParameterError
from .i18n import DEFAULT_LANG, Catalog
from .runner_failure import (
    RUN_FAILURES,
    NotebookRunError,
    error_summary,
    failed_dir_for,
    failure_message,
    keep_failure,
)
from .runner_params import NotebookParameters, check_parameters, read_notebook_parameters

logger = logging.getLogger(__name__)

PROJECT_KERNEL = "segmentation"
FALLBACK_KERNEL = "python3"
OUTPUT_DIR_PARAMETER = "output_dir"
NOTEBOOKS_FOLDER = "notebooks"
# Passed to ipykernel when the run is quiet. The kernel otherwise logs its own warnings
# (such as "Kernel is running over TCP without encryption") straight to the terminal.
QUIET_KERNEL_ARGUMENTS = ("--log-level=ERROR",)

MESSAGES = Catalog({
    "notebook_not_found": {
        "zh": "找不到笔记本 {name}；已查找：{places}。请在代码仓库的检出目录中运行（用 pip install -e . 安装），"
              "或直接给出 .ipynb 文件的路径。",
        "en": "notebook {name} not found; looked in: {places}. Run from a checkout of the repository "
              "(installed with pip install -e .) or give the path of the .ipynb file.",
    },
    "output_dir_given": {
        "zh": "参数 {name} 由输出目录决定（{out}），不能另行传入；请去掉 -p {name}。",
        "en": "parameter {name} is set from the output folder ({out}) and cannot be passed; remove -p {name}.",
    },
})


@dataclass(frozen=True)
class RunRecord:
    """Facts of one notebook run: source, folders, parameters, kernel and times.

    Attributes
    ----------
    notebook : Path
        The source notebook.
    output_dir : Path
        The target folder. While ``finalize`` runs, the files are still in
        ``work_dir``; afterwards they are in ``output_dir``.
    work_dir : Path
        The folder the run wrote into (the staging folder).
    executed_name : str
        File name of the executed notebook inside the folder.
    parameters : dict
        Typed parameters passed to papermill, with ``output_dir`` given as
        the target folder rather than the staging folder.
    kernel_name : str
        The kernel the notebook ran on.
    started_at, finished_at : datetime
        Local, timezone-aware start and end of the execution.
    """

    notebook: Path
    output_dir: Path
    work_dir: Path
    executed_name: str
    parameters: dict[str, object] = field(default_factory=dict)
    kernel_name: str = PROJECT_KERNEL
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def duration_seconds(self) -> float:
        """Seconds from start to end of the execution."""
        return (self.finished_at - self.started_at).total_seconds()


def project_kernel_name() -> str:
    """Return ``segmentation`` if that kernelspec is installed, else ``python3``."""
    installed = KernelSpecManager().find_kernel_specs()
    if PROJECT_KERNEL in installed:
        return PROJECT_KERNEL
    logger.warning("kernel %r is not installed, using %r; run `make install` to install it",
                   PROJECT_KERNEL, FALLBACK_KERNEL)
    return FALLBACK_KERNEL


def notebook_folders() -> list[Path]:
    """Return the folders searched for notebooks by name, in order.

    First the repository's ``notebooks/`` next to the package folder (an
    editable install from a checkout), then ``notebooks/`` inside the
    package (a regular install, if the notebooks were packaged).
    """
    package_dir = Path(__file__).resolve().parent
    return [package_dir.parent / NOTEBOOKS_FOLDER, package_dir / NOTEBOOKS_FOLDER]


def find_notebook(name: str | Path, lang: str = DEFAULT_LANG) -> Path:
    """Return the notebook ``name``: a path to an existing file, or a file name in :func:`notebook_folders`.

    Parameters
    ----------
    name : str or Path
        ``"03_quarterly_review"``, ``"03_quarterly_review.ipynb"`` or a path.
    lang : {"zh", "en"}
        Language of the error message.

    Raises
    ------
    ParameterError
        If no such notebook exists; the message lists the places searched.
    """
    path = Path(name)
    if path.is_file():
        return path
    file_name = path.name if path.suffix == ".ipynb" else f"{path.name}.ipynb"
    candidates = [folder / file_name for folder in notebook_folders()]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    places = ", ".join(str(place) for place in [path, *candidates])
    raise ParameterError(MESSAGES("notebook_not_found", lang, name=name, places=places))


def run_notebook(notebook: str | Path, output_dir: str | Path, parameters: Mapping[str, object] | None = None,
                 *, lang: str = DEFAULT_LANG, progress_bar: bool = True, quiet: bool = False,
                 execution_timeout: int | None = None,
                 finalize: Callable[[RunRecord], None] | None = None) -> RunRecord:
    """Check, execute and publish one notebook run.

    Parameters
    ----------
    notebook : str or Path
        The notebook to run.
    output_dir : str or Path
        Target folder; it receives the executed notebook and whatever
        ``finalize`` writes, and is replaced only if everything succeeds.
    parameters : mapping, optional
        Parameter values, as text or already typed. If the notebook declares
        ``output_dir``, the runner sets it to the folder the run writes into.
    lang : {"zh", "en"}
        Language of messages.
    progress_bar : bool, default True
        Show papermill's progress bar on stderr.
    quiet : bool, default False
        Start the kernel with :data:`QUIET_KERNEL_ARGUMENTS`, so it prints errors only.
    execution_timeout : int, optional
        Seconds one cell may run before the run fails; no limit by default.
    finalize : callable, optional
        Called with the :class:`RunRecord` after a successful execution and
        before publishing, to add files to ``record.work_dir``. An exception
        there fails the run like a notebook error.

    Returns
    -------
    RunRecord

    Raises
    ------
    ParameterError
        If the notebook or the parameters fail the checks; nothing ran.
    NotebookRunError
        If the notebook raised, timed out or its kernel died or is missing.
    """
    output_dir = Path(output_dir).absolute()
    declared = read_notebook_parameters(Path(notebook).absolute(), lang)
    typed = _typed_parameters(declared, parameters or {}, output_dir, lang)
    kernel_name = project_kernel_name()

    work_dir = _make_staging_dir(output_dir)
    try:
        kernel_arguments = list(QUIET_KERNEL_ARGUMENTS) if quiet else []
        record = _execute(declared, work_dir, output_dir, typed, kernel_name, progress_bar, kernel_arguments,
                          execution_timeout, lang)
        if finalize is not None:
            _finalize_or_keep_failure(finalize, record, declared, lang)
        _publish_folder(work_dir, output_dir)
    finally:
        # Left only if something unexpected (an interrupt, say) stopped the run midway.
        shutil.rmtree(work_dir, ignore_errors=True)

    _remove_stale_failure(output_dir)
    logger.info("notebook %s finished in %.1f s; output in %s", declared.notebook, record.duration_seconds, output_dir)
    return replace(record, work_dir=output_dir)


def _typed_parameters(declared: NotebookParameters, values: Mapping[str, object], output_dir: Path,
                      lang: str) -> dict[str, object]:
    if OUTPUT_DIR_PARAMETER in values:
        raise ParameterError(MESSAGES("output_dir_given", lang, name=OUTPUT_DIR_PARAMETER, out=output_dir))
    return check_parameters(declared, values, lang)


def _make_staging_dir(output_dir: Path) -> Path:
    # Same parent as the target, so the final rename never crosses file systems.
    # mkdir rather than mkdtemp: mkdtemp's mode 0700 would survive the rename and hide the
    # report from other users, where mkdir follows the umask like any other folder.
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    work_dir = output_dir.with_name(f".{output_dir.name}.staging-{uuid.uuid4().hex[:12]}")
    work_dir.mkdir()
    return work_dir


def _execute(declared: NotebookParameters, work_dir: Path, output_dir: Path, typed: dict[str, object],
             kernel_name: str, progress_bar: bool, kernel_arguments: list[str], execution_timeout: int | None,
             lang: str) -> RunRecord:
    passed = dict(typed)
    if OUTPUT_DIR_PARAMETER in declared.specs:
        passed[OUTPUT_DIR_PARAMETER] = str(work_dir)
    executed = work_dir / declared.notebook.name
    started_at = datetime.now().astimezone()

    logger.info("running %s on kernel %s with %s", declared.notebook, kernel_name, passed)
    try:
        with _without_inference_warnings():
            papermill.execute_notebook(
                declared.notebook, executed, parameters=passed, kernel_name=kernel_name,
                progress_bar=progress_bar, execution_timeout=execution_timeout,
                # nbclient appends these to the kernelspec's command line.
                extra_arguments=kernel_arguments,
            )
    except RUN_FAILURES as error:
        _tidy_executed(executed, kernel_name, work_dir, failed_dir_for(output_dir))
        summary = {**error_summary(error, declared.notebook, declared.cell_index, injected=bool(passed)),
                   "parameters": _with_output_dir(passed, failed_dir_for(output_dir))}
        keep_failure(work_dir, output_dir, summary, lang)
        raise NotebookRunError(failure_message(summary, lang), summary) from error
    _tidy_executed(executed, kernel_name, work_dir, output_dir)

    return RunRecord(notebook=declared.notebook, output_dir=output_dir, work_dir=work_dir,
                     executed_name=executed.name, parameters=_with_output_dir(passed, output_dir), kernel_name=kernel_name,
                     started_at=started_at, finished_at=datetime.now().astimezone())


def _with_output_dir(parameters: Mapping[str, object], folder: Path) -> dict[str, object]:
    # The run wrote into the staging folder, which is renamed once it ends, so the parameter
    # is reported as the folder where its files end up.
    if OUTPUT_DIR_PARAMETER not in parameters:
        return dict(parameters)
    return {**parameters, OUTPUT_DIR_PARAMETER: str(folder)}


class _DropInferenceWarnings(logging.Filter):
    """Drop papermill's warnings about parameters it could not infer.

    The runner has already checked every passed name against the declarations,
    and papermill's own parser misreads valid ones such as ``x: str = ""  # note``,
    so its "unknown parameter" warnings would only mislead.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(("Passed unknown parameter", "Unable to parse line"))


@contextmanager
def _without_inference_warnings():
    # Filters apply only to records logged on the logger itself, so each papermill logger gets one.
    loggers = [logging.getLogger("papermill"), logging.getLogger("papermill.translators")]
    drop = _DropInferenceWarnings()
    for papermill_logger in loggers:
        papermill_logger.addFilter(drop)
    try:
        yield
    finally:
        for papermill_logger in loggers:
            papermill_logger.removeFilter(drop)


def _tidy_executed(executed: Path, kernel_name: str, work_dir: Path, final_dir: Path) -> None:
    """Record the kernel that ran the notebook and point paths into the staging folder at its final name.

    papermill keeps the kernelspec the file was saved with, so it is replaced
    by the one that ran it. The staging folder is renamed once the run ends,
    so a path into it shown in an output (say, "tables written to ...") would
    otherwise name a folder that no longer exists.
    """
    if not executed.is_file():
        return
    text = executed.read_text(encoding="utf-8")
    # Compare JSON-escaped forms, because that is how the paths appear in the file.
    text = text.replace(json.dumps(str(work_dir))[1:-1], json.dumps(str(final_dir))[1:-1])
    nb = nbformat.reads(text, as_version=4)

    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    nb.metadata["kernelspec"] = {"name": kernel_name, "display_name": spec.display_name, "language": spec.language}
    nbformat.write(nb, executed)


def _finalize_or_keep_failure(finalize: Callable[[RunRecord], None], record: RunRecord,
                              declared: NotebookParameters, lang: str) -> None:
    try:
        finalize(record)
    except Exception as error:
        # Keep the evidence of any failure, then let the original exception reach the caller.
        summary = {**error_summary(error, declared.notebook, declared.cell_index, injected=False),
                   "parameters": _with_output_dir(record.parameters, failed_dir_for(record.output_dir))}
        keep_failure(record.work_dir, record.output_dir, summary, lang)
        raise


def _publish_folder(work_dir: Path, output_dir: Path) -> None:
    # Move the old folder aside, rename the new one in, then delete the old one. Readers see
    # the old complete folder, the new complete folder, or for a moment between the two
    # renames no folder, but never a mix of old and new files.
    previous = None
    if output_dir.exists():
        previous = output_dir.with_name(f".{output_dir.name}.previous-{uuid.uuid4().hex[:8]}")
        output_dir.rename(previous)

    try:
        work_dir.rename(output_dir)
    except OSError:
        if previous is not None:
            previous.rename(output_dir)
        raise

    if previous is not None:
        shutil.rmtree(previous)


def _remove_stale_failure(output_dir: Path) -> None:
    failed_dir = failed_dir_for(output_dir)
    if failed_dir.exists():
        logger.info("removing the summary of an earlier failed run: %s", failed_dir)
        shutil.rmtree(failed_dir)
