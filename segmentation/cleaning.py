"""Cleaning rules applied to the parsed tables before anything is classified.

Each rule is a small named function that marks rows in a table's
:class:`~segmentation.quality.TableLedger` (set aside, repaired or counted)
and returns how many it touched. A row is set aside by the first rule that
matches it, so the order below decides which rule a row is counted under:

1. while parsing (:mod:`segmentation.loading`): ``empty_row``, then bad or
   missing required values (``bad_id``, ``missing_id``, ``bad_date``,
   ``impossible_date``, ``missing_date``, ``bad_amount``, ``missing_amount``,
   ``unknown_status``);
2. :func:`clean_rows`, per table: ``exact_duplicate`` (identical source
   text in every column, the first copy kept) and ``missing_customer_id``.
   Orders then go through ``cancelled``, ``unpaid``, ``non_product_code``,
   ``zero_amount`` and refunds, which ``refund_netted`` counts (with
   ``net_refunds`` off they are set aside as ``refund``);
3. :func:`clean_links`, across tables, runs ``duplicate_id`` on customers
   first. The excluded statuses follow (``test_account``,
   ``churned_customer``), applied to the customer and to every order,
   ticket, follow-up and override of that customer. Then come
   ``unknown_customer`` on orders, tickets and follow-ups (only when the
   source has a customer file), ``duplicate_id`` on tickets, ``future_date``
   and ``negative_duration``.

An override (a supervisor's decision from the appeal channel) naming a
customer who is not in the customer file is kept, not set aside, so that
:func:`segmentation.overrides_check.check_loaded_overrides` rejects it with its
line instead of the decision vanishing into the quarantine. An override with
an unreadable date is set aside while parsing and recorded as a row problem,
which that check also reports.

Orders are order lines, so ``order_id`` may repeat (one invoice, many lines);
only ``customer_id`` and ``ticket_id`` are unique keys. A policy switched off
in ``config.cleaning`` still counts its rows (action ``counted``).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .config import Config
from .parquet_fast import category_mask
from .quality import QualityReport, TableLedger

logger = logging.getLogger(__name__)

# Secondary timestamps (resolution, registration) later than the data's last order or
# ticket by more than this are treated as future. An export is cut at one moment,
# so later timestamps cannot be real; the month allows for gaps in new tickets.
FUTURE_MARGIN = pd.Timedelta(days=31)
PRIMARY_DATES = {"orders": "order_date", "tickets": "created_at"}
SECONDARY_DATES = {"tickets": ("first_response_at", "resolved_at"), "customers": ("registered_at",)}
EXCLUSION_RULES = {"test": "test_account", "churned": "churned_customer"}
# Tables whose rows go with their customer when the customer is excluded (test or churned).
LINKED_TABLES = ("orders", "tickets", "followups", "overrides")
# Tables whose rows are set aside when the customer file lacks their customer. Overrides are
# left out, so an override on an unknown customer fails loudly (see the module docstring).
UNKNOWN_CUSTOMER_TABLES = ("orders", "tickets", "followups")
# The 64-bit FNV prime. exact_duplicates folds each column's row keys into a running hash
# with it, as FNV-1a does with bytes, and the arithmetic wraps modulo 2**64.
_HASH_PRIME = np.uint64(0x100000001B3)


def clean_rows(ledgers: dict[str, TableLedger], config: Config, report: QualityReport) -> None:
    """Apply the rules that look at one table at a time (step 2 of the module docstring)."""
    rules = config.cleaning
    for table, ledger in ledgers.items():
        _policy(ledger, "exact_duplicate", exact_duplicates(ledger), rules.drop_exact_duplicates)
        if "customer_id" in ledger.frame:
            missing = ledger.frame["customer_id"].isna()
            _policy(ledger, "missing_customer_id", missing, rules.drop_missing_customer_id)
        if table == "orders":
            clean_orders(ledger, config)


def clean_orders(ledger: TableLedger, config: Config) -> None:
    """Set aside orders that are not spend, and net refunds against spend."""
    rules = config.cleaning
    status = ledger.frame["status"]
    _policy(ledger, "cancelled", status == "cancelled", rules.drop_cancelled_orders)
    _policy(ledger, "unpaid", status == "unpaid", rules.drop_cancelled_orders)
    _policy(ledger, "non_product_code", non_product_codes(ledger, config), True)
    _policy(ledger, "zero_amount", ledger.frame["amount"] == 0, rules.drop_zero_amount_orders)
    net_refunds(ledger, config)


def _policy(ledger: TableLedger, rule: str, mask: pd.Series, drop: bool) -> int:
    mask = mask.fillna(False).astype(bool)
    if drop:
        touched = ledger.set_aside(rule, mask)
    else:
        ledger.count(rule, mask)
        touched = int((mask & ledger.kept).sum())
    if touched:
        logger.info("%s: %s %d row(s)", ledger.table, rule, touched)
    return touched


def exact_duplicates(ledger: TableLedger) -> pd.Series:
    """Return the rows whose source values equal an earlier row in every column.

    ``DataFrame.duplicated`` on tens of millions of rows of text is slow, so
    rows are hashed column by column first, typed columns before text.
    A row stays a candidate only while its hash over the columns seen so far
    is shared with another row, and each column is hashed for the remaining
    candidates only. ``DataFrame.duplicated`` then compares the candidates
    left, so a hash collision never sets a row aside.
    """
    raw = ledger.raw
    typed = [name for name in raw.columns if not _is_text_dtype(raw[name])]
    text = [name for name in raw.columns if name not in typed]
    candidates = None  # row positions still in question; None for all rows
    combined = np.zeros(len(raw), dtype=np.uint64)
    for group in ([typed] if typed else []) + [[name] for name in text]:
        for name in group:
            values = raw[name] if candidates is None else raw[name].iloc[candidates]
            np.bitwise_xor(combined, _row_keys(values), out=combined)
            np.multiply(combined, _HASH_PRIME, out=combined)
        shared = pd.Series(combined).duplicated(keep=False).to_numpy()
        candidates = np.flatnonzero(shared) if candidates is None else candidates[shared]
        combined = combined[shared]
        if not len(candidates):
            break

    duplicated = np.zeros(len(raw), dtype=bool)
    if candidates is None:
        candidates = np.arange(len(raw))  # a frame without columns
    if len(candidates):
        duplicated[candidates] = raw.iloc[candidates].duplicated(keep="first").to_numpy()
    return pd.Series(duplicated, index=raw.index)


def _is_text_dtype(values: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(values.dtype) or values.dtype == object


def _row_keys(values: pd.Series) -> np.ndarray:
    """Return a 64-bit key per value, equal for values that ``DataFrame.duplicated`` calls equal.

    Codes, integers and the bits of timestamps and floats are keys as they
    are; the running hash in :func:`exact_duplicates` mixes them.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy().astype("int64").view("uint64")
    if _is_text_dtype(values):
        # Codes of one factorisation are equal exactly when the texts are, and cost less than hashing text.
        return pd.factorize(values, use_na_sentinel=True)[0].astype("int64").view("uint64")
    if pd.api.types.is_float_dtype(values.dtype):
        # duplicated() takes -0.0 for 0.0 and every NaN for every other, though their bits differ.
        numbers = values.to_numpy(dtype="float64", na_value=np.nan) + 0.0
        numbers[np.isnan(numbers)] = np.nan
        return numbers.view("uint64")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.array.asi8.view("uint64")  # NaT is one integer, as duplicated() treats it
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iub":
        return values.to_numpy().astype("int64").view("uint64")
    return pd.util.hash_pandas_object(values, index=False).to_numpy()


