"""Case: notebook parameters that papermill alone would lose or retype.

1. A notebook without a cell tagged ``parameters`` (or with two) and a passed
   name the notebook does not declare are rejected before anything runs.
2. Values keep their declared types: ``-p customer_id 00123`` stays the
   string "00123", ``-p month 202404`` is the int 202404 only where declared
   int, ``-p tag nan`` stays the string "nan", ``-p flag yes`` is True only
   where declared bool, and a quarter must match YYYYQn.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from segmentation.cli import EXIT_OK, EXIT_USAGE, main
from segmentation.errors import ParameterError
from segmentation.runner import run_notebook
from segmentation.runner_params import check_parameters, read_notebook_parameters

NOTEBOOKS = Path(__file__).parent / "data" / "notebooks"


# Case 1: the parameters cell and the declared names are checked first.

def test_case_untagged_notebook_rejected():
    with pytest.raises(ParameterError, match=r"no_parameters_tag\.ipynb has no cell tagged 'parameters'"):
        read_notebook_parameters(NOTEBOOKS / "no_parameters_tag.ipynb", lang="en")


def test_case_two_tagged_cells_rejected():
    with pytest.raises(ParameterError, match=r"two_parameters_cells\.ipynb has 2 cells tagged 'parameters' \(cells 1, 3\)"):
        read_notebook_parameters(NOTEBOOKS / "two_parameters_cells.ipynb", lang="en")


def test_case_untagged_run_creates_nothing(tmp_path):
    with pytest.raises(ParameterError, match=r"no_parameters_tag\.ipynb 没有标记为 parameters 的单元格"):
        run_notebook(NOTEBOOKS / "no_parameters_tag.ipynb", tmp_path / "out", {"quarter": "2024Q2"})

    assert list(tmp_path.iterdir()) == []


def test_case_undeclared_parameter_run_creates_nothing(tmp_path):
    with pytest.raises(ParameterError, match=r"raises\.ipynb declares no parameter month; declared parameters: quarter"):
        run_notebook(NOTEBOOKS / "raises.ipynb", tmp_path / "out", {"month": "2024-04"}, lang="en")

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("notebook", "parameter", "message"),
    [
        ("no_parameters_tag.ipynb", ["-p", "quarter", "2024Q2"], "no_parameters_tag.ipynb has no cell tagged"),
        ("two_parameters_cells.ipynb", ["-p", "quarter", "2024Q2"], "two_parameters_cells.ipynb has 2 cells"),
        ("raises.ipynb", ["-p", "month", "2024-04"], "raises.ipynb declares no parameter month"),
        ("raises.ipynb", ["-p", "quarter", "2024-06"], "got '2024-06', which is not a quarter"),
    ],
    ids=["untagged", "two-tagged", "undeclared", "bad-quarter"],
)
def test_case_cli_exits_with_usage_status(tmp_path, capsys, notebook, parameter, message):
    status = main(["--lang", "en", "--quiet", "run", str(NOTEBOOKS / notebook), "--out", str(tmp_path / "out"),
                   *parameter])

    assert status == EXIT_USAGE
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# Case 2: values arrive with their declared types.

def test_case_values_keep_declared_types():
    declared = read_notebook_parameters(NOTEBOOKS / "good.ipynb")
    text_values = {"customer_id": "00123", "month": "202404", "tag": "nan", "flag": "yes", "quarter": "2024Q2"}

    typed = check_parameters(declared, text_values)

    assert typed == {"customer_id": "00123", "month": 202404, "tag": "nan", "flag": True, "quarter": "2024Q2"}
    assert type(typed["month"]) is int
    assert type(typed["flag"]) is bool


def test_case_quarter_validated_before_running():
    declared = read_notebook_parameters(NOTEBOOKS / "good.ipynb")

    with pytest.raises(ParameterError, match=r"'2024-06'.*YYYYQn"):
        check_parameters(declared, {"quarter": "2024-06"}, lang="en")


@pytest.mark.slow
def test_case_notebook_receives_declared_types(tmp_path, capsys):
    out = tmp_path / "out"

    status = main(["--quiet", "run", str(NOTEBOOKS / "good.ipynb"), "--out", str(out), "-p", "customer_id", "00123",
                   "-p", "month", "202404", "-p", "tag", "nan", "-p", "flag", "yes", "-p", "quarter", "2024Q2"])

    assert status == EXIT_OK
    printed = nbformat.read(out / "good.ipynb", as_version=4).cells[3].outputs[0].text.splitlines()
    assert printed == [
        "customer_id='00123' (str)",
        "month=202404 (int)",
        "tag='nan' (str)",
        "flag=True (bool)",
        "ratio=0.5 (float)",
        "quarter='2024Q2' (str)",
        "lang='zh' (str)",
    ]
    assert (out / "written.txt").read_text(encoding="utf-8") == "2024Q2 00123\n"
