"""Parsing the raw text of one table into its canonical columns, by column kind.

:func:`parse_table` fills ``ledger.frame`` of a
:class:`~segmentation.quality.TableLedger` with the value parsers of
:mod:`segmentation.parse_values` and :mod:`segmentation.parse_dates`.
Conventions that hold for the whole file:

* the input is text, or the typed columns of a Parquet file (see
  :mod:`segmentation.parquet_fast`). A typed column already of its canonical
  type (a timestamp for a datetime, a number for an amount or a CSAT score)
  is taken as it is. Any other column is written as text first, so it is
  parsed and validated as in a CSV file. String columns always go through
  the text parsers, once per distinct value when they are categoricals;
* the output keeps its index: one row per raw row, including the rows set
  aside;
* orders and tickets read from Parquet keep ``customer_id`` and their
  category and text columns
  (:data:`~segmentation.parquet_fast.CATEGORICAL_COLUMNS`) as categoricals
  of str, which take a fraction of the memory of tens of millions of
  strings. Every other column has the dtype it has when read from CSV;
* rows whose every field is missing (after the NA tokens) are set aside as
  ``empty_row`` before any column is parsed;
* a bad value in a required column sets the row aside; in an optional column
  it is cleared and the row counts as repaired. The quality report records
  each problem with the raw value, but only for rows still kept, so a row set
  aside is not reported again by a later check;
* id columns listed under ``pseudonymise`` hold pseudonyms from here on (see
  :mod:`segmentation.pseudonymise`). Problems and the quarantine still show
  the raw text of the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .encoding import column_as_text
from .parquet_fast import CATEGORICAL_COLUMNS, category_mask, is_text, map_parsed, map_text, reads_typed
from .parse_dates import EXCEL, _localise, _within_range, date_problem_kinds, parse_datetimes
from .parse_values import (
    DEFAULT_NA_TOKENS,
    STATUS_SYNONYMS,
    clean_text,
    map_values,
    parse_amounts,
    parse_csat,
    parse_ids,
    rescale_csat,
)
from .pseudonymise import pseudonymise
from .quality import QualityReport, TableLedger
from .schema import SCHEMAS, Column
from .sources import TableSpec


def parse_table(ledger: TableLedger, spec: TableSpec, mapping: dict[str, str], zones: tuple[str, str],
                na_tokens: tuple[str, ...] | None, report: QualityReport) -> None:
    """Parse the raw text of ``ledger`` into its canonical frame, recording every row problem.

    Sets ``ledger.frame``: one row per raw row (same index), the canonical
    columns of the table in schema order, plus ``csat_min``, ``csat_max`` and
    ``csat_100`` for tickets and ``source_row`` (the file line) for overrides.
    A bad value in a required column sets the row aside; in an optional
    column it is cleared and the row counts as repaired. The id columns under
    ``spec.pseudonymise`` are replaced by their pseudonyms.
    """
    ledger.headers = dict(mapping)
    parser = _ColumnParser(ledger, spec, mapping, zones, DEFAULT_NA_TOKENS if na_tokens is None else na_tokens,
                           report)
    ledger.set_aside("empty_row", _empty_rows(ledger.raw, parser.na))

    frame = pd.DataFrame({column.name: parser.parse(column) for column in SCHEMAS[spec.table].columns})
    parser.apply_line_ids(frame)
    for column in spec.pseudonymise:
        frame[column] = pseudonymise(frame[column], spec.pseudonym_salt)
    parser.apply_amount_from(frame)
    parser.apply_status_prefix(frame)
    parser.flag_unknown_status(frame)
    if spec.table == "tickets":
        parser.add_csat(frame)
    if spec.table == "overrides":
        frame["source_row"] = ledger.lines
    ledger.frame = _with_dtypes(frame, spec)


def _with_dtypes(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Make the :data:`CATEGORICAL_COLUMNS` of a Parquet table categorical, and any other categorical str."""
    categorical = CATEGORICAL_COLUMNS.get(spec.table, ()) if reads_typed(spec) else ()
    for name in frame.columns:
        is_categorical = isinstance(frame[name].dtype, pd.CategoricalDtype)
        if name in categorical and not is_categorical:
            frame[name] = frame[name].astype("category")
        elif name not in categorical and is_categorical:
            frame[name] = frame[name].astype("str")
    return frame


