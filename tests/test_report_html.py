"""The quarterly report rendered from the sample data: complete, readable, and free of personal data.

One ``segmentation report sample`` run (the command behind ``make report``)
feeds every test here, so the module takes as long as one notebook run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from segmentation.cli import EXIT_OK, main
from segmentation.manifest import file_sha256
from segmentation.sample import ensure_sample
from segmentation.schema import CUSTOMERS

pytestmark = pytest.mark.slow

# Class names of code inputs and of In/Out prompts in the lab and classic templates.
CODE_MARKUP = re.compile(r'class="[^"]*(jp-InputArea|input_area|jp-InputPrompt|input_prompt|jp-OutputPrompt|output_prompt)')
QUARTER = "2024Q2"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    reports = tmp_path_factory.mktemp("reports")
    status = main(["--quiet", "report", "sample", "--out", str(reports)])
    return status, reports


@pytest.fixture(scope="module")
def html(report):
    _, reports = report
    return (reports / QUARTER / "report.html").read_text(encoding="utf-8")


def personal_values() -> list[str]:
    """Every name, phone and e-mail in the sample's raw customers file."""
    customers_file = ensure_sample().parent / "customers.csv"
    raw = pd.read_csv(customers_file, encoding="gbk", dtype=str, keep_default_na=False)
    personal_headers = {header for name in CUSTOMERS.personal
                        for header in (name, *CUSTOMERS.column(name).aliases)}
    columns = [column for column in raw.columns if column in personal_headers]
    assert len(columns) == 3, f"expected name, phone and e-mail columns in {list(raw.columns)}"
    return sorted({value.strip() for column in columns for value in raw[column] if value.strip()})


def test_report_command_succeeds(report):
    status, reports = report

    assert status == EXIT_OK
    assert not (reports / f"{QUARTER}.failed").exists()


def test_report_folder_contents(report):
    _, reports = report
    names = {path.name for path in (reports / QUARTER).iterdir()}

    assert {"03_quarterly_review.ipynb", "report.html", "manifest.json"} <= names
    assert [path.name for path in reports.iterdir() if path.name.startswith(".")] == []


def test_html_has_no_personal_data(html):
    values = personal_values()

    leaked = [value for value in values if value in html]

    assert len(values) > 1000
    assert leaked == []


@pytest.mark.parametrize("unwanted", ["Traceback", "In [", "missing from font"],
                         ids=["traceback", "input-prompt", "glyph-warning"])
def test_html_has_no_code_traces(html, unwanted):
    assert unwanted not in html


def test_html_has_no_code_markup(html):
    assert CODE_MARKUP.findall(html) == []


def test_html_shows_title_and_charts(html):
    assert '<html lang="zh">' in html
    assert "客户分层季度复盘" in html
    assert html.count("data:image/png;base64,") >= 3


def test_charts_drew_every_glyph(report):
    _, reports = report
    nb = nbformat.read(reports / QUARTER / "03_quarterly_review.ipynb", as_version=4)

    stderr = "".join(output.text for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs
                     if output.output_type == "stream" and output.name == "stderr")

    assert "missing from font" not in stderr


def test_manifest_describes_run(report):
    _, reports = report
    manifest = json.loads((reports / QUARTER / "manifest.json").read_text(encoding="utf-8"))
    customers_file = ensure_sample().parent / "customers.csv"

    assert manifest["kind"] == "quarterly"
    assert manifest["quarter"] == QUARTER
    assert manifest["parameters"]["quarter"] == QUARTER
    assert manifest["parameters"]["source"] == str(ensure_sample())
    assert manifest["inputs"][str(customers_file)] == file_sha256(customers_file)
    assert {"python", "pandas", "scikit-learn", "matplotlib", "papermill", "segmentation"} <= set(manifest["versions"])
    assert manifest["duration_seconds"] > 0
    assert manifest["started_at"] < manifest["finished_at"]


def test_index_links_report(report):
    _, reports = report
    index = (reports / "index.html").read_text(encoding="utf-8")

    assert f'<td>{QUARTER}</td>' in index
    assert f'href="{QUARTER}/report.html"' in index
