"""Notebook parameters: the one ``parameters`` cell, its declarations, and typed values for papermill.

Conventions:

* A notebook declares its parameters in exactly one code cell tagged
  ``parameters``, one line each: ``name: type = default  # meaning``, where
  ``type`` is ``str``, ``int``, ``float`` or ``bool`` and the default is a
  literal of that type. Nothing else may stand in that cell.
* Values given on a command line are text. Each is converted to its declared
  type here and passed to papermill already typed, so papermill's own YAML
  coercion never applies (it would turn ``00123`` into 123 and ``nan`` into a
  float).
* Problems in the given values are collected and raised together as one
  :class:`~segmentation.errors.ParameterError`; problems in the notebook
  itself are raised at once, because nothing can be checked without a
  readable parameters cell.
"""

from __future__ import annotations

import ast
import io
import logging
import math
import re
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .errors import ParameterError
from .i18n import DEFAULT_LANG, SUPPORTED_LANGS, Catalog

logger = logging.getLogger(__name__)

PARAMETERS_TAG = "parameters"
SUPPORTED_TYPES = ("str", "int", "float", "bool")
TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")
QUARTER_PATTERN = re.compile(r"^\d{4}Q[1-4]$")
_INT_PATTERN = re.compile(r"^[+-]?\d+$")

MESSAGES = Catalog({
    "not_found": {
        "zh": "找不到笔记本 {notebook}，请检查路径。",
        "en": "notebook {notebook} not found; check the path.",
    },
    "no_cell": {
        "zh": "笔记本 {notebook} 没有标记为 parameters 的单元格，传入的参数会被笔记本里的默认值覆盖。"
              "请在 Jupyter 中给声明参数的单元格加上标签 parameters。",
        "en": "notebook {notebook} has no cell tagged 'parameters', so passed values would be overwritten "
              "by the notebook's own defaults. Tag the cell that declares the parameters with 'parameters'.",
    },
    "many_cells": {
        "zh": "笔记本 {notebook} 有 {count} 个标记为 parameters 的单元格（第 {cells} 个），只能有一个；"
              "请把参数声明合并到一个单元格。",
        "en": "notebook {notebook} has {count} cells tagged 'parameters' (cells {cells}); exactly one is "
              "allowed. Merge the declarations into one cell.",
    },
    "syntax": {
        "zh": "笔记本 {notebook} 的 parameters 单元格第 {line} 行有语法错误：{error}",
        "en": "the parameters cell of notebook {notebook} has a syntax error on line {line}: {error}",
    },
    "not_declaration": {
        "zh": "笔记本 {notebook} 的 parameters 单元格第 {line} 行不是参数声明；"
              "每行应写成 `名称: 类型 = 默认值  # 含义`，类型为 {types}。",
        "en": "line {line} of the parameters cell of notebook {notebook} is not a parameter declaration; "
              "write each as `name: type = default  # meaning` with a type among {types}.",
    },
    "bad_type": {
        "zh": "笔记本 {notebook} 的参数 {name} 声明了不支持的类型 {type}；可用类型：{types}。",
        "en": "parameter {name} of notebook {notebook} is declared with unsupported type {type}; "
              "use one of {types}.",
    },
    "bad_default": {
        "zh": "笔记本 {notebook} 的参数 {name} 的默认值必须是 {type} 类型的字面量，实际是 {default}。",
        "en": "the default of parameter {name} in notebook {notebook} must be a {type} literal, "
              "got {default}.",
    },
    "undeclared": {
        "zh": "笔记本 {notebook} 没有声明参数 {name}；已声明的参数：{declared}。",
        "en": "notebook {notebook} declares no parameter {name}; declared parameters: {declared}.",
    },
    "conversion": {
        "zh": "笔记本 {notebook} 的参数 {name} 应为 {type}，无法使用值 {value!r}。{hint}",
        "en": "parameter {name} of notebook {notebook} is a {type}; the value {value!r} is invalid. {hint}",
    },
    "hint_int": {"zh": "请写整数，如 202404。", "en": "Write a whole number such as 202404."},
    "hint_float": {"zh": "请写有限的数字，如 0.5。", "en": "Write a finite number such as 0.5."},
    "hint_bool": {"zh": "请写 true/false、yes/no 或 1/0。", "en": "Write true/false, yes/no or 1/0."},
    "hint_str": {"zh": "请写文本。", "en": "Write text."},
    "bad_quarter": {
        "zh": "笔记本 {notebook} 的参数 {name} 的值 {value!r} 不是季度；请写成 YYYYQn，如 2024Q2。",
        "en": "parameter {name} of notebook {notebook} got {value!r}, which is not a quarter; "
              "write YYYYQn, e.g. 2024Q2.",
    },
    "bad_lang": {
        "zh": "笔记本 {notebook} 的参数 {name} 的值 {value!r} 不是支持的语言；可选：{langs}。",
        "en": "parameter {name} of notebook {notebook} got {value!r}, which is not a supported language; "
              "use one of {langs}.",
    },
})


