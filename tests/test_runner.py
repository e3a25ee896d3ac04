"""Tests of the notebook runner: kernel choice, atomic publishing and failure handling."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager

from segmentation import runner
from segmentation.cli import EXIT_DATA, EXIT_OK, EXIT_RUN_FAILED, EXIT_USAGE, main
from segmentation.errors import ParameterError
from segmentation.runner import NotebookRunError, find_notebook, project_kernel_name, run_notebook
from segmentation.runner_failure import _source_cell_index, failed_dir_for

NOTEBOOKS = Path(__file__).parent / "data" / "notebooks"
KERNEL_INSTALLED = "segmentation" in KernelSpecManager().find_kernel_specs()


def make_report(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "report.html").write_text(text, encoding="utf-8")
    return folder


def hidden_entries(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


@pytest.mark.skipif(not KERNEL_INSTALLED, reason="the segmentation kernelspec is not installed")
def test_project_kernel_preferred():
    assert project_kernel_name() == "segmentation"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("03_quarterly_review", "03_quarterly_review.ipynb"), ("03_quarterly_review.ipynb", "03_quarterly_review.ipynb")],
    ids=["stem", "file-name"],
)
def test_find_notebook_by_name(name, expected):
    repository_notebooks = Path(runner.__file__).resolve().parent.parent / "notebooks"
    if not (repository_notebooks / expected).is_file():
        pytest.skip(f"{expected} is not in {repository_notebooks}")

    assert find_notebook(name) == repository_notebooks / expected


def test_find_notebook_by_path():
    assert find_notebook(NOTEBOOKS / "good.ipynb") == NOTEBOOKS / "good.ipynb"


def test_find_notebook_missing_lists_places():
    with pytest.raises(ParameterError, match=r"notebook 99_missing not found; looked in: 99_missing, .*notebooks/99_missing\.ipynb"):
        find_notebook("99_missing", lang="en")


def test_failed_dir_next_to_target(tmp_path):
    assert failed_dir_for(tmp_path / "2024Q2") == tmp_path / "2024Q2.failed"


def test_output_dir_cannot_be_passed(tmp_path):
    with pytest.raises(ParameterError, match=r"output_dir is set from the output folder"):
        run_notebook(NOTEBOOKS / "good.ipynb", tmp_path / "out", {"output_dir": "/elsewhere"}, lang="en")


def test_publish_replaces_previous_folder(tmp_path):
    target = make_report(tmp_path / "2024Q2", "old")
    staging = make_report(tmp_path / ".2024Q2.staging-test", "new")

    runner._publish_folder(staging, target)

    assert (target / "report.html").read_text(encoding="utf-8") == "new"
    assert hidden_entries(tmp_path) == []


def test_publish_into_missing_target(tmp_path):
    staging = make_report(tmp_path / ".2024Q2.staging-test", "new")

    runner._publish_folder(staging, tmp_path / "2024Q2")

    assert sorted(path.name for path in tmp_path.iterdir()) == ["2024Q2"]


def test_publish_failure_restores_previous(tmp_path):
    target = make_report(tmp_path / "2024Q2", "old")
    missing_staging = tmp_path / ".2024Q2.staging-gone"

    with pytest.raises(FileNotFoundError):
        runner._publish_folder(missing_staging, target)

    assert (target / "report.html").read_text(encoding="utf-8") == "old"
    assert hidden_entries(tmp_path) == []


@pytest.mark.parametrize(
    ("executed_index", "parameters_index", "injected", "expected"),
    [(4, 1, True, 3), (2, 1, True, 2), (3, 1, False, 3), (0, 0, True, 0)],
    ids=["after-injected-cell", "injected-cell-itself", "nothing-injected", "parameters-cell"],
)
def test_source_cell_index(executed_index, parameters_index, injected, expected):
    assert _source_cell_index(executed_index, parameters_index, injected) == expected


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    reports = tmp_path_factory.mktemp("good")
    make_report(reports / "2024Q2", "old report")
    record = run_notebook(NOTEBOOKS / "good.ipynb", reports / "2024Q2", {"quarter": "2024Q2", "month": "202404"},
                          progress_bar=False)
    return reports, record


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory):
    reports = tmp_path_factory.mktemp("failed")
    previous = make_report(reports / "2024Q2", "previous good report")
    with pytest.raises(NotebookRunError) as caught:
        run_notebook(NOTEBOOKS / "raises.ipynb", reports / "2024Q2", {"quarter": "2024Q3"}, lang="en",
                     progress_bar=False)
    return reports, previous, caught.value


@pytest.mark.slow
def test_good_run_replaces_folder(good_run):
    reports, record = good_run

    assert record.output_dir == reports / "2024Q2"
    assert sorted(path.name for path in record.output_dir.iterdir()) == ["good.ipynb", "written.txt"]
    assert hidden_entries(reports) == []


@pytest.mark.slow
def test_good_run_record(good_run):
    reports, record = good_run

    assert record.parameters == {"quarter": "2024Q2", "month": 202404, "output_dir": str(reports / "2024Q2")}
    assert record.executed_name == "good.ipynb"
    assert record.work_dir == record.output_dir
    assert 0 < record.duration_seconds < 120


@pytest.mark.slow
def test_good_run_writes_into_final_folder(good_run):
    _, record = good_run

    assert (record.output_dir / "written.txt").read_text(encoding="utf-8") == "2024Q2 C000\n"


@pytest.mark.slow
def test_executed_notebook_names_project_kernel(good_run):
    _, record = good_run
    nb = nbformat.read(record.output_dir / "good.ipynb", as_version=4)

    # The file was saved with the kernel "old-env-py38", which does not exist here.
    assert nb.metadata.kernelspec.name == project_kernel_name()


@pytest.mark.slow
def test_executed_notebook_points_at_final_folder(good_run):
    _, record = good_run
    text = (record.output_dir / "good.ipynb").read_text(encoding="utf-8")

    assert ".staging-" not in text
    assert str(record.output_dir) in text


@pytest.mark.slow
def test_failed_run_summary(failed_run):
    reports, _, error = failed_run

    assert error.summary["cell_index"] == 2
    assert error.summary["ename"] == "ValueError"
    assert error.summary["evalue"] == "no orders in quarter 2024Q3"
    assert error.summary["previous_output_kept"] is True
    assert error.summary["failed_dir"] == str(reports / "2024Q2.failed")


@pytest.mark.slow
def test_failed_run_message_names_cell(failed_run):
    _, _, error = failed_run

    assert "raises.ipynb failed: cell 3 (index 2, In [" in str(error)
    assert "raised ValueError: no orders in quarter 2024Q3" in str(error)


@pytest.mark.slow
def test_failed_run_keeps_notebook_and_summary(failed_run):
    reports, _, error = failed_run
    failed_dir = reports / "2024Q2.failed"

    assert sorted(path.name for path in failed_dir.iterdir()) == ["error.json", "error.txt", "raises.ipynb"]
    assert json.loads((failed_dir / "error.json").read_text(encoding="utf-8")) == error.summary
    assert (failed_dir / "error.txt").read_text(encoding="utf-8") == str(error) + "\n"


@pytest.mark.slow
def test_failed_notebook_holds_traceback(failed_run):
    reports, _, _ = failed_run
    nb = nbformat.read(reports / "2024Q2.failed" / "raises.ipynb", as_version=4)

    errors = [output for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs
              if output.output_type == "error"]
    assert [(output.ename, output.evalue) for output in errors] == [("ValueError", "no orders in quarter 2024Q3")]


@pytest.mark.slow
def test_failed_run_leaves_previous_report(failed_run):
    reports, previous, _ = failed_run

    assert sorted(path.name for path in previous.iterdir()) == ["report.html"]
    assert (previous / "report.html").read_text(encoding="utf-8") == "previous good report"
    assert hidden_entries(reports) == []


@pytest.mark.slow
def test_failing_finalize_keeps_previous(tmp_path):
    previous = make_report(tmp_path / "out", "previous")

    def broken_finalize(record):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        run_notebook(NOTEBOOKS / "good.ipynb", tmp_path / "out", progress_bar=False, finalize=broken_finalize)

    assert (previous / "report.html").read_text(encoding="utf-8") == "previous"
    summary = json.loads((tmp_path / "out.failed" / "error.json").read_text(encoding="utf-8"))
    assert (summary["ename"], summary["evalue"], summary["cell_index"]) == ("OSError", "disk full", None)


@pytest.mark.slow
def test_success_removes_stale_failure(tmp_path):
    stale = make_report(tmp_path / "out.failed", "old failure")

    run_notebook(NOTEBOOKS / "good.ipynb", tmp_path / "out", progress_bar=False)

    assert not stale.exists()
    assert (tmp_path / "out" / "good.ipynb").is_file()


@pytest.mark.slow
def test_finalize_sees_staging_folder(tmp_path):
    seen = {}

    def remember(record):
        seen["files"] = sorted(path.name for path in record.work_dir.iterdir())
        seen["work_dir"] = record.work_dir
        (record.work_dir / "extra.txt").write_text("added", encoding="utf-8")

    record = run_notebook(NOTEBOOKS / "good.ipynb", tmp_path / "out", progress_bar=False, finalize=remember)

    assert seen["files"] == ["good.ipynb", "written.txt"]
    assert seen["work_dir"].name.startswith(".out.staging-")
    assert (record.output_dir / "extra.txt").read_text(encoding="utf-8") == "added"


@pytest.mark.slow
def test_cli_run_failure_exit_status(tmp_path, capsys):
    status = main(["--quiet", "run", str(NOTEBOOKS / "raises.ipynb"), "--out", str(tmp_path / "out")])

    assert status == EXIT_RUN_FAILED
    err = capsys.readouterr().err
    assert "第 3 个单元格（索引 2" in err
    assert "ValueError：no orders in quarter 2024Q1" in err
    assert (tmp_path / "out.failed" / "error.txt").is_file()


@pytest.mark.slow
def test_cli_run_success_writes_manifest(tmp_path, capsys):
    status = main(["--quiet", "run", str(NOTEBOOKS / "good.ipynb"), "--out", str(tmp_path / "out"), "--html"])

    assert status == EXIT_OK
    assert capsys.readouterr().out.splitlines() == [
        f"笔记本已运行完成：{tmp_path / 'out' / 'good.ipynb'}",
        f"HTML 报告：{tmp_path / 'out' / 'report.html'}",
    ]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "notebook"
    assert manifest["parameters"] == {"lang": "zh", "output_dir": str(tmp_path / "out")}


@pytest.mark.parametrize(
    ("arguments", "status", "message"),
    [
        (["--quarter", "2024-06", "{data}"], EXIT_USAGE, "quarter '2024-06' is invalid"),
        (["--quarter", "2024Q2", "{missing}"], EXIT_DATA, "missing-source"),
        (["--quarter", "2024Q2", "--config", "{missing}.yaml", "{data}"], EXIT_USAGE,
         "configuration file .*missing-source.yaml not found"),
    ],
    ids=["bad-quarter", "missing-source", "missing-config"],
)
def test_report_checks_before_running(tmp_path, capsys, arguments, status, message):
    data = tmp_path / "data"
    data.mkdir()
    (data / "orders.csv").write_text("order_id,customer_id,order_date,amount\n", encoding="utf-8")
    filled = [argument.format(data=data, missing=tmp_path / "missing-source") for argument in arguments]

    returned = main(["--lang", "en", "--quiet", "report", "quarterly", *filled, "--out", str(tmp_path / "reports")])

    assert returned == status
    assert re.search(message, capsys.readouterr().err)
    assert not (tmp_path / "reports").exists()
