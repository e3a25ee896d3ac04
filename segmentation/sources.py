"""Source specifications: which files hold which table, and how their columns map.

A source is one of

* a folder whose files are named after the tables (``customers.csv``,
  ``orders.xlsx``, ``tickets.csv.gz``, ...), with headers matched to canonical
  columns by the aliases in :mod:`segmentation.schema` (see
  :mod:`segmentation.headers`). :func:`folder_spec` builds its spec.
* a source file (YAML) that names the files and maps their columns and values,
  for exports whose layout the aliases do not cover.
  :mod:`segmentation.source_file` reads and checks it.
* ``"sample"``, the bundled sample data.

:func:`segmentation.source_file.resolve_source` turns any of them into a
:class:`SourceSpec`, which contains one :class:`TableSpec` per table.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DataValidationError, Problem
from .i18n import Catalog
from .schema import SCHEMAS

logger = logging.getLogger(__name__)

SUFFIX_FORMATS = {".csv": "csv", ".csv.gz": "csv", ".txt": "csv", ".txt.gz": "csv", ".tsv": "csv",
                  ".xlsx": "excel", ".parquet": "parquet"}
DEFAULT_CSAT_SCALE = (1.0, 5.0)

MESSAGES = Catalog({
    "ambiguous_file": {"zh": "文件夹 {folder} 中表 {table} 有多个文件：{files}；请只保留一个。",
                       "en": "folder {folder} has several files for table {table}: {files}; keep one."},
    "empty_folder": {"zh": "文件夹 {folder} 中没有以表名命名的文件（{tables}，扩展名 {suffixes}）。",
                     "en": "folder {folder} has no file named after a table ({tables}; extensions {suffixes})."},
})


@dataclass(frozen=True)
class TableSpec:
    """Reading instructions of one canonical table; ``docs/sources.md`` explains each key."""

    table: str
    files: tuple[Path, ...] = ()
    derive_from: str | None = None
    format: str | None = None
    delimiter: str | None = None
    encoding: str = "auto"
    names: tuple[str, ...] | None = None
    widths: tuple[int, ...] | None = None
    sheet: str | int = 0
    columns: Mapping[str, str | None] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    amount_from: Mapping[str, str] | None = None
    id_from_line: bool = False
    status_from_prefix: Mapping[str, str] | None = None
    csat_scale: tuple[float, float] = DEFAULT_CSAT_SCALE
    csat_scale_by_channel: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    date_formats: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    timezone: str | None = None
    na_values: tuple[str, ...] | None = None
    pseudonymise: tuple[str, ...] = ()
    pseudonym_salt: str | None = None  # the source's top-level salt, copied into each table

    def file_format(self, path: Path) -> str:
        """Return the declared format, or the one implied by the file name."""
        return self.format or SUFFIX_FORMATS.get(_suffix(path), "csv")

    def formats_for(self, column: str) -> tuple[str, ...]:
        """Return the declared date formats of ``column`` (its own, then those under ``"*"``)."""
        return tuple(self.date_formats.get(column, ())) + tuple(self.date_formats.get("*", ()))


@dataclass(frozen=True)
class SourceSpec:
    """A data source: its name, the zone of naive timestamps and the table specs."""

    name: str
    tables: Mapping[str, TableSpec]
    path: Path | None = None
    timezone: str | None = None
    na_values: tuple[str, ...] | None = None



def folder_spec(folder: str | Path, lang: str = "zh") -> SourceSpec:
    """Build the spec of a folder of files named after the tables; other files are ignored."""
    folder = Path(folder)
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        table = _table_of_file(path)
        if table is not None:
            found.setdefault(table, []).append(path)
        elif path.is_file():
            logger.info("ignoring %s: its name is not a table name", path)

    problems = [_problem("source", "ambiguous_file", MESSAGES("ambiguous_file", lang, folder=folder, table=table,
                                                             files=[p.name for p in paths]), folder)
                for table, paths in found.items() if len(paths) > 1]
    if not found:
        problems.append(_problem("source", "empty_folder", MESSAGES(
            "empty_folder", lang, folder=folder, tables=", ".join(SCHEMAS), suffixes=", ".join(SUFFIX_FORMATS)),
            folder))
    if problems:
        raise DataValidationError(problems)
    tables = {table: TableSpec(table=table, files=(paths[0],)) for table, paths in found.items()}
    return SourceSpec(name=str(folder), tables=tables, path=folder)


def _table_of_file(path: Path) -> str | None:
    suffix = _suffix(path)
    if not path.is_file() or suffix not in SUFFIX_FORMATS:
        return None
    stem = path.name[: -len(suffix)].lower()
    return stem if stem in SCHEMAS else None


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return next((suffix for suffix in sorted(SUFFIX_FORMATS, key=len, reverse=True) if name.endswith(suffix)), "")


def _problem(table: str, kind: str, message: str, file: Path | str) -> Problem:
    return Problem(table=table, kind=kind, message=message, file=str(file), fatal=True)