def _empty_rows(raw: pd.DataFrame, na: tuple[str, ...]) -> pd.Series:
    """Mark rows whose every field is missing; only rows with a missing first field are checked in full."""
    empty = _missing(raw.iloc[:, 0], na) if raw.shape[1] else pd.Series(True, index=raw.index)
    if empty.any():
        candidates = raw[empty]
        empty[empty] = candidates.apply(lambda column: _missing(column, na)).all(axis=1)
    return empty


def _missing(values: pd.Series, na: tuple[str, ...]) -> pd.Series:
    """Mark missing values: empty text or an NA token in a text column, a missing value in a typed one."""
    if is_text(values):
        return category_mask(values, lambda text: clean_text(text, na).isna())
    return values.isna()


class _ColumnParser:
    """Parses the columns of one table and files the problems it finds with the ledger and report."""

    def __init__(self, ledger: TableLedger, spec: TableSpec, mapping: dict[str, str], zones: tuple[str, str],
                 na: tuple[str, ...], report: QualityReport) -> None:
        self.ledger, self.spec, self.mapping, self.report, self.na = ledger, spec, mapping, report, na
        self.tz, self.source_tz = zones
        self.index = ledger.raw.index
        self.unknown_status = pd.Series(False, index=self.index)

    def text(self, header: str | None, column: str | None = None) -> pd.Series:
        if header is None:
            return pd.Series(np.nan, index=self.index, dtype="str")
        mapping = self.spec.values.get(column or "")
        if not mapping or SCHEMAS[self.spec.table].column(column).kind == "category":
            mapping = None
        raw = self.raw_text(header)
        return _unchanged_or(raw, map_text(raw, lambda values: self._clean(values, mapping)))

    def raw_text(self, header: str) -> pd.Series:
        """Return a raw column as text, writing a typed column the way a CSV file would hold it."""
        values = self.ledger.raw[header]
        return values if is_text(values) else column_as_text(values)

    def _clean(self, values: pd.Series, mapping: dict | None) -> pd.Series:
        text = clean_text(values, self.na)
        if mapping:
            exact = text.map({str(key).strip(): str(value) for key, value in mapping.items()})
            text = exact.where(exact.notna(), text).astype("str")
        return text

    def flag(self, kind: str, rows: pd.Series, header: str | None, required: bool, detail="") -> None:
        rows = rows & self.ledger.kept
        if not rows.any():
            return
        if required:
            self.ledger.set_aside(kind, rows)
        else:
            self.ledger.repair(kind, rows)
        values = self.ledger.raw[header] if header else pd.Series(np.nan, index=self.index, dtype="str")
        self.report.add_problems(self.spec.table, kind, rows, header or "", values, detail)

    def parse(self, column: Column) -> pd.Series:
        header = self.mapping.get(column.name)
        if header is not None and _has_canonical_type(self.ledger.raw[header], column):
            take = getattr(self, f"_take_{column.kind}")
            return take(column, header, self.ledger.raw[header])
        text = self.text(header, column.name)
        parse = getattr(self, f"_parse_{column.kind}")
        return parse(column, header, text)

    def _parse_id(self, column: Column, header: str | None, text: pd.Series) -> pd.Series:
        ids, bad = map_parsed(text, lambda values: parse_ids(values, ()))
        if not bad.any():
            ids = _unchanged_or(text, ids)
        self.flag("bad_id", bad, header, column.required)
        # A missing customer id is a cleaning policy (missing_customer_id), not a parse problem.
        if column.name == SCHEMAS[self.spec.table].key != "customer_id" and header is not None:
            self.flag("missing_id", ids.isna() & ~bad, header, True)
        return ids

    def _parse_datetime(self, column: Column, header: str | None, text: pd.Series) -> pd.Series:
        formats = list(self.spec.formats_for(column.name))
        if any(self.spec.file_format(path) == "excel" for path in self.spec.files):
            formats.append(EXCEL)
        parsed, bad = parse_datetimes(text, self.tz, self.source_tz, formats)
        kinds = date_problem_kinds(text[bad]).reindex(self.index)
        for kind in ("impossible_date", "bad_date"):
            self.flag(kind, kinds == kind, header, column.required)
        if column.required:
            self.flag("missing_date", parsed.isna() & ~bad, header, True)
        return parsed

    def _parse_amount(self, column: Column, header: str | None, text: pd.Series) -> pd.Series:
        if column.name == "amount" and self.spec.amount_from:
            return pd.Series(np.nan, index=self.index, dtype="float64")
        amounts, bad = parse_amounts(text, ())
        self.flag("bad_amount", bad, header, column.required)
        if column.required:
            self.flag("missing_amount", amounts.isna() & ~bad, header, True)
        return amounts

    _parse_number = _parse_amount

    def _take_datetime(self, column: Column, header: str, values: pd.Series) -> pd.Series:
        """Take a timestamp column: naive values are local time of the source zone, aware ones are converted."""
        inside = _in_parser_range(values)
        bad = values.notna() & inside.isna()
        if inside.dt.tz is None:
            parsed = _localise(inside, self.source_tz, self.tz)
        else:
            parsed = inside.dt.tz_convert(self.tz)
        # Only a value outside 1678-2261 is bad here, and the text parser calls that unreadable too.
        self.flag("bad_date", bad, header, column.required)
        if column.required:
            self.flag("missing_date", parsed.isna() & ~bad, header, True)
        return parsed

    def _take_amount(self, column: Column, header: str, values: pd.Series) -> pd.Series:
        if column.name == "amount" and self.spec.amount_from:
            return pd.Series(np.nan, index=self.index, dtype="float64")
        amounts, bad = _typed_amounts(values)
        self.flag("bad_amount", bad, header, column.required)
        if column.required:
            self.flag("missing_amount", amounts.isna() & ~bad, header, True)
        return amounts

    _take_number = _take_amount

    def _take_csat(self, column: Column, header: str, values: pd.Series) -> pd.Series:
        return values.astype("float64")  # checked against its scale in add_csat

    def _parse_text(self, column: Column, header: str | None, text: pd.Series) -> pd.Series:
        return text

    def _parse_category(self, column: Column, header: str | None, text: pd.Series) -> pd.Series:
        mapping, synonyms = self.spec.values.get(column.name), STATUS_SYNONYMS.get(self.spec.table)
        values, bad = map_parsed(text, lambda values: map_values(values, column.allowed, mapping, synonyms))
        self.unknown_status = bad
        if isinstance(values.dtype, pd.CategoricalDtype):
            # Every allowed value is a category, so a later rule may set any of them (status_from_prefix).
            values = values.cat.set_categories(list(column.allowed))
        return values

    def _parse_csat(self, column: Column, header: str | None, text: pd.Series) -> pd.Series:
        return text  # parsed in add_csat, once the channel (which may choose the scale) is known

    def flag_unknown_status(self, frame: pd.DataFrame) -> None:
        # An order of unknown status cannot be counted as paid, so it is set aside; elsewhere it is cleared.
        if "status" not in frame:
            return
        allowed = ", ".join(SCHEMAS[self.spec.table].column("status").allowed)
        self.flag("unknown_status", self.unknown_status, self.mapping.get("status"),
                  self.spec.table == "orders", allowed)

    def apply_line_ids(self, frame: pd.DataFrame) -> None:
        key = SCHEMAS[self.spec.table].key
        if self.spec.id_from_line and key:
            files = self.ledger.files.astype("str")
            stems = files.map({file: Path(file).name.split(".")[0] for file in files.unique()})
            frame[key] = (stems + ":" + pd.Series(self.ledger.lines, dtype="int64").astype("str")).astype("str")

    def apply_amount_from(self, frame: pd.DataFrame) -> None:
        if not self.spec.amount_from:
            return
        factors = []
        for key in ("quantity", "unit_price"):
            header = self.spec.amount_from[key]
            raw = self.ledger.raw[header]
            if _is_number(raw):
                values, bad = _typed_amounts(raw)
            else:
                values, bad = parse_amounts(clean_text(self.raw_text(header), self.na), ())
            self.flag("bad_amount", bad, header, True)
            self.flag("missing_amount", values.isna() & ~bad, header, True)
            factors.append(values)
        frame["amount"] = factors[0] * factors[1]

    def apply_status_prefix(self, frame: pd.DataFrame) -> None:
        rule = self.spec.status_from_prefix
        if not rule:
            return
        marked = category_mask(self.raw_text(rule["column"]),
                               lambda text: clean_text(text, self.na).str.startswith(rule["prefix"]))
        frame.loc[marked, "status"] = rule["status"]
        self.unknown_status &= ~marked

    def add_csat(self, frame: pd.DataFrame) -> None:
        low, high = self._csat_scale(frame["channel"])
        header = self.mapping.get("csat")
        if _is_number(frame["csat"]):
            scores = frame["csat"]
            bad = scores.notna() & ((scores < low) | (scores > high))
            scores = scores.mask(bad) if bad.any() else scores
        else:
            scores, bad = parse_csat(frame["csat"], (low, high), ())
        # Formatted for the rows reported only: a Python call per row is slow on millions of tickets.
        detail = low[bad].map("{:g}".format).astype("str") + "-" + high[bad].map("{:g}".format).astype("str")
        self.flag("csat_out_of_scale", bad, header, False, detail)
        frame["csat"] = scores
        frame["csat_min"], frame["csat_max"] = low, high
        frame["csat_100"] = rescale_csat(scores, low, high)

    def _csat_scale(self, channel: pd.Series) -> tuple[pd.Series, pd.Series]:
        default_low, default_high = self.spec.csat_scale
        by_channel = self.spec.csat_scale_by_channel
        low = channel.map({name: scale[0] for name, scale in by_channel.items()}).astype("float64")
        high = channel.map({name: scale[1] for name, scale in by_channel.items()}).astype("float64")
        return low.fillna(default_low), high.fillna(default_high)


