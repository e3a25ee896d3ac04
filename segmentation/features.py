"""Per-customer features over a time window ending at ``as_of``: the input of every tier.

Conventions that hold for the whole file:

* The window is ``(as_of - window, as_of]`` (see :mod:`segmentation.windows`).
  An ``as_of`` given as a date (``"2024-06-30"``) means the end of that local
  day in the configured zone.
* Rows are the customers of ``tables.customers``, sorted by id, including
  customers without orders or tickets. Orders and tickets of ids that are
  not in the customer table are left out and counted in the log.
* Every aggregate uses integer customer codes with ``numpy.bincount`` or a
  grouped reduction, never a Python loop over customers, so the cost stays
  linear in the number of orders and tickets.
* Order rows are order lines: several lines may share one ``order_id`` (an
  invoice). Order counts and order totals are per distinct ``order_id`` of a
  customer, and spend is the sum of lines.
* Money is in the data's currency and its sums are rounded to 1e-6. Durations are
  float days, rates are per month and shares are fractions in [0, 1].
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .config import Config, load_config
from .features_contacts import NEED_COUNT_COLUMNS, NEED_SHARE_COLUMNS, contact_features, no_contact_features
from .i18n import Catalog
from .schema import Tables
from .windows import (
    NO_TIME,
    customer_codes,
    days_before,
    grouped_reduce,
    resolve_as_of,
    to_epoch_ns,
    window_months,
    window_start,
)

logger = logging.getLogger(__name__)

FEATURE_COLUMNS = (
    "spend", "profit", "order_count", "avg_order_value", "max_order_amount", "repeat_purchase",
    "renewal_rate", "orders_per_month", "contacts", "contacts_per_month", "days_since_last_contact",
    "days_since_last_order", *NEED_COUNT_COLUMNS, *NEED_SHARE_COLUMNS, "repeat_inquiries",
    "csat_mean_100", "first_response_median_min", "resolution_median_min", "tenure_days",
    "last_contact_at", "last_order_at",
)

# Cancelled and unpaid orders never count. Refunded orders still count towards
# spend because a refund line carries a negative amount, but not as paid orders.
_NOT_SPEND_STATUSES = ("cancelled", "unpaid")
_NOT_PAID_STATUSES = ("cancelled", "unpaid", "refunded")

MESSAGES = Catalog({
    "missing_column": {
        "zh": "{table} 表缺少列 {column}；现有列：{available}。请用 load_source 加载数据，它会生成标准列。",
        "en": "table {table} has no column {column}; columns present: {available}. "
              "Load the data with load_source, which produces the canonical columns.",
    },
    "naive_time": {
        "zh": "{table}.{column} 的时间没有时区；请把时间本地化到 {zone}（load_source 会自动处理）。",
        "en": "{table}.{column} contains timezone-naive timestamps; localise them to {zone} "
              "(load_source does this).",
    },
    "duplicate_customers": {
        "zh": "customers 表有 {count} 个重复的 customer_id（例如 {examples}）；每个客户只能有一行，请先去重。",
        "en": "table customers has {count} duplicate customer_id value(s) (e.g. {examples}); "
              "keep one row per customer.",
    },
})


def _check_table(table: pd.DataFrame, name: str, columns: tuple[str, ...], times: tuple[str, ...],
                 zone: str, lang: str) -> None:
    for column in columns:
        if column not in table.columns:
            raise ValueError(MESSAGES("missing_column", lang, table=name, column=column,
                                      available=", ".join(map(str, table.columns))))
    for column in times:
        if column in table.columns and getattr(table[column].dtype, "tz", None) is None:
            raise ValueError(MESSAGES("naive_time", lang, table=name, column=column, zone=zone))


def _customer_index(customers: pd.DataFrame, lang: str) -> tuple[pd.Index, np.ndarray]:
    """Return the sorted customer ids and the row order of ``customers`` that sorts them."""
    ids = pd.Index(customers["customer_id"].astype("str"), name="customer_id")
    duplicated = ids[ids.duplicated()].unique()
    if len(duplicated):
        raise ValueError(MESSAGES("duplicate_customers", lang, count=len(duplicated),
                                  examples=", ".join(duplicated[:5])))
    order = ids.argsort()
    return ids[order], order


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1), np.nan)


def _money_sum(codes: np.ndarray, amounts: np.ndarray, n: int) -> np.ndarray:
    """Sum amounts per customer, rounded to 1e-6 of the currency unit.

    Float sums depend on the order of the terms (0.1 + 0.2 + 0.3 differs from
    0.3 + 0.2 + 0.1 in the last bit). Rounding removes that noise, so equal
    spend stays equal, and tied, whatever the row order.
    """
    return np.round(np.bincount(codes, weights=amounts, minlength=n), 6)


def _order_keys(order_ids: pd.Series) -> np.ndarray:
    """Return one int64 code per distinct ``order_id``; a line without an id is an order of its own."""
    if isinstance(order_ids.dtype, pd.CategoricalDtype):
        keys = order_ids.cat.codes.to_numpy().astype("int64")
    else:
        keys, _ = pd.factorize(order_ids)
        keys = keys.astype("int64", copy=False)
    missing = keys < 0
    if missing.any():
        keys = keys.copy()
        keys[missing] = max(int(keys.max()), -1) + 1 + np.arange(int(missing.sum()))
    return keys


def _distinct_orders(customer: np.ndarray, order_key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group order lines into orders, one per (customer, order id) pair.

    Parameters
    ----------
    customer, order_key : ndarray of int64, shape (n_lines,)
        Customer code and order code of each line, both >= 0.

    Returns
    -------
    order_of_line : ndarray of int64, shape (n_lines,)
        Position of each line's order.
    order_customer : ndarray of int64
        Customer code of each order position, -1 for a position no line uses.
    """
    order_customer = np.full(int(order_key.max(initial=-1)) + 1, -1, dtype="int64")
    # Fancy assignment keeps the last write, so the reversed arrays store each order's first customer.
    order_customer[order_key[::-1]] = customer[::-1]
    if np.array_equal(order_customer[order_key], customer):
        return order_key, order_customer
    # An order id shared by several customers counts once for each of them.
    pair_key = customer * len(order_customer) + order_key
    order_of_line, pairs = pd.factorize(pair_key)
    return order_of_line.astype("int64", copy=False), pairs // len(order_customer)


