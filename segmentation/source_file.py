"""Source files: reading and checking the YAML that describes a source.

A source file names the files of each table and maps their columns and
values, for exports whose layout the aliases in :mod:`segmentation.schema` do
not cover. The format is documented in ``docs/sources.md``; every key is
checked here and an unknown key is an error naming the allowed keys.

Paths in a source file are relative to the file itself. Problems found in a
source file are collected and raised together as one
:class:`~segmentation.errors.DataValidationError`.

:func:`resolve_source` is the entry point for every kind of source: a data
folder (see :func:`segmentation.sources.folder_spec`), a source file or
``"sample"``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .encoding import DECLARABLE_ENCODINGS
from .errors import DataValidationError, Problem
from .i18n import Catalog
from .schema import SCHEMAS, TableSchema
from .sources import DEFAULT_CSAT_SCALE, SourceSpec, TableSpec, _problem, folder_spec

logger = logging.getLogger(__name__)

FORMATS = ("csv", "whitespace", "fixed_width", "excel", "parquet")
SOURCE_KEYS = ("name", "description", "timezone", "na_values", "pseudonym_salt", "tables")
TABLE_KEYS = ("file", "derive_from", "format", "delimiter", "encoding", "names", "widths", "sheet",
              "columns", "values", "amount_from", "id_from_line", "status_from_prefix", "csat_scale",
              "date_formats", "timezone", "na_values", "pseudonymise")

MESSAGES = Catalog({
    "where": {"zh": "数据源文件 {file}：", "en": "source file {file}: "},
    "not_found": {"zh": "找不到数据源 {source}；请给出数据文件夹、数据源 YAML 文件或 sample。",
                  "en": "source {source} not found; pass a data folder, a source YAML file or 'sample'."},
    "bad_yaml": {"zh": "{where}不是有效的 YAML：{error}", "en": "{where}is not valid YAML: {error}"},
    "not_mapping": {"zh": "{where}{name} 应为键值映射，实际是 {value!r}。",
                    "en": "{where}{name} must be a mapping of keys, got {value!r}."},
    "unknown_key": {"zh": "{where}{section} 中有未知的键 {name!r}；允许的键：{allowed}。请检查拼写或删除该键。",
                    "en": "{where}unknown key {name!r} in {section}; allowed keys: {allowed}. "
                          "Check the spelling or remove the key."},
    "unknown_table": {"zh": "{where}未知的表 {name!r}；可用的表：{allowed}。",
                      "en": "{where}unknown table {name!r}; tables: {allowed}."},
    "unknown_column": {"zh": "{where}表 {table} 没有标准列 {name!r}（{section}）；标准列：{allowed}。",
                       "en": "{where}table {table} has no canonical column {name!r} (in {section}); "
                             "canonical columns: {allowed}."},
    "file_missing": {"zh": "{where}表 {table} 的文件 {path} 不存在；路径相对于数据源文件所在的文件夹。",
                     "en": "{where}file {path} of table {table} does not exist; paths are relative to "
                           "the folder of the source file."},
    "file_or_derive": {"zh": "{where}表 {table} 需要 file 或 derive_from 二者之一。",
                       "en": "{where}table {table} needs exactly one of 'file' and 'derive_from'."},
    "bad_derive": {"zh": "{where}只有 customers 表可以用 derive_from，且须指向本文件中有 file 的另一张表；"
                         "实际为 {table}.derive_from = {value!r}。",
                   "en": "{where}only the customers table may use derive_from, and it must name another "
                         "table of this file that has a file; got {table}.derive_from = {value!r}."},
    "bad_choice": {"zh": "{where}{name} 的值 {value!r} 无效；可选：{allowed}。",
                   "en": "{where}{name} is {value!r}; allowed: {allowed}."},
    "not_list": {"zh": "{where}{name} 应为列表（widths 为正整数列表），实际为 {value!r}。",
                 "en": "{where}{name} must be a list (for widths, of positive whole numbers), got {value!r}."},
    "bad_zone": {"zh": "{where}{name} 的值 {value!r} 不是 IANA 时区，例如 Asia/Shanghai、Europe/London。",
                 "en": "{where}{name} is {value!r}, not an IANA time zone such as Asia/Shanghai or Europe/London."},
    "bad_scale": {"zh": "{where}{name} 应为 [最小值, 最大值]，且最小值小于最大值，实际为 {value!r}。",
                  "en": "{where}{name} must be [min, max] with min below max, got {value!r}."},
    "needs_widths": {"zh": "{where}表 {table} 的格式 fixed_width 需要 widths（每列的字符宽度）。",
                     "en": "{where}table {table} has format fixed_width, which needs 'widths' "
                           "(the character width of each column)."},
    "not_for_table": {"zh": "{where}{name} 只能用于 {allowed} 表，不能用于 {table}。",
                      "en": "{where}{name} applies to the {allowed} table only, not to {table}."},
    "not_id_column": {"zh": "{where}{name} 只能列出编号列（{allowed}），不能列出 {value!r}。",
                      "en": "{where}{name} may list id columns only ({allowed}), not {value!r}."},
    "needs_salt": {"zh": "{where}表 {tables} 使用了 pseudonymise，需要在顶层设置 pseudonym_salt（一段非空文本）。",
                   "en": "{where}table(s) {tables} use pseudonymise, which needs a top-level pseudonym_salt "
                         "(a non-empty text)."},
    "bad_salt": {"zh": "{where}pseudonym_salt 应为非空文本（请加引号），实际为 {value!r}。",
                 "en": "{where}pseudonym_salt must be a non-empty text (quote it), got {value!r}."},
    "partial_pseudonyms": {
        "zh": "{where}表 {pseudonymised} 对 customer_id 做了假名化，而表 {plain} 没有；customer_id 用于关联各表，"
              "请在这些表的 pseudonymise 中也列出 customer_id（overrides 表除外）。",
        "en": "{where}table(s) {pseudonymised} pseudonymise customer_id but {plain} do not; customer_id links the "
              "tables, so list it under pseudonymise in those tables too (overrides excepted)."},
})


def resolve_source(source: str | Path, lang: str = "zh") -> SourceSpec:
    """Turn a folder, a source YAML file or ``"sample"`` into a :class:`SourceSpec`.

    Raises
    ------
    DataValidationError
        If the source does not exist, or the source file has problems (all of
        them are listed).
    """
    if str(source) == "sample":
        from .sample import ensure_sample  # imported late: the sample is generated on first use

        source = ensure_sample(lang=lang)  # its source file (or folder); _truth/ in it is never read
    path = Path(source)
    if path.is_dir():
        return folder_spec(path, lang)
    if path.is_file():
        return read_source_file(path, lang)
    raise DataValidationError([Problem("source", "source_not_found", MESSAGES("not_found", lang, source=source),
                                       file=str(source), fatal=True)])


def read_source_file(path: str | Path, lang: str = "zh") -> SourceSpec:
    """Read and validate a source YAML file; see ``docs/sources.md`` for the format.

    Raises
    ------
    DataValidationError
        Listing every problem: invalid YAML, unknown keys (with the allowed
        keys), unknown tables or columns, missing files, invalid zones,
        formats, encodings or CSAT scales.
    """
    path = Path(path)
    checker = _SpecChecker(path, lang)
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        checker.fail("bad_yaml", error=error)
        raise DataValidationError(checker.problems) from None

    spec = checker.source(raw)
    if checker.problems:
        raise DataValidationError(checker.problems)
    logger.info("read source file %s with tables %s", path, ", ".join(spec.tables))
    return spec


class _SpecChecker:
    """Validates the raw YAML of a source file, collecting every problem before raising."""

    def __init__(self, path: Path, lang: str) -> None:
        self.path = path
        self.lang = lang
        self.problems: list[Problem] = []
        self.salt: str | None = None

    def fail(self, message_key: str, **fields: Any) -> None:
        where = MESSAGES("where", self.lang, file=self.path)
        message = MESSAGES(message_key, self.lang, where=where, **fields)
        self.problems.append(_problem("source", message_key, message, self.path))

    def mapping(self, value: Any, key: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail("not_mapping", name=key, value=value)
            return {}
        return value

    def keys(self, section_keys: Mapping[str, Any], allowed: tuple[str, ...], section: str) -> None:
        for key in section_keys:
            if key not in allowed:
                self.fail("unknown_key", name=key, section=section, allowed=", ".join(allowed))

    def zone(self, value: Any, key: str) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            self.fail("bad_zone", name=key, value=value)
            return None
        return str(value)

    def texts(self, value: Any, key: str) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not isinstance(value, list):
            self.fail("not_list", name=key, value=value)
            return None
        return tuple(str(item) for item in value)

    def widths(self, value: Any, key: str) -> tuple[int, ...] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, int) and item > 0 for item in value):
            self.fail("not_list", name=key, value=value)
            return None
        return tuple(value)

    def scale(self, value: Any, key: str) -> tuple[float, float]:
        numbers = isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(item, (int, float)) and not isinstance(item, bool) for item in value)
        if not numbers or value[0] >= value[1]:
            self.fail("bad_scale", name=key, value=value)
            return DEFAULT_CSAT_SCALE
        return float(value[0]), float(value[1])

    def source(self, raw: Any) -> SourceSpec:
        raw = self.mapping(raw, "the file")
        self.keys(raw, SOURCE_KEYS, "the top level")
        timezone = self.zone(raw.get("timezone"), "timezone")
        self.salt = self.pseudonym_salt(raw.get("pseudonym_salt"))
        tables_raw = self.mapping(raw.get("tables"), "tables")
        for table in tables_raw:
            if table not in SCHEMAS:
                self.fail("unknown_table", name=table, allowed=", ".join(SCHEMAS))
        tables = {table: self.table(table, self.mapping(spec, f"tables.{table}"), tables_raw)
                  for table, spec in tables_raw.items() if table in SCHEMAS}
        self.pseudonym_links(tables, has_salt="pseudonym_salt" in raw)
        return SourceSpec(name=str(raw.get("name", self.path.stem)), tables=tables, path=self.path,
                          timezone=timezone, na_values=self.texts(raw.get("na_values"), "na_values"))

    def table(self, table: str, raw: Mapping[str, Any], siblings: Mapping[str, Any]) -> TableSpec:
        self.keys(raw, TABLE_KEYS, f"tables.{table}")
        schema = SCHEMAS[table]
        files = self.files(table, raw)
        self.derivation(table, raw, siblings)
        self.choice(raw.get("format"), FORMATS, f"tables.{table}.format")
        self.choice(raw.get("encoding", "auto"), DECLARABLE_ENCODINGS, f"tables.{table}.encoding")
        if raw.get("format") == "fixed_width" and not raw.get("widths"):
            self.fail("needs_widths", table=table)

        columns = {str(column): None if header is None else str(header).strip()
                   for column, header in self.mapping(raw.get("columns"), f"tables.{table}.columns").items()}
        values = {str(column): dict(self.mapping(codes, f"tables.{table}.values.{column}"))
                  for column, codes in self.mapping(raw.get("values"), f"tables.{table}.values").items()}
        formats = {str(column): (listed,) if isinstance(listed, str) else tuple(listed)
                   for column, listed in self.mapping(raw.get("date_formats"),
                                                      f"tables.{table}.date_formats").items()}
        for section, names in (("columns", columns), ("values", values), ("date_formats", formats)):
            self.canonical(schema, names, section, allow_star=section == "date_formats")
        scale, by_channel = self.csat(table, raw.get("csat_scale"))

        return TableSpec(
            table=table, files=files, derive_from=raw.get("derive_from"), format=raw.get("format"),
            delimiter=raw.get("delimiter"), encoding=raw.get("encoding", "auto"),
            names=self.texts(raw.get("names"), f"tables.{table}.names"),
            widths=self.widths(raw.get("widths"), f"tables.{table}.widths"),
            sheet=raw.get("sheet", 0), columns=columns, values=values,
            amount_from=self.amount_from(table, raw.get("amount_from")),
            id_from_line=bool(raw.get("id_from_line", False)),
            status_from_prefix=self.prefix_rule(table, raw.get("status_from_prefix")),
            csat_scale=scale, csat_scale_by_channel=by_channel, date_formats=formats,
            timezone=self.zone(raw.get("timezone"), f"tables.{table}.timezone"),
            na_values=self.texts(raw.get("na_values"), f"tables.{table}.na_values"),
            pseudonymise=self.id_columns(schema, raw.get("pseudonymise"), f"tables.{table}.pseudonymise"),
            pseudonym_salt=self.salt,
        )

    def files(self, table: str, raw: Mapping[str, Any]) -> tuple[Path, ...]:
        declared = raw.get("file")
        names = [declared] if isinstance(declared, str) else list(declared or [])
        paths = tuple((self.path.parent / str(name)).resolve() for name in names)
        for path in paths:
            if not path.is_file():
                self.fail("file_missing", table=table, path=path)
        return paths

    def derivation(self, table: str, raw: Mapping[str, Any], siblings: Mapping[str, Any]) -> None:
        has_file, derive_from = bool(raw.get("file")), raw.get("derive_from")
        if has_file == (derive_from is not None):
            self.fail("file_or_derive", table=table)
        elif derive_from is not None:
            parent = siblings.get(derive_from)
            if table != "customers" or derive_from == table or not isinstance(parent, Mapping) \
                    or not parent.get("file"):
                self.fail("bad_derive", table=table, value=derive_from)

    def choice(self, value: Any, allowed: tuple[str, ...], key: str) -> None:
        if value is not None and value not in allowed:
            self.fail("bad_choice", name=key, value=value, allowed=", ".join(allowed))

    def canonical(self, schema: TableSchema, names: Mapping[str, Any], section: str, allow_star: bool) -> None:
        for name in names:
            if name not in schema.names and not (allow_star and name == "*"):
                self.fail("unknown_column", table=schema.name, name=name, section=section,
                          allowed=", ".join(schema.names))

    def id_columns(self, schema: TableSchema, raw: Any, key: str) -> tuple[str, ...]:
        names = self.texts(raw, key) or ()
        self.canonical(schema, names, "pseudonymise", allow_star=False)
        ids = tuple(column.name for column in schema.columns if column.kind == "id")
        for name in names:
            if name in schema.names and name not in ids:
                self.fail("not_id_column", name=key, value=name, allowed=", ".join(ids))
        return tuple(name for name in names if name in ids)

    def pseudonym_salt(self, raw: Any) -> str | None:
        if raw is None:
            return None
        if not isinstance(raw, str) or not raw:
            self.fail("bad_salt", value=raw)
            return None
        return raw

    def pseudonym_links(self, tables: Mapping[str, TableSpec], has_salt: bool) -> None:
        """Check that a salt exists when needed and that customer_id is pseudonymised in all linked tables."""
        using = [table for table, spec in tables.items() if spec.pseudonymise]
        if using and not has_salt:
            self.fail("needs_salt", tables=", ".join(using))
        # An overrides file names customers as the register shows them, which is already the pseudonym.
        linked = [table for table in tables if table != "overrides"]
        hashed = [table for table in linked if "customer_id" in tables[table].pseudonymise]
        plain = [table for table in linked if table not in hashed]
        if hashed and plain:
            self.fail("partial_pseudonyms", pseudonymised=", ".join(hashed), plain=", ".join(plain))

    def csat(self, table: str, raw: Any) -> tuple[tuple[float, float], dict[str, tuple[float, float]]]:
        if raw is None:
            return DEFAULT_CSAT_SCALE, {}
        if table != "tickets":
            self.fail("not_for_table", name="csat_scale", allowed="tickets", table=table)
        if not isinstance(raw, Mapping):
            return self.scale(raw, f"tables.{table}.csat_scale"), {}
        default = self.scale(raw["default"], "csat_scale.default") if "default" in raw else DEFAULT_CSAT_SCALE
        by_channel = {str(channel): self.scale(scale, f"csat_scale.{channel}")
                      for channel, scale in raw.items() if channel != "default"}
        return default, by_channel

    def amount_from(self, table: str, raw: Any) -> dict[str, str] | None:
        if raw is None:
            return None
        if table != "orders":
            self.fail("not_for_table", name="amount_from", allowed="orders", table=table)
        raw = self.mapping(raw, "amount_from")
        self.keys(raw, ("quantity", "unit_price"), "amount_from")
        if set(raw) != {"quantity", "unit_price"}:
            self.fail("not_mapping", name="amount_from {quantity, unit_price}", value=dict(raw))
        return {key: str(value) for key, value in raw.items()}

    def prefix_rule(self, table: str, raw: Any) -> dict[str, str] | None:
        if raw is None:
            return None
        raw = self.mapping(raw, "status_from_prefix")
        self.keys(raw, ("column", "prefix", "status"), "status_from_prefix")
        allowed = SCHEMAS[table].column("status").allowed
        self.choice(raw.get("status"), allowed, "status_from_prefix.status")
        return {key: str(value) for key, value in raw.items()}
