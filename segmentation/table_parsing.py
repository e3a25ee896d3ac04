"""Parsing the raw text of one table into its canonical columns, by column kind.

:func:`parse_table` fills ``ledger.frame`` of a
:class:`~segmentation.quality.TableLedger` with the value parsers of
:mod:`segmentation.parse_values` and :mod:`segmentation.parse_dates`.
Conventions that hold for the whole file:

* the input is all text, and the output keeps its index: one row per raw row,
  including the rows set aside;
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

from .parse_dates import EXCEL, date_problem_kinds, parse_datetimes
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
    ledger.frame = frame


def _empty_rows(raw: pd.DataFrame, na: tuple[str, ...]) -> pd.Series:
    """Mark rows whose every field is missing; only rows with a missing first field are checked in full."""
    empty = clean_text(raw.iloc[:, 0], na).isna() if raw.shape[1] else pd.Series(True, index=raw.index)
    if empty.any():
        candidates = raw[empty]
        empty[empty] = candidates.apply(lambda column: clean_text(column, na).isna()).all(axis=1)
    return empty


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
        text = clean_text(self.ledger.raw[header], self.na)
        mapping = self.spec.values.get(column or "")
        if mapping and SCHEMAS[self.spec.table].column(column).kind != "category":
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
        text = self.text(header, column.name)
        parse = getattr(self, f"_parse_{column.kind}")
        return parse(column, header, text)

    def _parse_id(self, column: Column, header: str | None, text: pd.Series) -> pd.Series:
        ids, bad = parse_ids(text, ())
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

    def _parse_text(self, column: Column, header: str | None, text: pd.Series) -> pd.Series:
        return text

    def _parse_category(self, column: Column, header: str | None, text: pd.Series) -> pd.Series:
        values, bad = map_values(text, column.allowed, self.spec.values.get(column.name),
                                 STATUS_SYNONYMS.get(self.spec.table))
        self.unknown_status = bad
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
            stems = self.ledger.files.map({file: Path(file).name.split(".")[0] for file in self.ledger.files.unique()})
            frame[key] = (stems + ":" + pd.Series(self.ledger.lines, dtype="int64").astype("str")).astype("str")

    def apply_amount_from(self, frame: pd.DataFrame) -> None:
        if not self.spec.amount_from:
            return
        factors = []
        for key in ("quantity", "unit_price"):
            header = self.spec.amount_from[key]
            values, bad = parse_amounts(clean_text(self.ledger.raw[header], self.na), ())
            self.flag("bad_amount", bad, header, True)
            self.flag("missing_amount", values.isna() & ~bad, header, True)
            factors.append(values)
        frame["amount"] = factors[0] * factors[1]

    def apply_status_prefix(self, frame: pd.DataFrame) -> None:
        rule = self.spec.status_from_prefix
        if not rule:
            return
        marked = clean_text(self.ledger.raw[rule["column"]], self.na).str.startswith(rule["prefix"])
        marked = marked.fillna(False).astype(bool)
        frame.loc[marked, "status"] = rule["status"]
        self.unknown_status &= ~marked

    def add_csat(self, frame: pd.DataFrame) -> None:
        low, high = self._csat_scale(frame["channel"])
        header = self.mapping.get("csat")
        scores, bad = parse_csat(frame["csat"], (low, high), ())
        detail = low.map("{:g}".format) + "-" + high.map("{:g}".format)
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