def _paid_order_features(orders: pd.DataFrame, codes: np.ndarray, amount: np.ndarray, paid_in_window: np.ndarray,
                         n: int) -> dict[str, np.ndarray]:
    """Count the distinct paid orders of each customer and find the largest order total.

    ``orders`` rows are order lines, so an invoice of three lines is one
    order, and its total is the sum of its paid lines in the window.
    """
    if "order_id" in orders.columns:
        order_key = _order_keys(orders["order_id"][paid_in_window])
    else:
        order_key = np.arange(int(paid_in_window.sum()), dtype="int64")
    order_of_line, order_customer = _distinct_orders(codes[paid_in_window].astype("int64"), order_key)

    n_orders = len(order_customer)
    totals = np.round(np.bincount(order_of_line, weights=amount[paid_in_window], minlength=n_orders), 6)
    used = order_customer >= 0
    order_count = np.bincount(order_customer[used], minlength=n)
    result = {
        "order_count": order_count,
        "max_order_amount": grouped_reduce(order_customer[used], totals[used], n, "max", np.nan),
        "renewal_rate": np.full(n, np.nan),
    }
    if "renewal" in orders.columns:
        # TODO: the canonical order schema has no renewal marker yet, so this
        # column is read only when a loader passes a boolean "renewal" through.
        # An order is a renewal when any of its lines is marked as one.
        marked = orders["renewal"].to_numpy(dtype="float64", na_value=0.0)[paid_in_window]
        renewal_orders = np.bincount(order_of_line, weights=marked, minlength=n_orders) > 0
        renewals = np.bincount(order_customer, weights=renewal_orders, minlength=n)
        result["renewal_rate"] = _ratio(renewals, order_count)
    return result


