"""Tests of the quarterly-review notebook: its parameters cell, and papermill runs on real sources."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03_quarterly_review.ipynb"
ROOT = NOTEBOOK.parents[1]
PARAMETER_LINES = [
    'source: str = "sample"  # data source: folder, source YAML or "sample"',
    'quarter: str = "2024Q2"  # quarter to review, YYYYQn',
    'config: str = ""  # configuration YAML; empty = defaults',
    'lang: str = "zh"  # zh or en',
    'output_dir: str = ""  # folder for exported tables; empty = none',
]
PERSONAL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|\b1[3-9]\d{9}\b")


@pytest.fixture(scope="module")
def notebook():
    return nbformat.read(NOTEBOOK, as_version=4)


def test_one_parameters_cell_with_the_agreed_lines(notebook):
    tagged = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert tagged[0].source.splitlines() == PARAMETER_LINES
    assert notebook.cells[0].cell_type == "markdown"
    assert notebook.cells[1] is tagged[0]


def test_run_facts_cell_is_last_and_tagged(notebook):
    last = notebook.cells[-1]
    assert last.metadata.get("tags") == ["run-facts"]
    assert "volatile_facts" in last.source


def test_notebook_defines_no_functions(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)
            assert not [node for node in ast.walk(tree)
                        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda))]


def run(tmp_path, **parameters) -> nbformat.NotebookNode:
    import papermill

    output = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(output), parameters=parameters, kernel_name="python3",
                               progress_bar=False, cwd=str(ROOT))
    return nbformat.read(output, as_version=4)


def outputs(notebook: nbformat.NotebookNode, kind: str) -> list[str]:
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if kind == "stderr" and output.output_type == "stream" and output.name == "stderr":
                found.append(output.text)
            elif kind in output.get("data", {}):
                found.append(output.data[kind])
    return found


@pytest.mark.slow
def test_sample_report_in_chinese(tmp_path):
    result = run(tmp_path, quarter="2024Q2")
    markdown = "\n".join(outputs(result, "text/markdown"))
    tables = "\n".join(outputs(result, "text/plain"))

    assert markdown.startswith("# 2024Q2 客户分层季度复盘")
    assert "需要决策的三件事" in markdown
    assert "缺失" not in markdown
    assert outputs(result, "stderr") == []
    assert len(outputs(result, "image/png")) == 6
    assert "ARI" in markdown
    assert not PERSONAL.search(tables + markdown)
    assert not [output for cell in result.cells for output in cell.get("outputs", [])
                if output.output_type == "execute_result"]


@pytest.mark.slow
def test_orders_only_source_in_english(tmp_path):
    result = run(tmp_path, source="sources/online_retail.yaml", quarter="2011Q3", lang="en")
    markdown = "\n".join(outputs(result, "text/markdown"))

    assert markdown.startswith("# Quarterly review of customer segments, 2011Q3")
    assert markdown.count("missing, because the data has no tickets (service contacts)") == 4
    assert "No label moved significantly" not in markdown
    assert "missing, because the data has no follow-up records" in markdown
    assert not re.search(r"[\u4e00-\u9fff]", markdown.split("## Rules in force")[0])


@pytest.mark.slow
def test_tickets_only_source(tmp_path):
    result = run(tmp_path, source="sources/support_tickets.yaml", quarter="2023Q2", lang="en")
    markdown = "\n".join(outputs(result, "text/markdown"))
    tables = "\n".join(outputs(result, "text/plain"))

    assert "missing, because the tickets have no first-response times" in markdown
    assert "missing, because the data has no orders, so there are no value tiers" in tables
    assert not PERSONAL.search(tables + markdown)


@pytest.mark.slow
@pytest.mark.parametrize(("parameters", "message"),
                         [({"quarter": "2024-Q2"}, "YYYYQn"), ({"lang": "fr"}, "unsupported language")],
                         ids=["bad-quarter", "bad-lang"])
def test_invalid_parameters_fail_clearly(tmp_path, parameters, message):
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError, match=message):
        run(tmp_path, **parameters)
