"""Tests of notebook 01 (rule tiers against clustering): its parameters cell and real papermill runs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "01_tiers_vs_clustering.ipynb"
PARAMETERS = {"source", "as_of", "window", "algorithms", "k_min", "k_max", "seed", "sample_size", "lang",
              "output_dir"}
DECLARATION = re.compile(r"^(\w+): (str|int) = (.+?)  # \S.*$")


def _code_cells() -> list:
    return [cell for cell in nbformat.read(NOTEBOOK, as_version=4).cells if cell.cell_type == "code"]


def test_one_parameters_cell_declares_every_parameter():
    tagged = [cell for cell in _code_cells() if "parameters" in cell.metadata.get("tags", [])]

    assert len(tagged) == 1
    lines = tagged[0].source.splitlines()
    assert all(DECLARATION.match(line) for line in lines), lines
    assert {DECLARATION.match(line).group(1) for line in lines} == PARAMETERS


def test_first_cell_is_markdown_title():
    first = nbformat.read(NOTEBOOK, as_version=4).cells[0]

    assert first.cell_type == "markdown"
    assert first.source.startswith("# ")


def test_notebook_defines_no_functions_or_classes():
    for cell in _code_cells():
        tree = ast.parse(cell.source)
        defined = [node for node in ast.walk(tree)
                   if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))]
        assert defined == [], cell.source


def _kernel_name() -> str:
    from jupyter_client.kernelspec import KernelSpecManager

    return "segmentation" if "segmentation" in KernelSpecManager().find_kernel_specs() else "python3"


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **parameters: object) -> nbformat.NotebookNode:
    import papermill

    # On a shared two-core machine, OpenMP threads of k-means wait on each other,
    # so the run takes several times longer. One thread gives the same numbers.
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    output = tmp_path / "01_out.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(output), parameters=parameters, cwd=str(ROOT),
                               kernel_name=_kernel_name(), progress_bar=False)
    return nbformat.read(output, as_version=4)


def _texts(notebook: nbformat.NotebookNode) -> list[str]:
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                texts.append(output.text)
            elif "data" in output:
                texts.append(output.data.get("text/markdown") or output.data.get("text/plain", ""))
    return texts


def _check_clean_outputs(notebook: nbformat.NotebookNode) -> None:
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "execute_result", cell.source
            assert output.output_type != "error", output.get("evalue")
            if output.output_type == "stream":
                assert output.name != "stderr", output.text


@pytest.mark.slow
def test_sample_run_recovers_latent_segments(tmp_path, monkeypatch):
    notebook = _run(tmp_path, monkeypatch, output_dir=str(tmp_path / "out"))

    _check_clean_outputs(notebook)
    texts = "\n".join(_texts(notebook))
    match = re.search(r"与潜在分群的 ARI = (\d\.\d{3})", texts)
    assert match, "the latent-truth sentence is missing"
    assert float(match.group(1)) >= 0.8
    assert "## 9. 结论" in texts
    assert (tmp_path / "out" / "disagreements.csv").is_file()
    assert (tmp_path / "out" / "pca.png").is_file()


@pytest.mark.slow
def test_online_retail_run_states_missing_need(tmp_path, monkeypatch):
    notebook = _run(tmp_path, monkeypatch, source="sources/online_retail.yaml", lang="en")

    _check_clean_outputs(notebook)
    texts = "\n".join(_texts(notebook))
    assert "dimension: need" in texts
    assert "missing, not clustered" in texts
    assert "The data lacks the need dimension(s), so this comparison covers the others only." in texts
    assert "has no latent segments, so this section is skipped" in texts