def non_product_codes(ledger: TableLedger, config: Config) -> pd.Series:
    """Return the order lines whose product is a non-product code (postage, fees, adjustments)."""
    codes = {code.strip().upper() for code in config.cleaning.non_product_codes}
    return category_mask(ledger.frame["product"], lambda product: product.str.strip().str.upper().isin(codes))


def net_refunds(ledger: TableLedger, config: Config) -> int:
    """Keep refunds as negative amounts so spend nets them, or set them aside if netting is off.

    A refund is a line with status ``refunded`` or a negative amount. A
    refunded line recorded with a positive amount is negated and counted as
    repaired.
    """
    frame = ledger.frame
    refunds = ((frame["status"] == "refunded") | (frame["amount"] < 0)).fillna(False).astype(bool)
    if not config.cleaning.net_refunds:
        return _policy(ledger, "refund", refunds, True)

    positive = refunds & (frame["amount"] > 0) & ledger.kept
    frame.loc[positive, "amount"] = -frame.loc[positive, "amount"]
    ledger.repair("refund_netted", positive)
    return _policy(ledger, "refund_netted", refunds, False)


def clean_links(ledgers: dict[str, TableLedger], config: Config, report: QualityReport,
                now: pd.Timestamp | None = None) -> None:
    """Apply the rules that relate tables to each other and to time (step 3 of the module docstring)."""
    customers = ledgers["customers"]
    duplicate_ids(customers, "customer_id", report)
    excluded_customers(ledgers, config)
    if not customers.derived:
        unknown_customers(ledgers)
    if "tickets" in ledgers:
        duplicate_ids(ledgers["tickets"], "ticket_id", report)

    now = pd.Timestamp.now(tz=config.timezone) if now is None else pd.Timestamp(now)
    if now.tzinfo is None:
        now = now.tz_localize(config.timezone)
    future_dates(ledgers, report, now)
    if "tickets" in ledgers:
        negative_durations(ledgers["tickets"], report)


