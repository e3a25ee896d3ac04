"""Drawing the sample tables: customers, orders, tickets, follow-ups and overrides, in memory.

``generate_tables`` returns typed canonical tables. ``generate_sample``
returns the same data as the text of a Chinese CRM export with known data
problems planted, together with the latent truth and the problem counts.
:mod:`segmentation.sample` writes them to disk.

Conventions that hold for the whole file:

* every random draw comes from ``numpy.random.default_rng`` seeded by
  ``(seed, chunk)`` with one spawned stream per part (see :func:`_streams`),
  so the same arguments give the same tables;
* large samples are drawn in chunks of customers, each with its own
  generators. A sample that fits in one chunk is the same whichever way it
  is written;
* times are drawn as naive wall-clock ``datetime64[s]`` in Asia/Shanghai and
  made timezone-aware only in the canonical tables.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import numpy as np
import pandas as pd

from .errors import ParameterError
from .i18n import Catalog
from .sample_events import WorkingClock, draw_orders, draw_tickets, expected_spend
from .sample_export import (
    plant_customer_problems,
    plant_order_problems,
    plant_ticket_problems,
    to_text,
    write_chat_responses_in_utc,
)
from .sample_records import draw_followups, draw_overrides, draw_test_accounts
from .sample_segments import SEGMENT_KEYS, SEGMENTS, Period, Population, draw_population

logger = logging.getLogger(__name__)

TIMEZONE = "Asia/Shanghai"
DEFAULT_CUSTOMERS = 3000
DEFAULT_SEED = 42
DEFAULT_START = "2023-01-01"
DEFAULT_END = "2024-06-30"
MIN_CUSTOMERS = 100
CHUNK_CUSTOMERS = 100_000
N_LEGACY_IDS = 12
CHURNED_SHARE = 0.01
TABLES = ("customers", "orders", "tickets", "followups", "overrides")

MESSAGES = Catalog({
    "too_few": {"zh": "客户数 n_customers={value} 太少；样例数据至少需要 {minimum} 个客户。",
                "en": "n_customers={value} is too small; the sample needs at least {minimum} customers."},
    "bad_period": {"zh": "样例区间 {start} 至 {end} 无效；开始和结束须是 YYYY-MM-DD 日期，且结束至少比开始晚 6 个月。",
                   "en": "sample period {start} to {end} is invalid; start and end must be YYYY-MM-DD dates "
                         "with the end at least 6 months after the start."},
})


def _period(start: str, end: str, lang: str) -> Period:
    try:
        first = np.datetime64(dt.date.fromisoformat(str(start)), "s")
        last = np.datetime64(dt.date.fromisoformat(str(end)) + dt.timedelta(days=1), "s")
    except ValueError:
        raise ParameterError(MESSAGES("bad_period", lang, start=start, end=end)) from None
    if last - first < np.timedelta64(181, "D"):
        raise ParameterError(MESSAGES("bad_period", lang, start=start, end=end))
    return Period(first, last)


def _clock(period: Period, lang: str) -> WorkingClock:
    first = period.start.astype("datetime64[D]").item() - dt.timedelta(days=1)
    # Late first responses can reach into the weeks after the period, across a long holiday.
    last = period.end.astype("datetime64[D]").item() + dt.timedelta(days=45)
    return WorkingClock(first, last, lang)


def _localise(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn naive wall-clock datetime64 columns into timezone-aware nanosecond timestamps."""
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = pd.to_datetime(frame[column]).dt.tz_localize(TIMEZONE).dt.as_unit("ns")
    return frame


def _latent_frame(population: Population, period: Period) -> pd.DataFrame:
    still_active = population.active_to >= period.end
    return pd.DataFrame({
        "customer_id": pd.array(population.customer_id, dtype="str"),
        "segment": pd.array(np.array(SEGMENT_KEYS)[population.segment], dtype="str"),
        "segment_name": pd.array(np.array([spec.name for spec in SEGMENTS])[population.segment], dtype="str"),
        "vip_like": population.spec_values("vip_like").astype(bool),
        "propensity": population.propensity,
        "trend": population.trend,
        "order_rate": population.order_rate,
        "contact_rate": population.contact_rate,
        "mean_amount": population.mean_amount,
        "active_until": np.where(still_active, np.datetime64("NaT"), population.active_to),
        "expected_spend_next_6m": expected_spend(population, period),
    })


