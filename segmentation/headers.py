"""Header matching: which header of a file contains each canonical column of its table.

:func:`resolve_columns` maps the headers of one file to canonical columns.
Conventions that hold for the whole file:

* a column mapped under ``columns`` in a source file is taken as given, and
  ``None`` there means the file has no such column;
* every other canonical column is matched by its name, then by its aliases in
  :mod:`segmentation.schema` in their listed order, comparing both sides after
  :func:`~segmentation.schema.normalise_header`. When several headers
  normalise alike, the first in file order is used;
* a missing required column or mapped header is a fatal
  :class:`~segmentation.errors.Problem` that lists the file's columns and the
  closest header. The problems are returned together, not raised.
"""

from __future__ import annotations

import difflib

from .errors import Problem
from .i18n import Catalog
from .schema import SCHEMAS, normalise_header
from .sources import TableSpec

MESSAGES = Catalog({
    "missing_column": {
        "zh": "{file}：表 {table} 缺少必需列 {column}（可用表头：{accepted}）。文件中的列：{existing}。{hint}"
              "请在数据源文件的 columns 中指定对应的列。",
        "en": "{file}: table {table} lacks the required column {column} (accepted headers: {accepted}). "
              "Columns in the file: {existing}.{hint} Map it under 'columns' in a source file.",
    },
    "closest": {"zh": "最接近的是 {match!r}。", "en": " The closest is {match!r}."},
    "mapped_missing": {
        "zh": "{file}：数据源文件把 {table}.{column} 对应到列 {header!r}，但文件中没有该列。文件中的列：{existing}。{hint}",
        "en": "{file}: the source file maps {table}.{column} to column {header!r}, which the file lacks. "
              "Columns in the file: {existing}.{hint}",
    },
})


def resolve_columns(
    headers: list[str], spec: TableSpec, file: str, lang: str = "zh",
) -> tuple[dict[str, str], list[Problem]]:
    """Match the headers of a file to canonical columns.

    Columns named under the spec's ``columns`` are taken as given (``None``
    means the file has no such column). The other canonical columns are
    matched by name or alias with :func:`~segmentation.schema.normalise_header`.
    A header equal to the canonical name wins over one matching an alias;
    among alias matches the first in file order wins. Headers mapped
    explicitly are not matched again, because they already have a meaning.

    Returns
    -------
    mapping : dict
        Canonical column -> header in the file.
    problems : list of Problem
        A fatal problem for each required column that is missing, and for each
        mapped header the file lacks; each lists the file's columns and the
        closest header.
    """
    schema = SCHEMAS[spec.table]
    mapping, problems = {}, []
    for column, header in spec.columns.items():
        if header in headers:
            mapping[column] = header
        elif header is not None:
            problems.append(_missing(spec.table, column, file, headers, lang, header=header))

    by_key = {}
    for header in headers:
        if header not in spec.columns.values():
            by_key.setdefault(normalise_header(header), header)
    for column in schema.columns:
        if column.name in spec.columns:
            continue
        keys = [normalise_header(name) for name in (column.name, *column.aliases)]
        match = next((by_key[key] for key in keys if key in by_key), None)
        if match is not None:
            mapping[column.name] = match

    unmapped = [header for header in headers if header not in mapping.values()]
    for column in _required(spec):
        if column not in mapping and spec.columns.get(column) is None:
            problems.append(_missing(spec.table, column, file, headers, lang, unmapped=unmapped))
    for key, header in _helper_headers(spec).items():
        if header not in headers:
            problems.append(_missing(spec.table, key, file, headers, lang, header=header))
    return mapping, problems


def _helper_headers(spec: TableSpec) -> dict[str, str]:
    """Return the headers that ``amount_from`` and ``status_from_prefix`` read, by the key naming them."""
    headers = {f"amount_from.{key}": header for key, header in (spec.amount_from or {}).items()}
    if spec.status_from_prefix:
        headers["status_from_prefix.column"] = spec.status_from_prefix["column"]
    return headers


def _required(spec: TableSpec) -> list[str]:
    schema = SCHEMAS[spec.table]
    supplied = set()
    if spec.amount_from:
        supplied.add("amount")
    if spec.id_from_line and schema.key:
        supplied.add(schema.key)
    return [column for column in schema.required if column not in supplied]


def _missing(table: str, column: str, file: str, headers: list[str], lang: str, header: str | None = None,
             unmapped: list[str] | None = None) -> Problem:
    names = [header] if header is not None else [column, *SCHEMAS[table].column(column).aliases]
    close = _closest_header(names, headers if unmapped is None else unmapped)
    hint = MESSAGES("closest", lang, match=close) if close else ""
    existing = ", ".join(headers)
    if header is not None:
        message = MESSAGES("mapped_missing", lang, file=file, table=table, column=column, header=header,
                           existing=existing, hint=hint)
    else:
        message = MESSAGES("missing_column", lang, file=file, table=table, column=column,
                           accepted=", ".join(names), existing=existing, hint=hint)
    return Problem(table=table, kind="missing_column", message=message, file=file, column=header or column,
                   fatal=True)


def _closest_header(names: list[str], headers: list[str], cutoff: float = 0.5) -> str | None:
    """Return the header most similar to any of ``names`` (difflib ratio at least ``cutoff``)."""
    best, best_score = None, cutoff
    for header in headers:
        for name in names:
            score = difflib.SequenceMatcher(None, normalise_header(name), normalise_header(header)).ratio()
            if score > best_score or (score == best_score and best is None):
                best, best_score = header, score
    return best