def duplicate_ids(ledger: TableLedger, key: str, report: QualityReport) -> int:
    """Set aside every later row that repeats the ``key`` of an earlier kept row."""
    if _strictly_increasing(ledger.frame[key]):
        return _policy(ledger, "duplicate_id", pd.Series(False, index=ledger.frame.index), True)

    codes = _id_codes(ledger.frame[key])
    rows = np.flatnonzero(ledger.kept.to_numpy() & (codes >= 0))
    later = pd.Series(codes[rows]).duplicated(keep="first").to_numpy()
    repeated = np.zeros(len(codes), dtype=bool)
    repeated[rows[later]] = True
    repeated = pd.Series(repeated, index=ledger.frame.index)
    if repeated.any():
        first = rows[~later]
        first_line = pd.Series(ledger.lines[first], index=codes[first])
        detail = pd.Series(first_line.reindex(codes[repeated.to_numpy()]).to_numpy(),
                           index=ledger.frame.index[repeated.to_numpy()], dtype="Int64")
        report.add_problems(ledger.table, "duplicate_id", repeated, ledger.headers.get(key, key),
                            ledger.frame[key], detail)
    return _policy(ledger, "duplicate_id", repeated, True)


def _strictly_increasing(ids: pd.Series) -> bool:
    """Return True when no id is missing and each sorts after the one before, so that none repeats.

    Exports are often sorted by id, and this check is one vectorised comparison,
    where finding repeats in general means hashing every id.
    """
    if not pd.api.types.is_string_dtype(ids.dtype) or ids.isna().any():
        return False
    values = _arrow_text(ids)
    return len(values) < 2 or bool(pc.all(pc.less(values[:-1], values[1:])).as_py())


def _arrow_text(values: pd.Series) -> pa.ChunkedArray | pa.Array:
    return pa.array(pd.array(values, dtype="str"))


def _isin(ids: pd.Series, values: pd.Series) -> pd.Series:
    """Mark the ids found in ``values``, with Arrow's hash lookup: pandas' ``isin`` of strings loops in Python."""
    value_set = _arrow_text(values.dropna().drop_duplicates())
    if isinstance(value_set, pa.ChunkedArray):
        value_set = value_set.combine_chunks()

    def found(text: pd.Series) -> pd.Series:
        hits = pc.is_in(_arrow_text(text), value_set=value_set).fill_null(False)
        return pd.Series(hits.to_numpy(zero_copy_only=False), index=text.index)

    return category_mask(ids, found)


def _id_codes(ids: pd.Series) -> np.ndarray:
    """Return one integer per distinct id (-1 for a missing one), so ids are compared as numbers."""
    if isinstance(ids.dtype, pd.CategoricalDtype):
        return ids.cat.codes.to_numpy().astype("int64")
    return pd.factorize(ids, use_na_sentinel=True)[0]