@dataclass(frozen=True)
class ParameterSpec:
    """One declared notebook parameter.

    Attributes
    ----------
    name : str
        Variable name in the notebook.
    type_name : {"str", "int", "float", "bool"}
        Declared type.
    default : str, int, float or bool
        Default value written in the notebook.
    help : str
        The trailing comment of the declaration, without ``#``; empty if none.
    """

    name: str
    type_name: str
    default: object
    help: str = ""


@dataclass(frozen=True)
class NotebookParameters:
    """The parameters cell of one notebook.

    Attributes
    ----------
    notebook : Path
        The notebook file.
    cell_index : int
        0-based index of the cell tagged ``parameters``.
    specs : dict of str to ParameterSpec
        Declarations in the order written.
    """

    notebook: Path
    cell_index: int
    specs: dict[str, ParameterSpec]

    def defaults(self) -> dict[str, object]:
        """Return each parameter's default value."""
        return {name: spec.default for name, spec in self.specs.items()}


def read_notebook_parameters(notebook: str | Path, lang: str = DEFAULT_LANG) -> NotebookParameters:
    """Read the declarations of a notebook's ``parameters`` cell.

    Parameters
    ----------
    notebook : str or Path
        The ``.ipynb`` file.
    lang : {"zh", "en"}
        Language of error messages.

    Returns
    -------
    NotebookParameters

    Raises
    ------
    ParameterError
        If the file is missing, no cell or more than one cell is tagged
        ``parameters``, or a line of that cell is not a declaration
        ``name: type = default``.
    """
    notebook = Path(notebook)
    if not notebook.is_file():
        raise ParameterError(MESSAGES("not_found", lang, notebook=notebook))

    nb = nbformat.read(notebook, as_version=4)
    cell_index = find_parameters_cell(nb, notebook, lang)
    specs = parse_declarations(nb.cells[cell_index].source, notebook, lang)
    return NotebookParameters(notebook=notebook, cell_index=cell_index, specs=specs)