def _streams(seed: int, chunk: int) -> list[np.random.Generator]:
    """Independent generators per part of a chunk, so a change to one part leaves the others unchanged.

    Streams: 0 customers, 1 orders, 2 tickets, 3 follow-ups, 4 overrides,
    5 test accounts, 6 planted problems.
    """
    return [np.random.default_rng(child) for child in np.random.SeedSequence([seed, chunk]).spawn(7)]


def _generate_chunk(seed: int, chunk: int, n: int, period: Period, clock: WorkingClock, *,
                    offset: int, order_offset: int, ticket_offset: int) -> dict[str, pd.DataFrame]:
    """Draw one chunk of customers with all their records; times are naive local datetime64[s]."""
    streams = _streams(seed, chunk)
    population = draw_population(streams[0], n, period, offset=offset,
                                 n_legacy_ids=N_LEGACY_IDS if chunk == 0 else 0,
                                 n_churned=max(1, round(CHURNED_SHARE * n)))
    extras = draw_test_accounts(streams[5], period) if chunk == 0 else (None, None, None)

    customers = population.frame
    if extras[0] is not None:
        customers = pd.concat([customers, extras[0]], ignore_index=True)
    tables = {
        "customers": customers,
        "orders": draw_orders(streams[1], population, period, extra=extras[1], id_offset=order_offset),
        "tickets": draw_tickets(streams[2], population, period, clock, extra=extras[2],
                                id_offset=ticket_offset),
        "followups": draw_followups(streams[3], population, period),
        "overrides": draw_overrides(streams[4], population, period) if chunk == 0 else None,
        "latent_segments": _latent_frame(population, period),
    }
    return tables


