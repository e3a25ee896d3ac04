"""Tests of notebook parameter declarations, type conversion and validation."""

from __future__ import annotations

import math
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from segmentation.errors import ParameterError
from segmentation.runner_params import (
    ParameterSpec,
    check_parameters,
    convert_value,
    parse_declarations,
    read_notebook_parameters,
    validate_value,
)

NOTEBOOKS = Path(__file__).parent / "data" / "notebooks"
NOTEBOOK = Path("demo.ipynb")


def spec(type_name: str, name: str = "value") -> ParameterSpec:
    defaults = {"str": "", "int": 0, "float": 0.0, "bool": False}
    return ParameterSpec(name=name, type_name=type_name, default=defaults[type_name])


def test_read_good_notebook_declarations():
    declared = read_notebook_parameters(NOTEBOOKS / "good.ipynb")

    assert declared.cell_index == 1
    assert list(declared.specs) == ["customer_id", "month", "tag", "flag", "ratio", "quarter", "lang", "output_dir"]
    assert declared.specs["customer_id"] == ParameterSpec("customer_id", "str", "C000", "customer id, kept as text")
    assert declared.specs["month"] == ParameterSpec("month", "int", 202401, "month as YYYYMM")
    assert declared.specs["flag"] == ParameterSpec("flag", "bool", False, "a switch")
    assert declared.specs["ratio"] == ParameterSpec("ratio", "float", 0.5, "a share in [0, 1]")


def test_defaults_in_declared_order():
    declared = read_notebook_parameters(NOTEBOOKS / "raises.ipynb")

    assert declared.defaults() == {"quarter": "2024Q1"}


def test_declaration_without_comment_has_empty_help():
    specs = parse_declarations('quarter: str = "2024Q2"', NOTEBOOK)

    assert specs["quarter"].help == ""


def test_empty_string_default_and_comment():
    specs = parse_declarations('config: str = ""  # empty = defaults', NOTEBOOK)

    assert specs["config"] == ParameterSpec("config", "str", "", "empty = defaults")


def test_int_default_accepted_for_float():
    specs = parse_declarations("ratio: float = 1  # share", NOTEBOOK)

    assert specs["ratio"].default == 1


@pytest.mark.parametrize(
    ("source", "pattern"),
    [
        ("x = 1", r"line 1 .*demo.ipynb.*not a parameter declaration"),
        ('quarter: str = "2024Q2"\nimport os', r"line 2 .*not a parameter declaration"),
        ("month: int", r"line 1 .*not a parameter declaration"),
        ("weights: list = [1, 2]", r"weights .*unsupported type list.*str, int, float, bool"),
        ("month: int = '202404'", r"default of parameter month .*must be a int literal, got '202404'"),
        ("n: int = True", r"default of parameter n .*must be a int literal, got True"),
        ("flag: bool = 1", r"default of parameter flag .*must be a bool literal, got 1"),
        ("when: str = str(2024)", r"default of parameter when .*must be a str literal, got str\(2024\)"),
        ("quarter: str = ", r"syntax error on line 1"),
    ],
    ids=["plain-assignment", "import-statement", "no-default", "unsupported-type", "str-default-for-int",
         "bool-default-for-int", "int-default-for-bool", "call-as-default", "syntax-error"],
)
def test_parse_declarations_rejects(source, pattern):
    with pytest.raises(ParameterError, match=pattern):
        parse_declarations(source, NOTEBOOK, lang="en")


def test_declaration_error_in_chinese_by_default():
    with pytest.raises(ParameterError, match="参数 weights 声明了不支持的类型 list"):
        parse_declarations("weights: list = [1]", NOTEBOOK, lang="zh")


@pytest.mark.parametrize(
    ("type_name", "value", "expected"),
    [
        ("str", "00123", "00123"),
        ("str", "2024Q2", "2024Q2"),
        ("str", "nan", "nan"),
        ("str", "yes", "yes"),
        ("str", "", ""),
        ("int", "202404", 202404),
        ("int", "-3", -3),
        ("int", "00123", 123),
        ("float", "0.25", 0.25),
        ("float", "1e-3", 0.001),
        ("bool", "true", True),
        ("bool", "YES", True),
        ("bool", "1", True),
        ("bool", "False", False),
        ("bool", "no", False),
        ("bool", "0", False),
        ("int", 7, 7),
        ("float", 2, 2.0),
        ("bool", True, True),
        ("str", "数据", "数据"),
    ],
    ids=["str-leading-zeros", "str-quarter", "str-nan", "str-yes", "str-empty", "int-month", "int-negative",
         "int-leading-zeros", "float", "float-exponent", "bool-true", "bool-yes-upper", "bool-one",
         "bool-false", "bool-no", "bool-zero", "typed-int", "typed-int-as-float", "typed-bool", "str-chinese"],
)
def test_convert_value(type_name, value, expected):
    converted = convert_value(spec(type_name), value)

    assert converted == expected
    assert type(converted) is type(expected)


