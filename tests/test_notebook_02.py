"""Run the weight-tuning notebook with papermill on the sample data (slow)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import papermill
import pytest
from segmentation.config import load_config
from segmentation.runner import project_kernel_name

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "02_weight_tuning.ipynb"


def outputs_text(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(value) for key, value in output.get("data", {}).items() if key.startswith("text/"))
    return "\n".join(parts)


def test_parameters_cell_declares_every_parameter():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]

    assert len(tagged) == 1
    names = [line.split(":")[0] for line in tagged[0].source.splitlines()]
    assert names == ["source", "cutoffs", "horizon", "objective", "grid_step", "seed", "lang", "output_dir",
                     "interactive"]


def test_notebook_defines_no_functions_or_classes():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")

    assert "def " not in code
    assert "class " not in code


@pytest.mark.slow
@pytest.mark.parametrize(("lang", "heading"), [("zh", "推荐权重"), ("en", "Recommended weights")], ids=["zh", "en"])
def test_notebook_runs_on_sample(tmp_path, lang, heading):
    output = tmp_path / f"02_{lang}.ipynb"

    papermill.execute_notebook(
        str(NOTEBOOK), str(output), kernel_name=project_kernel_name(), cwd=str(REPO), progress_bar=False,
        parameters={"source": "sample", "lang": lang, "output_dir": str(tmp_path / "out"), "seed": 7},
    )

    text = outputs_text(nbformat.read(output, as_version=4))
    assert heading in text
    assert "scoring:\n  weights:\n" in text
    assert re.search(r"at 0x[0-9a-f]+", text) is None  # no object addresses in stored outputs
    weights = load_config(tmp_path / "out" / "tuned_weights.yaml").weights
    assert sum(weights.values()) == pytest.approx(1.0)