def find_parameters_cell(nb: nbformat.NotebookNode, notebook: Path, lang: str = DEFAULT_LANG) -> int:
    """Return the index of the one cell tagged ``parameters``, raising for zero or several."""
    tagged = [index for index, cell in enumerate(nb.cells)
              if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", [])]
    if not tagged:
        raise ParameterError(MESSAGES("no_cell", lang, notebook=notebook))
    if len(tagged) > 1:
        cells = ", ".join(str(index + 1) for index in tagged)
        raise ParameterError(MESSAGES("many_cells", lang, notebook=notebook, count=len(tagged), cells=cells))
    return tagged[0]


def parse_declarations(source: str, notebook: Path, lang: str = DEFAULT_LANG) -> dict[str, ParameterSpec]:
    """Parse ``name: type = default  # meaning`` lines into parameter specs.

    Parameters
    ----------
    source : str
        Source of the parameters cell.
    notebook : Path
        The notebook, named in error messages.
    lang : {"zh", "en"}
        Language of error messages.

    Returns
    -------
    dict of str to ParameterSpec
        In the order declared.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise ParameterError(MESSAGES("syntax", lang, notebook=notebook, line=error.lineno, error=error.msg)) from None

    comments = _comments_by_line(source)
    specs: dict[str, ParameterSpec] = {}
    for node in tree.body:
        spec = _spec_from_node(node, notebook, lang)
        specs[spec.name] = ParameterSpec(spec.name, spec.type_name, spec.default, comments.get(node.end_lineno, ""))
    return specs


def _spec_from_node(node: ast.stmt, notebook: Path, lang: str) -> ParameterSpec:
    types = ", ".join(SUPPORTED_TYPES)
    if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None):
        raise ParameterError(MESSAGES("not_declaration", lang, notebook=notebook, line=node.lineno, types=types))

    name, type_name = node.target.id, ast.unparse(node.annotation)
    if type_name not in SUPPORTED_TYPES:
        raise ParameterError(MESSAGES("bad_type", lang, notebook=notebook, name=name, type=type_name, types=types))

    try:
        default = ast.literal_eval(node.value)
    except ValueError:
        default = None
    if not _matches_type(default, type_name):
        raise ParameterError(MESSAGES("bad_default", lang, notebook=notebook, name=name, type=type_name,
                                      default=ast.unparse(node.value)))
    return ParameterSpec(name=name, type_name=type_name, default=default)


def _comments_by_line(source: str) -> dict[int, str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {token.start[0]: token.string.lstrip("#").strip() for token in tokens if token.type == tokenize.COMMENT}


def _matches_type(value: object, type_name: str) -> bool:
    # bool is a subclass of int, so True must not pass as an int or a float.
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, str)


def check_parameters(declared: NotebookParameters, values: Mapping[str, object],
                     lang: str = DEFAULT_LANG) -> dict[str, object]:
    """Check parameter values against the declarations and convert them to their types.

    Parameters
    ----------
    declared : NotebookParameters
        From :func:`read_notebook_parameters`.
    values : mapping of str to object
        Values to pass. Text is converted to the declared type; other values
        must already have that type.
    lang : {"zh", "en"}
        Language of error messages.

    Returns
    -------
    dict of str to object
        The values, typed, ready for ``papermill.execute_notebook``.

    Raises
    ------
    ParameterError
        Listing every undeclared name and every value that cannot be
        converted or fails validation (``quarter`` must match ``YYYYQn``,
        ``lang`` must be ``zh`` or ``en``).
    """
    problems: list[str] = []
    typed: dict[str, object] = {}
    for name, value in values.items():
        spec = declared.specs.get(name)
        if spec is None:
            problems.append(MESSAGES("undeclared", lang, notebook=declared.notebook, name=name,
                                     declared=", ".join(declared.specs) or "-"))
            continue

        problem, converted = _convert_and_validate(spec, value, declared.notebook, lang)
        if problem:
            problems.append(problem)
        else:
            typed[name] = converted

    if problems:
        raise ParameterError("\n".join(problems))
    return typed


def _convert_and_validate(spec: ParameterSpec, value: object, notebook: Path, lang: str) -> tuple[str, object]:
    try:
        converted = convert_value(spec, value)
    except ValueError:
        hint = MESSAGES(f"hint_{spec.type_name}", lang)
        return MESSAGES("conversion", lang, notebook=notebook, name=spec.name, type=spec.type_name,
                        value=value, hint=hint), None
    return validate_value(spec.name, converted, notebook, lang), converted


def convert_value(spec: ParameterSpec, value: object) -> object:
    """Convert one value to the type declared in ``spec``.

    Text converts by the declared type. A ``str`` keeps the text unchanged
    (``"00123"``, ``"nan"``). An ``int`` accepts optionally signed digits
    only, and a ``float`` finite numbers only. A ``bool`` accepts true/false,
    yes/no and 1/0 in any case. A value that is not text must already have the declared type
    (an int is accepted for a float), and a float must be finite.

    Raises
    ------
    ValueError
        If the value cannot be converted.
    """
    if isinstance(value, str):
        return _TEXT_CONVERTERS[spec.type_name](value)
    if not _matches_type(value, spec.type_name):
        raise ValueError(f"{value!r} is not a {spec.type_name}")
    if spec.type_name == "float":
        return _finite(float(value))
    return value


def _int_from_text(text: str) -> int:
    if not _INT_PATTERN.match(text.strip()):
        raise ValueError(f"{text!r} is not a whole number")
    return int(text)


def _float_from_text(text: str) -> float:
    return _finite(float(text))


def _finite(number: float) -> float:
    if not math.isfinite(number):
        raise ValueError(f"{number!r} is not a finite number")
    return number


def _bool_from_text(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{text!r} is not a boolean word")


_TEXT_CONVERTERS = {"str": str, "int": _int_from_text, "float": _float_from_text, "bool": _bool_from_text}


def validate_value(name: str, value: object, notebook: Path, lang: str = DEFAULT_LANG) -> str:
    """Return a message if a parameter with a well-known name has an invalid value, else ``""``.

    ``quarter`` must match ``YYYYQn`` (e.g. ``2024Q2``) and ``lang`` must be
    a supported language.
    """
    if name == "quarter" and not QUARTER_PATTERN.match(str(value)):
        return MESSAGES("bad_quarter", lang, notebook=notebook, name=name, value=value)
    if name == "lang" and value not in SUPPORTED_LANGS:
        return MESSAGES("bad_lang", lang, notebook=notebook, name=name, value=value, langs=", ".join(SUPPORTED_LANGS))
    return ""
