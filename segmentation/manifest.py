"""The manifest of a notebook run: what ran, on which inputs, with which software, and when.

Conventions:

* ``manifest.json`` sits in the run's output folder next to the executed
  notebook, as UTF-8 JSON with Chinese text unescaped.
* Input files are identified by SHA-256 of their bytes. A folder given as a
  parameter is hashed file by file, in sorted order of relative paths.
* Times are local and timezone-aware, written in ISO 8601.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import subprocess
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path

from .runner import OUTPUT_DIR_PARAMETER, RunRecord

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
VERSIONED_PACKAGES = ("pandas", "numpy", "scikit-learn", "matplotlib", "papermill", "nbconvert", "segmentation")
_CHUNK_BYTES = 1 << 20


def file_sha256(path: str | Path) -> str:
    """Return the hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hash_inputs(paths: Iterable[str | Path]) -> dict[str, str]:
    """Hash input files, expanding folders into the files inside them.

    Parameters
    ----------
    paths : iterable of str or Path
        Files or folders. Paths that do not exist are skipped.

    Returns
    -------
    dict of str to str
        Absolute file path to hex SHA-256, sorted by path.
    """
    files: set[Path] = set()
    for path in map(Path, paths):
        if path.is_file():
            files.add(path.absolute())
        elif path.is_dir():
            files.update(item.absolute() for item in path.rglob("*") if item.is_file())
    return {str(path): file_sha256(path) for path in sorted(files)}


def input_paths(notebook: Path, parameters: Mapping[str, object]) -> list[Path]:
    """Return the notebook and every parameter value that names an existing file or folder.

    ``output_dir`` is left out: it is where the run writes, not what it reads.
    """
    paths = [notebook]
    for name, value in parameters.items():
        if name != OUTPUT_DIR_PARAMETER and isinstance(value, str) and value and Path(value).exists():
            paths.append(Path(value))
    return paths


def package_versions() -> dict[str, str | None]:
    """Return the versions of Python and the packages a report depends on; None if not installed."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def git_state(folder: str | Path) -> dict[str, object]:
    """Return the git commit of the checkout containing ``folder`` and whether it has local changes.

    Returns ``{"commit": None, "dirty": None}`` when git or a checkout is not
    available, as for an installed package.
    """
    commit = _git(folder, "rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    changes = _git(folder, "status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(changes) if changes is not None else None}


def _git(folder: str | Path, *arguments: str) -> str | None:
    try:
        completed = subprocess.run(["git", *arguments], cwd=folder, capture_output=True, text=True,
                                   timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        logger.debug("git %s failed in %s: %s", " ".join(arguments), folder, error)
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def build_manifest(record: RunRecord, *, kind: str, html_name: str | None = None,
                   inputs: Iterable[str | Path] = (), extra: Mapping[str, object] | None = None) -> dict[str, object]:
    """Describe one finished notebook run.

    Parameters
    ----------
    record : RunRecord
        The run, from :func:`segmentation.runner.run_notebook`.
    kind : str
        What the run produced, e.g. ``"quarterly"`` or ``"notebook"``.
    html_name : str, optional
        File name of the rendered HTML in the output folder, if any.
    inputs : iterable of str or Path
        Data files the notebook reads that its parameters do not name
        directly, such as the tables listed in a source YAML file.
    extra : mapping, optional
        More top-level fields, e.g. ``{"quarter": "2024Q2"}``.

    Returns
    -------
    dict
        JSON-ready manifest: kind, notebook, executed notebook, HTML,
        parameters, input SHA-256 hashes, package versions, git state,
        kernel, start and end times and duration in seconds.
    """
    manifest: dict[str, object] = {
        "manifest_version": MANIFEST_VERSION,
        "kind": kind,
        "notebook": str(record.notebook.absolute()),
        "executed_notebook": record.executed_name,
        "html": html_name,
        "parameters": dict(record.parameters),
        "inputs": hash_inputs([*input_paths(record.notebook, record.parameters), *inputs]),
        "versions": package_versions(),
        "git": git_state(record.notebook.absolute().parent),
        "kernel_name": record.kernel_name,
        "started_at": record.started_at.isoformat(timespec="seconds"),
        "finished_at": record.finished_at.isoformat(timespec="seconds"),
        "duration_seconds": round(record.duration_seconds, 3),
    }
    manifest.update(extra or {})
    return manifest


def write_manifest(manifest: Mapping[str, object], folder: str | Path) -> Path:
    """Write ``manifest`` as ``folder/manifest.json`` and return the path."""
    path = Path(folder) / MANIFEST_NAME
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def read_manifest(folder: str | Path) -> dict[str, object] | None:
    """Return the manifest in ``folder``, or None if the folder has none or it is not valid JSON."""
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        logger.warning("ignoring unreadable manifest %s: %s", path, error)
        return None
