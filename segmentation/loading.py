"""Loading a data source into the canonical tables, without losing a row.

``load_source`` runs in phases: resolve the source into table specs, read
every file (as text, or Parquet with its column types), map headers to canonical columns (see
:mod:`segmentation.headers`), parse each column by its kind (see
:mod:`segmentation.table_parsing`), clean (see :mod:`segmentation.cleaning`)
and assemble :class:`Tables`.

Conventions that hold for the whole file:

* every column of a text or Excel file is read as text (``dtype=str``,
  pandas' NA detection off), so ids keep their leading zeros and nothing is
  coerced before the parsers in :mod:`segmentation.parse_values` and
  :mod:`segmentation.parse_dates` run. A table whose files are all Parquet
  is read with its column types (:mod:`segmentation.parquet_fast`), and
  :mod:`segmentation.table_parsing` sends only the columns not already of
  their canonical type through those parsers;
* each source record gets its 1-based line number in its file (header on
  line 1), found with a vectorised scan of newlines outside quotes, so
  multi-line quoted descriptions are located correctly;
* fatal problems (unreadable or undecodable file, missing required column,
  invalid source file) are collected over all tables and raised together.
  Row problems set the row aside or repair it, and the
  :class:`~segmentation.quality.QualityReport` records them;
* ``orders`` holds order lines: ``order_id`` repeats when an invoice has
  several lines, so only ``customer_id`` and ``ticket_id`` are unique keys.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from .cleaning import clean_links, clean_rows
from .config import Config, load_config
from .encoding import read_records
from .errors import DataValidationError, EncodingDetectionError, Problem
from .headers import resolve_columns
from .i18n import Catalog
from .parquet_fast import concat_records, read_parquet_table, reads_typed, release_arrow_memory
from .quality import QualityReport, TableLedger
from .schema import SCHEMAS, Tables, empty_table
from .source_file import resolve_source
from .sources import SourceSpec, TableSpec
from .table_parsing import parse_table

logger = logging.getLogger(__name__)

MESSAGES = Catalog({
    "unreadable": {"zh": "无法读取文件 {file}（表 {table}）：{error}。请检查文件格式、分隔符和引号。",
                   "en": "cannot read file {file} (table {table}): {error}. Check the format, delimiter and quotes."},
    "strict": {"zh": "严格模式：数据有 {count} 个行级问题。", "en": "strict mode: the data has {count} row problem(s)."},
})


def load_source(source: str | Path, config: Config | None = None, *, lang: str = "zh",
                strict: bool = False, now: pd.Timestamp | None = None) -> Tables:
    """Load a folder, a source YAML file or ``"sample"`` into cleaned canonical tables.

    Parameters
    ----------
    source : str or Path
        A folder of files named after the tables (``orders.csv``, ...), a
        source YAML file (see ``docs/sources.md``) or ``"sample"``.
    config : Config, optional
        Cleaning rules and the time zone; default :func:`load_config`.
    lang : {"zh", "en"}
        Language of the problem messages.
    strict : bool
        Raise on row problems too, instead of setting rows aside or repairing them.
    now : Timestamp, optional
        The time after which a date is in the future; default the current time.

    Returns
    -------
    Tables
        With ``quality`` (a :class:`QualityReport`) and ``files`` set.

    Raises
    ------
    DataValidationError
        Listing every fatal problem, or with ``strict`` every row problem.
    """
    config = config or load_config()
    spec = resolve_source(source, lang)
    report = QualityReport(lang)

    ledgers, problems = _read_tables(spec, config, report, lang)
    if problems:
        raise DataValidationError(problems)

    clean_rows(ledgers, config, report)
    ledgers["customers"] = _customer_ledger(spec, ledgers, config, report)
    clean_links(ledgers, config, report, now=now)
    if ledgers["customers"].derived:
        date_derived_customers(ledgers)

    if strict and report.problems:
        found = [replace(problem, fatal=True) for problem in report.problems]
        raise DataValidationError([Problem("source", "strict", MESSAGES("strict", lang, count=len(found)),
                                           fatal=True), *found])
    return _assemble(spec, ledgers, config, report)


def _read_tables(spec: SourceSpec, config: Config, report: QualityReport,
                 lang: str) -> tuple[dict[str, TableLedger], list[Problem]]:
    ledgers, problems = {}, []
    for table, table_spec in spec.tables.items():
        if table_spec.derive_from is not None:
            continue
        ledger, found = _read_table(table_spec, lang)
        problems += found
        if ledger is None:
            continue
        report.add_ledger(ledger)
        mapping, found = resolve_columns(list(ledger.raw.columns), table_spec, _file_names(ledger), lang)
        problems += found
        if not found:
            parse_table(ledger, table_spec, mapping, _zones(spec, table_spec, config), _na(spec, table_spec), report)
            ledgers[table] = ledger

    derived = spec.tables.get("customers")
    if derived is not None and derived.derive_from in ledgers:
        parent = ledgers[derived.derive_from]
        problems += resolve_columns(list(parent.raw.columns), _with_parent_key(derived, spec, parent),
                                    _file_names(parent), lang)[1]
    return ledgers, problems


def _file_names(ledger: TableLedger) -> str:
    return ", ".join(sorted(ledger.files.unique()))


def _zones(spec: SourceSpec, table_spec: TableSpec, config: Config) -> tuple[str, str]:
    return config.timezone, table_spec.timezone or spec.timezone or config.timezone


def _na(spec: SourceSpec, table_spec: TableSpec) -> tuple[str, ...] | None:
    return table_spec.na_values if table_spec.na_values is not None else spec.na_values


def _read_table(spec: TableSpec, lang: str) -> tuple[TableLedger | None, list[Problem]]:
    typed = reads_typed(spec)
    frames, files, lines, problems = [], [], [], []
    for path in spec.files:
        try:
            frame, file_lines = read_parquet_table(path, spec) if typed else read_records(path, spec, lang)
        except EncodingDetectionError as error:
            problems.append(Problem(spec.table, "encoding", str(error), file=str(path), fatal=True))
            continue
        except (OSError, ValueError, pd.errors.ParserError) as error:
            message = MESSAGES("unreadable", lang, file=path, table=spec.table, error=error)
            problems.append(Problem(spec.table, "unreadable", message, file=str(path), fatal=True))
            continue
        frames.append(frame)
        files.append(str(path))
        lines.append(file_lines)
    if problems or not frames:
        return None, problems
    raw = concat_records(frames) if typed else pd.concat(frames, ignore_index=True)
    return TableLedger(spec.table, raw, _file_column(files, [len(frame) for frame in frames]),
                       np.concatenate(lines)), []


def _file_column(files: list[str], rows: list[int]) -> pd.Categorical:
    """Return the file of each row as a categorical, one category per distinct file."""
    categories = list(dict.fromkeys(files))
    codes = np.repeat([categories.index(file) for file in files], rows)
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype="str"))


def _customer_ledger(spec: SourceSpec, ledgers: dict[str, TableLedger], config: Config,
                     report: QualityReport) -> TableLedger:
    if "customers" in ledgers:
        return ledgers["customers"]
    ledger = derive_customers(spec, ledgers, config, report)
    report.add_ledger(ledger)
    return ledger


def _assemble(spec: SourceSpec, ledgers: dict[str, TableLedger], config: Config, report: QualityReport) -> Tables:
    release_arrow_memory()
    frames = {}
    for table in SCHEMAS:
        ledger = ledgers.get(table)
        if ledger is None:
            frames[table] = None
            continue
        rows_read = len(ledger.raw)
        frames[table] = _take_kept_rows(ledger)
        if rows_read and frames[table].empty:
            logger.warning("%s: all %d rows read were set aside, so the table is empty; see the quality report",
                           table, rows_read)
    files = {table: sorted(ledger.files.unique()) for table, ledger in ledgers.items() if len(ledger.files)}
    return Tables(
        customers=frames["customers"], orders=frames["orders"], tickets=frames["tickets"],
        followups=frames["followups"], overrides=frames["overrides"], source=spec.name,
        timezone=config.timezone, customers_derived=ledgers["customers"].derived, quality=report, files=files,
    )


def _take_kept_rows(ledger: TableLedger) -> pd.DataFrame:
    """Return the kept rows of the parsed table, freeing the ledger's copy of them column by column.

    Copying the whole kept frame while the ledger still has every row would
    keep a table of tens of millions of rows in memory twice. Column by
    column, only one column is in memory twice at a time. Overrides keep
    every parsed row in the ledger, because check_loaded_overrides reads the
    rows set aside by position.
    """
    kept = ledger.kept.to_numpy()
    if ledger.table == "overrides":
        return ledger.frame[kept].reset_index(drop=True)

    frame = ledger.frame
    ledger.drop_kept_rows()
    columns = {}
    for name in list(frame.columns):
        columns[name] = frame[name][kept].reset_index(drop=True)
        del frame[name]
    release_arrow_memory()
    return pd.DataFrame(columns)


def _with_parent_key(spec: TableSpec, source: SourceSpec, parent: TableLedger) -> TableSpec:
    """Give a derived customers spec the parent's customer-id header when it maps none itself."""
    if "customer_id" in spec.columns:
        return spec
    parent_spec = source.tables[spec.derive_from]
    mapping, _ = resolve_columns(list(parent.raw.columns), parent_spec, "", "en")
    columns = {**spec.columns, "customer_id": mapping.get("customer_id", "customer_id")}
    return replace(spec, columns=columns, files=parent_spec.files)