@pytest.mark.parametrize(
    ("type_name", "value"),
    [
        ("int", "12.5"),
        ("int", "1e3"),
        ("int", ""),
        ("int", "1_000"),
        ("float", "nan"),
        ("float", "inf"),
        ("float", "abc"),
        ("bool", "maybe"),
        ("bool", ""),
        ("bool", "2"),
        ("int", True),
        ("int", 1.5),
        ("str", 5),
        ("bool", 1),
        ("float", math.nan),
    ],
    ids=["int-decimal", "int-exponent", "int-empty", "int-underscore", "float-nan", "float-inf", "float-word",
         "bool-maybe", "bool-empty", "bool-two", "typed-bool-for-int", "typed-float-for-int", "typed-int-for-str",
         "typed-int-for-bool", "typed-nan-for-float"],
)
def test_convert_value_rejects(type_name, value):
    with pytest.raises(ValueError):
        convert_value(spec(type_name), value)


@pytest.mark.parametrize(
    ("name", "value", "pattern"),
    [
        ("quarter", "2024Q5", r"'2024Q5'.*YYYYQn"),
        ("quarter", "2024-Q2", r"'2024-Q2'.*YYYYQn"),
        ("quarter", "24Q2", r"'24Q2'.*YYYYQn"),
        ("quarter", "2024q2", r"'2024q2'.*YYYYQn"),
        ("lang", "fr", r"'fr'.*zh, en"),
    ],
    ids=["quarter-five", "quarter-dash", "quarter-short-year", "quarter-lowercase", "lang-french"],
)
def test_validate_value_rejects(name, value, pattern):
    message = validate_value(name, value, NOTEBOOK, lang="en")

    assert message
    assert re.search(pattern, message)


@pytest.mark.parametrize(
    ("name", "value"),
    [("quarter", "2024Q2"), ("quarter", "1999Q4"), ("lang", "zh"), ("lang", "en"), ("month", "anything")],
    ids=["quarter-q2", "quarter-q4", "lang-zh", "lang-en", "other-name"],
)
def test_validate_value_accepts(name, value):
    assert validate_value(name, value, NOTEBOOK) == ""


def test_check_parameters_types_values():
    declared = read_notebook_parameters(NOTEBOOKS / "good.ipynb")

    typed = check_parameters(declared, {"customer_id": "00123", "month": "202404", "flag": "no", "ratio": "0.75"})

    assert typed == {"customer_id": "00123", "month": 202404, "flag": False, "ratio": 0.75}


def test_check_parameters_collects_every_problem():
    declared = read_notebook_parameters(NOTEBOOKS / "good.ipynb")
    values = {"month": "2024-04", "colour": "red", "quarter": "Q2", "flag": "maybe"}

    with pytest.raises(ParameterError) as caught:
        check_parameters(declared, values, lang="en")

    lines = str(caught.value).splitlines()
    assert len(lines) == 4
    assert "parameter month of notebook" in lines[0]
    assert "'2024-04' is invalid" in lines[0]
    assert "declares no parameter colour" in lines[1]
    assert "customer_id, month, tag" in lines[1]
    assert "got 'Q2', which is not a quarter" in lines[2]
    assert "'maybe' is invalid. Write true/false, yes/no or 1/0." in lines[3]


def test_check_parameters_names_notebook():
    declared = read_notebook_parameters(NOTEBOOKS / "raises.ipynb")

    with pytest.raises(ParameterError, match=r"raises\.ipynb 没有声明参数 month；已声明的参数：quarter"):
        check_parameters(declared, {"month": "2024-04"})


def test_read_missing_notebook():
    with pytest.raises(ParameterError, match=r"notebook .*nowhere\.ipynb not found"):
        read_notebook_parameters(NOTEBOOKS / "nowhere.ipynb", lang="en")


def test_parameters_cell_must_be_code_declarations(tmp_path):
    nb = new_notebook(cells=[new_code_cell("print('hi')", metadata={"tags": ["parameters"]})])
    path = tmp_path / "printing.ipynb"
    nbformat.write(nb, path)

    with pytest.raises(ParameterError, match=r"line 1 of the parameters cell of notebook .*printing\.ipynb"):
        read_notebook_parameters(path, lang="en")