def _order_features(orders: pd.DataFrame, codes: np.ndarray, n: int, start_ns: int, as_of_ns: int,
                    months: float) -> dict[str, np.ndarray]:
    when = to_epoch_ns(orders["order_date"])
    amount = orders["amount"].to_numpy(dtype="float64", na_value=np.nan)
    status = orders["status"] if "status" in orders.columns else pd.Series(pd.NA, index=orders.index)
    counts_as_spend = ~status.isin(_NOT_SPEND_STATUSES).to_numpy() & (codes >= 0)
    paid = counts_as_spend & ~status.isin(_NOT_PAID_STATUSES).to_numpy() & (amount > 0)
    in_window = (when > start_ns) & (when <= as_of_ns)

    spent = counts_as_spend & in_window & ~np.isnan(amount)
    spend = _money_sum(codes[spent], amount[spent], n)
    paid_orders = _paid_order_features(orders, codes, amount, paid & in_window, n)
    order_count = paid_orders["order_count"]

    profit = np.full(n, np.nan)
    if "profit" in orders.columns and orders["profit"].notna().any():
        values = np.nan_to_num(orders["profit"].to_numpy(dtype="float64", na_value=np.nan)[spent])
        profit = _money_sum(codes[spent], values, n)

    paid_so_far = paid & (when <= as_of_ns) & (when != NO_TIME)
    return {
        "spend": spend,
        "profit": profit,
        "order_count": order_count,
        "avg_order_value": _ratio(spend, order_count),
        "max_order_amount": paid_orders["max_order_amount"],
        "repeat_purchase": order_count >= 2,
        "renewal_rate": paid_orders["renewal_rate"],
        "orders_per_month": order_count / months,
        "_last_order_ns": grouped_reduce(codes[paid_so_far], when[paid_so_far], n, "max", int(NO_TIME)),
        "_first_order_ns": grouped_reduce(codes[paid_so_far], when[paid_so_far], n, "min", int(NO_TIME)),
    }


def _no_orders(n: int) -> dict[str, np.ndarray]:
    zeros, missing = np.zeros(n), np.full(n, np.nan)
    return {
        "spend": zeros, "profit": missing, "order_count": np.zeros(n, dtype="int64"),
        "avg_order_value": missing, "max_order_amount": missing, "repeat_purchase": np.zeros(n, dtype=bool),
        "renewal_rate": missing, "orders_per_month": zeros,
        "_last_order_ns": np.full(n, NO_TIME), "_first_order_ns": np.full(n, NO_TIME),
    }


def _registered_ns(customers: pd.DataFrame, order: np.ndarray) -> np.ndarray:
    if "registered_at" not in customers.columns:
        return np.full(len(order), NO_TIME)
    return to_epoch_ns(customers["registered_at"])[order]