def derive_customers(source: SourceSpec, ledgers: dict[str, TableLedger], config: Config,
                     report: QualityReport) -> TableLedger:
    """Build the customers ledger when the source has no customer file.

    With a ``derive_from`` spec, customers come from columns of another table
    (name and e-mail on tickets, say), one row per customer id from the first
    row that names it. Without one, they are the distinct customer ids of the
    orders and tickets, in order of first appearance. Ids of rows set aside
    (a cancelled order, say) count too: the customer exists even when none of
    their rows is spend. Rows read then equal the customers derived.
    The loader then fills ``registered_at`` with :func:`date_derived_customers`.
    """
    spec = source.tables.get("customers")
    if spec is None:
        return _customers_from_ids(ledgers, config.timezone)

    parent = ledgers[spec.derive_from]
    spec = _with_parent_key(spec, source, parent)
    ids = parent.frame["customer_id"].dropna()
    first = ids.drop_duplicates(keep="first").index
    ledger = TableLedger("customers", parent.raw.loc[first], parent.files[first], parent.lines[first], derived=True)
    report.add_ledger(ledger)
    mapping, _ = resolve_columns(list(parent.raw.columns), spec, _file_names(parent), report.lang)
    parse_table(ledger, spec, mapping, _zones(source, spec, config), _na(source, spec), report)
    _log_conflicts(parent, ids, mapping)
    return ledger