def _canonical(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Return the typed canonical tables: string ids, aware timestamps, float money, CSAT on 0-100."""
    result = {name: _localise(frame) for name, frame in tables.items() if frame is not None}
    tickets = result["tickets"]
    tickets["csat_100"] = (tickets["csat"] - tickets["csat_min"]) / (tickets["csat_max"] - tickets["csat_min"]) * 100
    for name in TABLES:
        if name in result:
            for column in result[name].columns:
                if result[name][column].dtype == object:
                    result[name][column] = result[name][column].astype("str")
    return result


def generate_tables(n_customers: int = DEFAULT_CUSTOMERS, *, seed: int = DEFAULT_SEED,
                    start: str = DEFAULT_START, end: str = DEFAULT_END,
                    lang: str = "zh") -> dict[str, pd.DataFrame]:
    """Generate the sample as typed canonical tables, without planted problems.

    Parameters
    ----------
    n_customers : int
        Customers drawn from the latent segments (5 test accounts come on top).
    seed : int
        Seed of every random draw.
    start, end : str
        First and last day (ISO dates, Beijing time) of the orders and tickets.
    lang : {"zh", "en"}
        Language of error messages.

    Returns
    -------
    dict of DataFrame
        ``customers, orders, tickets, followups, overrides`` in the columns of
        :data:`segmentation.schema.SCHEMAS` (tickets also with ``csat_min``,
        ``csat_max``, ``csat_100``) and ``latent_segments`` (see
        :func:`generate_sample`).
    """
    check_size(n_customers, lang)
    period = _period(start, end, lang)
    tables = _generate_chunk(seed, 0, n_customers, period, _clock(period, lang),
                             offset=0, order_offset=0, ticket_offset=0)
    return _canonical(tables)


def iter_chunks(n_customers: int, *, seed: int = DEFAULT_SEED, start: str = DEFAULT_START,
                end: str = DEFAULT_END, chunk_customers: int = CHUNK_CUSTOMERS,
                lang: str = "zh") -> Iterator[tuple[dict[str, pd.DataFrame], dict[str, dict[str, int]]]]:
    """Generate a large sample chunk by chunk, as typed canonical tables without planted problems.

    Each chunk holds up to ``chunk_customers`` customers with all their
    records; ids continue across chunks. Overrides and test accounts come
    with the first chunk only. Peak memory grows with ``chunk_customers``,
    not with ``n_customers``.

    Yields
    ------
    tables : dict of DataFrame
        As :func:`generate_tables` (``overrides`` only in the first chunk).
    counts : dict
        ``{table: {fact: rows}}`` of the chunk, see :func:`generate_sample`.
    """
    check_size(n_customers, lang)
    period = _period(start, end, lang)
    clock = _clock(period, lang)
    order_offset = ticket_offset = 0
    for chunk, offset in enumerate(range(0, int(n_customers), int(chunk_customers))):
        size = min(int(chunk_customers), int(n_customers) - offset)
        raw = _generate_chunk(seed, chunk, size, period, clock, offset=offset,
                              order_offset=order_offset, ticket_offset=ticket_offset)
        order_offset += raw["orders"].attrs["ids_used"]
        ticket_offset += len(raw["tickets"])
        yield _canonical(raw), _fact_counts(raw, period)


def check_size(n_customers: int, lang: str = "zh") -> None:
    """Raise :class:`ParameterError` if ``n_customers`` is below ``MIN_CUSTOMERS``."""
    if int(n_customers) < MIN_CUSTOMERS:
        raise ParameterError(MESSAGES("too_few", lang, value=n_customers, minimum=MIN_CUSTOMERS))


def _problem_frame(counts: dict[str, dict[str, int]]) -> pd.DataFrame:
    records = [(table, problem, count) for table, problems in counts.items() for problem, count in problems.items()]
    return pd.DataFrame(records, columns=["table", "problem", "count"]).astype(
        {"table": "str", "problem": "str", "count": "int64"})


def _fact_counts(tables: dict[str, pd.DataFrame], period: Period) -> dict[str, dict[str, int]]:
    """Count the rows that cleaning must set aside or treat specially; every sample has them.

    An order row is counted once, under the first that applies: cancelled,
    unpaid, test account, churned customer, refund line (of an active
    customer). Planted problems never fall on such rows.
    """
    customers, orders, tickets = tables["customers"], tables["orders"], tables["tickets"]
    test_ids = customers.loc[customers["status"] == "test", "customer_id"]
    churned_ids = customers.loc[customers["status"] == "churned", "customer_id"]
    sales = ~orders["status"].isin(["cancelled", "unpaid"])
    active = ~orders["customer_id"].isin(test_ids) & ~orders["customer_id"].isin(churned_ids)
    eligible = int(tables["followups"].attrs["eligible_months"])
    counts = {
        "customers": {"test_account": len(test_ids), "churned_customer": len(churned_ids),
                      "leading_zero_id": int(customers["customer_id"].str.match(r"^0\d+$").sum())},
        "orders": {"cancelled": int((orders["status"] == "cancelled").sum()),
                   "unpaid": int((orders["status"] == "unpaid").sum()),
                   "test_account": int((sales & orders["customer_id"].isin(test_ids)).sum()),
                   "churned_customer": int((sales & orders["customer_id"].isin(churned_ids)).sum()),
                   "refund_lines": int((active & (orders["amount"] < 0)).sum())},
        "tickets": {"test_account": int(tickets["customer_id"].isin(test_ids).sum()),
                    "churned_customer": int(tickets["customer_id"].isin(churned_ids).sum()),
                    "unresolved": int(tickets["status"].isin(["open", "pending"]).sum())},
        "followups": {"eligible_months": eligible, "missing_months": eligible - len(tables["followups"])},
    }
    overrides = tables["overrides"]
    if overrides is not None:
        expired = overrides["expires_at"].notna() & (overrides["expires_at"] <= period.end)
        late = (overrides["decided_at"] - overrides["requested_at"]) > np.timedelta64(24 * 3600, "s")
        counts["overrides"] = {"expired": int(expired.sum()), "decided_after_24h": int(late.sum())}
    return counts


def merge_counts(total: dict[str, dict[str, int]], part: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Add the counts of ``part`` into ``total`` (in place) and return ``total``."""
    for table, facts in part.items():
        for fact, rows in facts.items():
            total.setdefault(table, {})
            total[table][fact] = total[table].get(fact, 0) + rows
    return total


def generate_sample(n_customers: int = DEFAULT_CUSTOMERS, *, seed: int = DEFAULT_SEED,
                    start: str = DEFAULT_START, end: str = DEFAULT_END, inject_problems: bool = True,
                    lang: str = "zh") -> dict[str, pd.DataFrame]:
    """Generate the sample CRM export as text tables, with known data problems planted.

    Parameters
    ----------
    n_customers : int
        Customers drawn from the latent segments, at least ``MIN_CUSTOMERS``;
        5 test accounts come on top.
    seed : int
        Seed of every random draw; the same seed gives the same tables.
    start, end : str
        First and last day (ISO dates, Beijing time); at least 6 months apart.
    inject_problems : bool
        Plant the data problems of :data:`segmentation.sample_export.PLANTED`
        and write the first responses of recent chat tickets in UTC.
    lang : {"zh", "en"}
        Language of error messages.

    Returns
    -------
    dict of DataFrame
        ``customers, orders, tickets, followups, overrides``: canonical column
        names, every value text exactly as written to the CSV files (Chinese
        status words, naive Beijing times), missing values as NA.
        ``latent_segments``: one row per customer drawn from a segment, test
        accounts excluded. Its columns are ``customer_id``, ``segment`` (key
        of :data:`~segmentation.sample_segments.SEGMENTS`), ``segment_name``
        and ``vip_like``. The latent drivers follow: ``propensity`` (the
        standard-normal driver of the order rate), ``trend`` (monthly log
        change of the order rate), ``order_rate`` (orders a month in the last
        6 months), ``contact_rate``, ``mean_amount`` (CNY an order),
        ``active_until`` (end of activity of dormant customers, else NaT) and
        ``expected_spend_next_6m`` (CNY).
        ``problems``: ``table, problem, count``, the planted problems and the
        rows cleaning must treat specially.

    Raises
    ------
    ParameterError
        If ``n_customers`` is too small or the period is invalid.
    """
    check_size(n_customers, lang)
    period = _period(start, end, lang)
    raw = _generate_chunk(seed, 0, n_customers, period, _clock(period, lang),
                          offset=0, order_offset=0, ticket_offset=0)
    counts = _fact_counts(raw, period)
    text = to_text({name: raw[name] for name in TABLES})

    if inject_problems:
        text = _plant_problems(_streams(seed, 0)[6], raw, text, counts, period)
    text["latent_segments"] = _localise(raw["latent_segments"])
    text["problems"] = _problem_frame(counts)
    return text


def _plant_problems(rng: np.random.Generator, raw: dict[str, pd.DataFrame], text: dict[str, pd.DataFrame],
                    counts: dict[str, dict[str, int]], period: Period) -> dict[str, pd.DataFrame]:
    """Plant the problems of every table in the export text and add their counts to ``counts``."""
    customers = raw["customers"]
    clean_ids = set(customers.loc[customers["status"] == "active", "customer_id"])
    text["customers"], planted = plant_customer_problems(rng, text["customers"])
    counts["customers"].update(planted)
    text["orders"], planted = plant_order_problems(rng, text["orders"], clean_ids)
    counts["orders"].update(planted)
    text["tickets"], planted = plant_ticket_problems(rng, text["tickets"], clean_ids)
    counts["tickets"].update(planted)

    # The chat tool exports UTC since the start of the last 6 months.
    since = pd.Timestamp(period.month_edges[max(period.n_months - 6, 0)])
    text["tickets"], counts["tickets"]["first_response_utc"] = write_chat_responses_in_utc(text["tickets"], since)
    return text
