"""nbval with the project's sanitize file: stable on repeated runs, failing on a changed number.

Each test runs pytest with nbval in a subprocess on a copy of a small notebook
whose stored outputs include a timestamp, a memory address and a figure
repr (all sanitized) and one stable number, 合计消费: 1625.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager

TESTS = Path(__file__).parent
REPOSITORY = TESTS.parent
SANITIZE = TESTS / "nbval_sanitize.cfg"
NOTEBOOK = TESTS / "data" / "notebooks" / "good.ipynb"
KERNEL = "segmentation" if "segmentation" in KernelSpecManager().find_kernel_specs() else "python3"

pytestmark = pytest.mark.slow


def run_pytest(*arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *arguments]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def run_nbval(folder: Path) -> subprocess.CompletedProcess:
    # An empty ini file keeps the repository's pytest options out of the inner run.
    (folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    return run_pytest("--nbval", "good.ipynb", "--nbval-sanitize-with", str(SANITIZE),
                      "--nbval-kernel-name", KERNEL, cwd=folder)


@pytest.fixture
def notebook_copy(tmp_path):
    shutil.copy(NOTEBOOK, tmp_path / "good.ipynb")
    return tmp_path / "good.ipynb"


def test_unchanged_notebook_passes_twice(notebook_copy):
    first = run_nbval(notebook_copy.parent)
    second = run_nbval(notebook_copy.parent)

    assert first.returncode == 0, first.stdout
    assert second.returncode == 0, second.stdout
    assert "5 passed" in second.stdout


def test_changed_number_fails(notebook_copy):
    text = notebook_copy.read_text(encoding="utf-8")
    assert text.count("合计消费: 1625") == 1
    notebook_copy.write_text(text.replace("合计消费: 1625", "合计消费: 1626"), encoding="utf-8")

    result = run_nbval(notebook_copy.parent)

    assert result.returncode == 1
    assert "1 failed, 4 passed" in result.stdout
    assert "合计消费: 1626" in result.stdout


def test_without_sanitize_timestamps_fail(notebook_copy):
    (notebook_copy.parent / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")

    result = run_pytest("--nbval", "good.ipynb", "--nbval-kernel-name", KERNEL, cwd=notebook_copy.parent)

    # The timestamp, the address and the figure repr sit in one cell.
    assert result.returncode == 1
    assert "1 failed, 4 passed" in result.stdout


def test_suite_collects_tests_not_runner_notebooks():
    result = run_pytest("tests/test_render.py", "tests/data", "--nbval", "--nbval-sanitize-with", str(SANITIZE),
                        "--collect-only", "-q", cwd=REPOSITORY)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "tests/test_render.py::test_file_sha256" in result.stdout
    assert ".ipynb" not in result.stdout