def _has_canonical_type(values: pd.Series, column: Column) -> bool:
    """Return True when a typed column can be taken without parsing: timestamps for datetimes, numbers for numbers."""
    if column.kind == "datetime":
        return pd.api.types.is_datetime64_any_dtype(values.dtype)
    if column.kind in ("amount", "number", "csat"):
        return _is_number(values)
    return False


def _is_number(values: pd.Series) -> bool:
    dtype = values.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _typed_amounts(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return numbers as float64 and the infinite ones as bad, as :func:`parse_amounts` does for text."""
    amounts = values.astype("float64")
    bad = pd.Series(np.isinf(amounts.to_numpy()), index=values.index)
    return (amounts.mask(bad) if bad.any() else amounts), bad


def _in_parser_range(values: pd.Series) -> pd.Series:
    """Return timestamps in nanoseconds, NaT where the text parser would reject them (outside 1678-2261)."""
    naive = values.dt.tz_convert(None) if values.dt.tz is not None else values
    bounds = _within_range(pd.Series([naive.min(), naive.max()], dtype=naive.dtype))
    if values.dt.unit == "ns" and bounds.notna().all():
        return values  # nothing to clear, so the column is shared with the raw frame rather than copied
    return _within_range(values)


def _unchanged_or(raw: pd.Series, parsed: pd.Series) -> pd.Series:
    """Return ``raw`` itself when parsing left every value as it was, so the two share memory."""
    if isinstance(raw.dtype, pd.CategoricalDtype) or not pd.api.types.is_string_dtype(raw.dtype):
        return parsed
    if isinstance(parsed.dtype, pd.CategoricalDtype) or parsed.dtype != raw.dtype:
        return parsed
    return raw if parsed.equals(raw) else parsed