def date_derived_customers(ledgers: dict[str, TableLedger]) -> None:
    """Fill a missing ``registered_at`` of derived customers with the earliest date of their kept rows.

    The dates are ``order_date`` and ``created_at`` of the orders and tickets
    still kept after cleaning, so a customer does not exist before their
    first usable record. A customer all of whose rows were set aside keeps no
    ``registered_at``, and :func:`~segmentation.classification.classify`
    leaves them out. A ``registered_at`` mapped from a column of the parent
    table is kept as read.
    """
    customers = ledgers["customers"]
    first_dates = [_first_kept_dates(ledgers[table], column)
                   for table, column in (("orders", "order_date"), ("tickets", "created_at")) if table in ledgers]
    if not first_dates:
        return
    earliest = pd.concat(first_dates).groupby(level=0).min()
    if earliest.empty:
        return
    frame = customers.frame
    found = pd.Series(frame["customer_id"].map(earliest).to_numpy(), index=frame.index)
    registered = frame["registered_at"]
    # A registered_at column that was never read is all-NaN float; take the dates' dtype then.
    target = registered.dtype if registered.notna().any() else earliest.dtype
    frame["registered_at"] = registered.astype(target).fillna(found.astype(target))


def _first_kept_dates(ledger: TableLedger, column: str) -> pd.Series:
    """Return the earliest ``column`` of each customer id over the kept rows of ``ledger``."""
    kept = ledger.frame.loc[ledger.kept.to_numpy(), ["customer_id", column]].dropna()
    return kept.groupby(kept["customer_id"].astype("str"))[column].min()


def _customers_from_ids(ledgers: dict[str, TableLedger], tz: str) -> TableLedger:
    parts = [_first_rows_of_ids(ledger) for name, ledger in ledgers.items() if name in ("orders", "tickets")]
    if not parts:
        parts = [pd.DataFrame({"customer_id": pd.Series(dtype="str"), "file": pd.Series(dtype="str"),
                               "line": pd.Series(dtype="int64")})]
    seen = pd.concat(parts, ignore_index=True).drop_duplicates("customer_id", keep="first").reset_index(drop=True)
    seen["customer_id"] = seen["customer_id"].astype("str")
    ledger = TableLedger("customers", seen[["customer_id"]], seen["file"].astype("str"), seen["line"].to_numpy(),
                         derived=True)
    frame = empty_table("customers", tz).reindex(seen.index)
    frame["customer_id"] = seen["customer_id"]
    ledger.frame = frame
    return ledger


def _first_rows_of_ids(ledger: TableLedger) -> pd.DataFrame:
    """Return the first row naming each customer id of a table: its id, file and line."""
    ids = ledger.frame["customer_id"]
    first = ids.notna().to_numpy() & ~ids.duplicated(keep="first").to_numpy()
    return pd.DataFrame({"customer_id": ids[first].astype("str"), "file": ledger.files[first].astype("str"),
                         "line": ledger.lines[first]})


def _log_conflicts(parent: TableLedger, ids: pd.Series, mapping: dict[str, str]) -> None:
    for column, header in mapping.items():
        if column == "customer_id":
            continue
        distinct = parent.raw.loc[ids.index, header].groupby(ids, observed=True).nunique()
        conflicting = int((distinct > 1).sum())
        if conflicting:
            logger.info("%d derived customers have several %s values; the first row's value is kept",
                        conflicting, column)