def excluded_customers(ledgers: dict[str, TableLedger], config: Config) -> int:
    """Set aside customers whose status is excluded (test, churned) with all their linked rows."""
    customers = ledgers["customers"]
    touched = 0
    for status in config.cleaning.exclude_customer_status:
        rule = EXCLUSION_RULES.get(status, f"{status}_customer")
        excluded = (customers.frame["status"] == status).fillna(False).astype(bool) & customers.kept
        ids = customers.frame.loc[excluded, "customer_id"]
        touched += _policy(customers, rule, excluded, True)
        for table in LINKED_TABLES:
            if table in ledgers:
                _policy(ledgers[table], rule, _isin(ledgers[table].frame["customer_id"], ids), True)
    return touched


def unknown_customers(ledgers: dict[str, TableLedger]) -> int:
    """Set aside orders, tickets and follow-ups whose customer is not in the customer file.

    Overrides are not touched; see the module docstring.
    """
    customers = ledgers["customers"]
    known = customers.frame.loc[customers.kept, "customer_id"]
    touched = 0
    for table in UNKNOWN_CUSTOMER_TABLES:
        if table in ledgers:
            ids = ledgers[table].frame["customer_id"]
            touched += _policy(ledgers[table], "unknown_customer", ids.notna() & ~_isin(ids, known), True)
    return touched


def future_dates(ledgers: dict[str, TableLedger], report: QualityReport, now: pd.Timestamp) -> None:
    """Set aside orders and tickets dated after ``now``; clear later timestamps past the data's end.

    A secondary timestamp (first response, resolution, registration) is
    cleared when it is after ``now`` or more than :data:`FUTURE_MARGIN` after
    the latest order or ticket date.
    """
    latest = []
    for table, column in PRIMARY_DATES.items():
        if table in ledgers:
            ledger = ledgers[table]
            future = ledger.frame[column] > now
            _report_times(ledger, report, "future_date", future, column, str(now.floor("s")))
            _policy(ledger, "future_date", future, True)
            latest.append(ledger.frame.loc[ledger.kept, column].max())

    known = [value for value in latest if pd.notna(value)]
    limit = min(now, max(known) + FUTURE_MARGIN) if known else now
    for table, columns in SECONDARY_DATES.items():
        for column in columns:
            if table in ledgers:
                _clear_times(ledgers[table], report, "future_date", ledgers[table].frame[column] > limit,
                             column, str(limit.floor("s")))


def negative_durations(ledger: TableLedger, report: QualityReport) -> None:
    """Clear a first response or resolution recorded before creation, or a resolution before the first response.

    The timestamp that breaks the order is cleared, so response and resolution
    times are never negative; the row is kept and counted as repaired.
    """
    frame = ledger.frame
    for column, before in (("first_response_at", "created_at"), ("resolved_at", "created_at"),
                           ("resolved_at", "first_response_at")):
        earlier = (frame[column] < frame[before]) & ledger.kept
        # Formatted for the rows reported only: strftime runs in Python, row by row.
        detail = ledger.headers.get(before, before) + " " + frame.loc[earlier, before].dt.strftime("%Y-%m-%d %H:%M:%S")
        _clear_times(ledger, report, "negative_duration", earlier, column, detail)


def _clear_times(ledger: TableLedger, report: QualityReport, rule: str, mask: pd.Series, column: str,
                 detail: pd.Series | str) -> None:
    mask = mask.fillna(False).astype(bool) & ledger.kept
    if not mask.any():
        return
    _report_times(ledger, report, rule, mask, column, detail)
    ledger.frame.loc[mask, column] = pd.NaT
    ledger.repair(rule, mask)
    logger.info("%s: %s cleared %d %s value(s)", ledger.table, rule, int(mask.sum()), column)


def _report_times(ledger: TableLedger, report: QualityReport, rule: str, mask: pd.Series, column: str,
                  detail: pd.Series | str) -> None:
    header = ledger.headers.get(column, column)
    values = ledger.raw[header] if header in ledger.raw else ledger.frame[column].astype("str")
    report.add_problems(ledger.table, rule, mask.fillna(False).astype(bool) & ledger.kept, header, values, detail)