def _as_timestamps(stamps_ns: np.ndarray, timezone: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(stamps_ns.view("datetime64[ns]")).tz_localize("UTC").tz_convert(timezone)


def _tenure_days(registered: np.ndarray, first_order: np.ndarray, first_contact: np.ndarray,
                 as_of_ns: int) -> np.ndarray:
    """Days since registration, or else since the first order or contact."""
    first_seen = np.minimum(np.where(first_order == NO_TIME, np.iinfo(np.int64).max, first_order),
                            np.where(first_contact == NO_TIME, np.iinfo(np.int64).max, first_contact))
    first_seen = np.where(first_seen == np.iinfo(np.int64).max, NO_TIME, first_seen)
    start = np.where(registered == NO_TIME, first_seen, registered)
    return days_before(as_of_ns, start)


def build_features(tables: Tables, as_of: object, window: str = "6M", config: Config | None = None,
                   *, lang: str = "zh") -> pd.DataFrame:
    """Build one row of features per customer over the window ``(as_of - window, as_of]``.

    Parameters
    ----------
    tables : Tables
        Canonical tables with timezone-aware timestamps and string ids.
    as_of : str, date or Timestamp
        End of the window. A date such as ``"2024-06-30"`` means the end of
        that local day in the configured zone; a naive time is read in that zone.
    window : str, default "6M"
        ``"<n>M"`` months or ``"<n>D"`` days.
    config : Config, optional
        Defaults to :func:`~segmentation.config.load_config`.
    lang : {"zh", "en"}
        Language of error messages.

    Returns
    -------
    DataFrame, shape (n_customers, len(FEATURE_COLUMNS))
        Index ``customer_id`` (str, sorted), the columns listed in
        ``docs/architecture.md`` plus ``last_contact_at`` and ``last_order_at``
        (timezone-aware, NaT when none up to ``as_of``). ``attrs`` contains
        ``as_of`` (Timestamp), ``window`` (str) and ``dimensions_available``.
        Orders and tickets of customers missing from ``tables.customers`` are
        left out and counted in the log.

    Raises
    ------
    ValueError
        A missing canonical column, timezone-naive timestamps, duplicate
        customer ids or an unreadable ``as_of``.
    """
    config = config or load_config()
    zone = config.timezone
    as_of = resolve_as_of(as_of, zone, lang)
    start_ns, as_of_ns = window_start(as_of, window).value, as_of.value
    months = window_months(window)

    _check_table(tables.customers, "customers", ("customer_id",), ("registered_at",), zone, lang)
    ids, order = _customer_index(tables.customers, lang)
    n = len(ids)

    columns = _no_orders(n)
    if tables.has("orders"):
        _check_table(tables.orders, "orders", ("customer_id", "order_date", "amount"), ("order_date",), zone, lang)
        codes = _codes_logged(tables.orders, ids, "orders")
        columns = _order_features(tables.orders, codes, n, start_ns, as_of_ns, months)
    columns.update(no_contact_features(n))
    if tables.has("tickets"):
        _check_table(tables.tickets, "tickets", ("customer_id", "created_at"),
                     ("created_at", "first_response_at", "resolved_at"), zone, lang)
        codes = _codes_logged(tables.tickets, ids, "tickets")
        columns.update(contact_features(tables.tickets, codes, n, start_ns, as_of_ns, months, config))

    columns["_registered_ns"] = _registered_ns(tables.customers, order)
    return _assemble(columns, ids, tables, as_of, window, zone)


def _codes_logged(table: pd.DataFrame, ids: pd.Index, name: str) -> np.ndarray:
    codes = customer_codes(table["customer_id"], ids)
    unknown = int((codes < 0).sum())
    if unknown:
        logger.info("%d %s row(s) belong to customers not in the customer table and are left out", unknown, name)
    return codes


def _assemble(columns: dict[str, np.ndarray], ids: pd.Index, tables: Tables, as_of: pd.Timestamp,
              window: str, zone: str) -> pd.DataFrame:
    as_of_ns = as_of.value
    columns["days_since_last_contact"] = days_before(as_of_ns, columns["_last_contact_ns"])
    columns["days_since_last_order"] = days_before(as_of_ns, columns["_last_order_ns"])
    columns["tenure_days"] = _tenure_days(columns.pop("_registered_ns"), columns.pop("_first_order_ns"),
                                          columns.pop("_first_contact_ns"), as_of_ns)
    columns["last_contact_at"] = _as_timestamps(columns.pop("_last_contact_ns"), zone)
    columns["last_order_at"] = _as_timestamps(columns.pop("_last_order_ns"), zone)

    features = pd.DataFrame({name: columns[name] for name in FEATURE_COLUMNS}, index=ids)
    features.attrs["as_of"] = as_of
    features.attrs["window"] = str(window).upper()
    features.attrs["dimensions_available"] = dict(tables.dimensions_available)
    return features
