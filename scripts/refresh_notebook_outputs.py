"""Re-execute notebooks in place so their stored outputs match a fresh run.

nbval compares a notebook's stored outputs with those of a new run, so the
outputs kept in git must come from the current code. This script runs each
notebook with its default parameters on the project's kernel, in the
notebook's own folder (where nbval runs it too), and overwrites the file only
if the run succeeded. papermill's timing metadata is removed afterwards, so a
refresh changes only outputs and execution counts.

Usage::

    .venv/bin/python scripts/refresh_notebook_outputs.py              # every notebooks/*.ipynb
    .venv/bin/python scripts/refresh_notebook_outputs.py notebooks/02_weight_tuning.ipynb

Exit status: 0 if every notebook ran, 3 if any failed (its file is left unchanged).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError

from segmentation.runner import project_kernel_name
from segmentation.runner_failure import RUN_FAILURES

REPOSITORY = Path(__file__).resolve().parent.parent
EXIT_RUN_FAILED = 3

logger = logging.getLogger("refresh_notebook_outputs")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Re-execute notebooks in place with their default parameters.")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to refresh (default: every notebooks/*.ipynb)")
    parser.add_argument("--quiet", action="store_true", help="hide papermill's progress bar")
    return parser.parse_args(argv)


def strip_run_metadata(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop papermill's and Jupyter's timing metadata, which change on every run."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        # papermill adds an empty tag list to every cell; keep only real tags.
        tags = cell.metadata.pop("tags", [])
        if tags:
            cell.metadata["tags"] = tags
    return nb


def refresh(notebook: Path, kernel_name: str, progress_bar: bool) -> bool:
    """Execute ``notebook`` and overwrite it with the executed copy; return True on success."""
    with tempfile.TemporaryDirectory() as scratch:
        executed = Path(scratch) / notebook.name
        try:
            papermill.execute_notebook(notebook, executed, kernel_name=kernel_name, cwd=notebook.parent,
                                       progress_bar=progress_bar)
        except RUN_FAILURES as error:
            detail = f"{error.ename}: {error.evalue}" if isinstance(error, PapermillExecutionError) else repr(error)
            logger.error("%s failed and was left unchanged: %s", notebook, detail)
            return False

        nb = strip_run_metadata(nbformat.read(executed, as_version=4))
    nbformat.write(nb, notebook)
    logger.info("refreshed %s", notebook)
    return True


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    notebooks = [path.resolve() for path in args.notebooks] or sorted((REPOSITORY / "notebooks").glob("*.ipynb"))
    if not notebooks:
        logger.error("no notebooks found in %s", REPOSITORY / "notebooks")
        return EXIT_RUN_FAILED

    kernel_name = project_kernel_name()
    failed = [path for path in notebooks if not refresh(path, kernel_name, progress_bar=not args.quiet)]
    if failed:
        logger.error("%d of %d notebook(s) failed: %s", len(failed), len(notebooks), ", ".join(map(str, failed)))
        return EXIT_RUN_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
