"""Tests of the report HTML, the manifest and the index page, on notebooks built in the test."""

from __future__ import annotations

import base64
import io
import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest
from fontTools.ttLib import TTFont
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from segmentation import manifest, render
from segmentation.commands.report import last_full_quarter
from segmentation.runner import RunRecord

ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
# One transparent 1x1 PNG.
PIXEL_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
BEIJING = timezone(timedelta(hours=8))
# Class names of code inputs and of In/Out prompts in the lab and classic templates.
CODE_MARKUP = re.compile(r'class="[^"]*(jp-InputArea|input_area|jp-InputPrompt|input_prompt|jp-OutputPrompt|output_prompt)')


def executed_notebook() -> nbformat.NotebookNode:
    chart = new_output("display_data", data={"image/png": PIXEL_PNG, "text/plain": "<Figure size 640x480 with 1 Axes>"})
    noisy = new_code_cell("import warnings\nsecret_variable = 42\nprint('客户总数: 120')", execution_count=2, outputs=[
        new_output("stream", name="stdout", text="客户总数: 120\n"),
        new_output("stream", name="stderr", text="UserWarning: 噪声警告\n"),
        new_output("error", ename="KeyError", evalue="'hidden'",
                   traceback=["Traceback (most recent call last)", "KeyError: 'hidden'"]),
    ])
    banner = new_markdown_cell("An Exception was encountered at In [3]", metadata={"tags": ["papermill-error-cell-tag"]})
    removed = new_code_cell("debug_only()", execution_count=4, metadata={"tags": ["remove-cell"]},
                            outputs=[new_output("stream", name="stdout", text="调试输出\n")])
    return new_notebook(cells=[
        new_markdown_cell("# 2024年第二季度复盘\n\n满意度保持稳定。"),
        new_code_cell('quarter: str = "2024Q2"', execution_count=1, metadata={"tags": ["parameters"]}),
        noisy,
        banner,
        new_code_cell("plot_tiers()", execution_count=3, outputs=[chart]),
        removed,
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    nbformat.write(executed_notebook(), folder / "executed.ipynb")
    html_path = render.export_html(folder / "executed.ipynb", folder / "report.html", title="2024Q2 复盘")
    return html_path.read_text(encoding="utf-8")


def test_reader_view_drops_errors_and_stderr():
    nb = render.reader_view(executed_notebook())

    outputs = [output for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs]
    assert [output.output_type for output in outputs] == ["stream", "display_data", "stream"]
    assert [output.get("name") for output in outputs if output.output_type == "stream"] == ["stdout", "stdout"]
    assert len(nb.cells) == 5


def test_reader_view_leaves_input_unchanged():
    original = executed_notebook()

    render.reader_view(original)

    assert len(original.cells[2].outputs) == 3


@pytest.mark.parametrize(
    "unwanted",
    ["secret_variable", "import warnings", "plot_tiers()", "Traceback", "KeyError", "噪声警告", "In [",
     "An Exception was encountered", "调试输出", "debug_only"],
    ids=["code-variable", "code-import", "code-call", "traceback", "exception-name", "stderr", "input-prompt",
         "papermill-banner", "removed-cell-output", "removed-cell-code"],
)
def test_export_html_hides(exported, unwanted):
    assert unwanted not in exported


def test_export_html_has_no_code_markup(exported):
    assert CODE_MARKUP.findall(exported) == []


@pytest.mark.parametrize(
    "wanted",
    ["<title>2024Q2 复盘</title>", '<html lang="zh">', "2024年第二季度复盘</h1>", "满意度保持稳定。", "客户总数: 120",
     f"data:image/png;base64,{PIXEL_PNG[:20]}"],
    ids=["title", "language", "heading", "markdown-text", "stdout", "embedded-image"],
)
def test_export_html_shows(exported, wanted):
    assert wanted in exported


def test_export_html_embeds_font_for_page_text(exported):
    encoded = re.search(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", exported).group(1)
    data = base64.b64decode(encoded)
    font = TTFont(io.BytesIO(data))

    cmap = font.getBestCmap()
    chinese = {character for character in exported if "\u4e00" <= character <= "\u9fff"}
    assert {"复", "盘", "满", "意"} <= chinese
    assert sorted(character for character in chinese if ord(character) not in cmap) == []
    assert data[:4] == b"wOFF"


# Attributes that make a browser fetch or link a resource.
RESOURCE_ATTRIBUTE = re.compile(r"""\b(?:src|href)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


def test_export_html_loads_nothing_from_other_hosts(exported):
    addresses = RESOURCE_ATTRIBUTE.findall(exported)

    assert [address for address in addresses if address.lower().startswith(("http://", "https://", "//"))] == []
    assert addresses == [f"data:image/png;base64,{PIXEL_PNG}"]


@pytest.mark.parametrize("library", ["require.min.js", "MathJax", "mathjax", "mermaid", "<script src"],
                         ids=["requirejs", "mathjax", "mathjax-lower", "mermaid", "script-src"])
def test_export_html_has_no_cdn_scripts(exported, library):
    assert library not in exported


def test_export_html_without_font(tmp_path):
    path = tmp_path / "executed.ipynb"
    nbformat.write(executed_notebook(), path)

    text = render.export_html(path, tmp_path / "report.html", embed_font=False).read_text(encoding="utf-8")

    assert "@font-face" not in text


def test_export_html_english_page(tmp_path):
    path = tmp_path / "executed.ipynb"
    nbformat.write(executed_notebook(), path)

    text = render.export_html(path, tmp_path / "report.html", lang="en").read_text(encoding="utf-8")

    assert '<html lang="en">' in text
    assert "<title>executed</title>" in text


def test_file_sha256(tmp_path):
    path = tmp_path / "abc.txt"
    path.write_bytes(b"abc")

    assert manifest.file_sha256(path) == ABC_SHA256


def test_hash_inputs_expands_folders(tmp_path):
    (tmp_path / "data" / "nested").mkdir(parents=True)
    (tmp_path / "data" / "orders.csv").write_bytes(b"abc")
    (tmp_path / "data" / "nested" / "tickets.csv").write_bytes(b"")
    (tmp_path / "config.yaml").write_bytes(b"abc")

    hashes = manifest.hash_inputs([tmp_path / "config.yaml", tmp_path / "data", tmp_path / "missing.csv"])

    assert hashes == {
        str(tmp_path / "config.yaml"): ABC_SHA256,
        str(tmp_path / "data" / "nested" / "tickets.csv"): "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        str(tmp_path / "data" / "orders.csv"): ABC_SHA256,
    }


def test_input_paths_take_existing_parameter_paths(tmp_path):
    notebook, source = tmp_path / "nb.ipynb", tmp_path / "source.yaml"
    source.write_text("tables: {}", encoding="utf-8")
    parameters = {"source": str(source), "quarter": "2024Q2", "config": "", "output_dir": str(tmp_path), "seed": 42}

    assert manifest.input_paths(notebook, parameters) == [notebook, source]


def test_package_versions_cover_report_stack():
    versions = manifest.package_versions()

    assert set(versions) == {"python", "pandas", "numpy", "scikit-learn", "matplotlib", "papermill", "nbconvert",
                             "segmentation"}
    assert versions["python"].count(".") == 2
    assert versions["segmentation"] is not None


def test_git_state_outside_checkout(tmp_path):
    assert manifest.git_state(tmp_path) == {"commit": None, "dirty": None}


def test_git_state_of_repository():
    state = manifest.git_state(Path(manifest.__file__).parent)

    if state["commit"] is None:
        pytest.skip("the package is not in a git checkout")
    assert re.fullmatch(r"[0-9a-f]{40}", state["commit"])
    assert isinstance(state["dirty"], bool)


def run_record(tmp_path: Path) -> RunRecord:
    notebook = tmp_path / "03_quarterly_review.ipynb"
    notebook.write_bytes(b"abc")
    started = datetime(2024, 7, 1, 9, 0, 0, tzinfo=BEIJING)
    return RunRecord(notebook=notebook, output_dir=tmp_path / "2024Q2", work_dir=tmp_path / ".2024Q2.staging-x",
                     executed_name=notebook.name, parameters={"quarter": "2024Q2", "output_dir": str(tmp_path)},
                     kernel_name="segmentation", started_at=started, finished_at=started + timedelta(seconds=83.5))


def test_build_manifest_fields(tmp_path):
    data = tmp_path / "orders.csv"
    data.write_bytes(b"abc")

    built = manifest.build_manifest(run_record(tmp_path), kind="quarterly", html_name="report.html",
                                    inputs=[data], extra={"quarter": "2024Q2"})

    assert built["kind"] == "quarterly"
    assert built["quarter"] == "2024Q2"
    assert built["html"] == "report.html"
    assert built["inputs"] == {str(tmp_path / "03_quarterly_review.ipynb"): ABC_SHA256, str(data): ABC_SHA256}
    assert (built["started_at"], built["finished_at"]) == ("2024-07-01T09:00:00+08:00", "2024-07-01T09:01:23+08:00")
    assert built["duration_seconds"] == 83.5
    assert built["kernel_name"] == "segmentation"


def test_manifest_round_trip(tmp_path):
    written = manifest.write_manifest({"quarter": "2024Q2", "说明": "季度"}, tmp_path)

    assert written == tmp_path / "manifest.json"
    assert "季度" in written.read_text(encoding="utf-8")
    assert manifest.read_manifest(tmp_path) == {"quarter": "2024Q2", "说明": "季度"}


@pytest.mark.parametrize("content", [None, "{not json"], ids=["missing", "invalid-json"])
def test_read_manifest_without_valid_file(tmp_path, content):
    if content is not None:
        (tmp_path / "manifest.json").write_text(content, encoding="utf-8")

    assert manifest.read_manifest(tmp_path) is None


def add_report(reports: Path, name: str, quarter: str | None, finished_at: str, html: str | None = "report.html"):
    folder = reports / name
    folder.mkdir(parents=True)
    body = {"finished_at": finished_at, "html": html, "executed_notebook": "03_quarterly_review.ipynb",
            "parameters": {"quarter": quarter} if quarter else {}}
    (folder / "manifest.json").write_text(json.dumps(body), encoding="utf-8")


@pytest.fixture
def reports(tmp_path):
    add_report(tmp_path, "2024Q1", "2024Q1", "2024-04-02T10:15:00+08:00")
    add_report(tmp_path, "2024Q2", "2024Q2", "2024-07-01T09:30:00+08:00")
    add_report(tmp_path, "monthly-2024-06", None, "2024-07-01T08:00:00+08:00", html=None)
    (tmp_path / "2024Q2.failed").mkdir()
    (tmp_path / "2024Q2.failed" / "error.txt").write_text("失败", encoding="utf-8")
    (tmp_path / "2024Q3.failed").mkdir()
    (tmp_path / "2024Q3.failed" / "error.txt").write_text("失败", encoding="utf-8")
    (tmp_path / ".2024Q4.staging-abc").mkdir()
    (tmp_path / "notes").mkdir()
    return tmp_path


def test_collect_reports(reports):
    entries = render.collect_reports(reports)

    assert [(entry["quarter"], entry["link"], entry["failure"]) for entry in entries] == [
        ("monthly-2024-06", "monthly-2024-06/03_quarterly_review.ipynb", None),
        ("2024Q3", None, "2024Q3.failed/error.txt"),
        ("2024Q2", "2024Q2/report.html", "2024Q2.failed/error.txt"),
        ("2024Q1", "2024Q1/report.html", None),
    ]
    assert entries[2]["generated_at"] == datetime(2024, 7, 1, 9, 30, tzinfo=BEIJING)


def test_write_index_rows(reports):
    page = render.write_index(reports).read_text(encoding="utf-8")

    rows = re.findall(r"<tr>(.*?)</tr>", page)
    assert rows[0] == "<th>季度</th><th>生成时间（Asia/Shanghai）</th><th>报告</th><th>状态</th>"
    assert rows[3] == ('<td>2024Q2</td><td>2024-07-01 09:30</td><td><a href="2024Q2/report.html">打开</a></td>'
                       '<td><a href="2024Q2.failed/error.txt">最近一次运行失败，见错误摘要</a></td>')
    assert rows[4] == '<td>2024Q1</td><td>2024-04-02 10:15</td><td><a href="2024Q1/report.html">打开</a></td><td>正常</td>'
    assert len(rows) == 5


def test_write_index_in_english(reports):
    page = render.write_index(reports, lang="en").read_text(encoding="utf-8")

    assert '<html lang="en">' in page
    assert "@font-face" in page
    assert "<th>Quarter</th><th>Generated at (Asia/Shanghai)</th><th>Report</th><th>Status</th>" in page


@pytest.mark.parametrize(
    ("zone", "expected_cell", "expected_header"),
    [("Asia/Shanghai", "<td>2024-07-01 09:30</td>", "<th>生成时间（Asia/Shanghai）</th>"),
     ("UTC", "<td>2024-07-01 01:30</td>", "<th>生成时间（UTC）</th>")],
    ids=["config-zone", "other-zone"],
)
def test_write_index_converts_utc_manifest_time(tmp_path, zone, expected_cell, expected_header):
    # A report run on a machine whose clock is in UTC records its finish time in UTC.
    add_report(tmp_path, "2024Q2", "2024Q2", "2024-07-01T01:30:00+00:00")

    page = render.write_index(tmp_path, tz=zone).read_text(encoding="utf-8")

    assert expected_cell in page
    assert expected_header in page
    assert re.search(rf"索引更新于 \d{{4}}-\d\d-\d\d \d\d:\d\d（{zone}）", page)


def test_write_index_empty_folder(tmp_path):
    page = render.write_index(tmp_path).read_text(encoding="utf-8")

    assert "<p>还没有报告。</p>" in page
    assert "<table>" not in page


def test_index_escapes_folder_names(tmp_path):
    add_report(tmp_path, "a&b<c>", None, "2024-07-01T09:30:00+08:00")

    page = render.write_index(tmp_path).read_text(encoding="utf-8")

    assert "<td>a&amp;b&lt;c&gt;</td>" in page
    assert 'href="a&amp;b&lt;c&gt;/report.html"' in page


@pytest.mark.parametrize(
    ("last_day", "expected"),
    [(date(2024, 6, 30), "2024Q2"), (date(2024, 6, 29), "2024Q1"), (date(2024, 7, 1), "2024Q2"),
     (date(2024, 12, 31), "2024Q4"), (date(2024, 1, 15), "2023Q4")],
    ids=["quarter-end", "day-before-end", "day-after-end", "year-end", "across-year"],
)
def test_last_full_quarter(last_day, expected):
    assert last_full_quarter(last_day) == expected
