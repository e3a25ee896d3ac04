"""Backtest of priority scores: cut-offs, no-look-ahead splits, outcomes and folds.

The metrics that judge a score against these outcomes, and the comparison
of scoring schemes, are in :mod:`segmentation.backtest_metrics`.

Conventions that hold for the whole file:

* A cut-off ``T`` is the last nanosecond of a local date, the way
  :func:`~segmentation.features.build_features` reads a date. Features at
  ``T`` are built from tables cut at ``T`` (:func:`tables_until`), so no row
  dated after ``T`` can reach them, whatever the feature code does.
* Outcomes come from ``(T, T + horizon]`` for the customers who existed at
  ``T``; customers who register later are not scored and not judged.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import warnings

import numpy as np
import pandas as pd

from .classification import classify
from .config import Config, parse_window
from .errors import ParameterError
from .features import build_features
from .i18n import Catalog
from .schema import Tables
from .scoring import DimensionScores, contribution, dimension_scores, tier_codes
from .windows import DAYS_PER_MONTH, resolve_as_of, window_months

logger = logging.getLogger(__name__)

DEFAULT_HORIZON = "3M"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

MESSAGES = Catalog({
    "bad_cutoffs": {
        "zh": "无法识别的回测时点 {values}；请写成逗号分隔的日期，例如 2024-03-31,2024-06-30，或留空自动选择。",
        "en": "invalid cut-off date(s) {values}; write comma-separated dates such as "
              "2024-03-31,2024-06-30, or leave empty for automatic cut-offs.",
    },
    "no_cutoffs": {
        "zh": "数据时间范围 {start} 至 {end}，没有哪个季度末之后还留有 {horizon} 的结果期；请缩短 horizon 或提供更长的数据。",
        "en": "the data spans {start} to {end}, so no quarter end leaves a {horizon} outcome period; "
              "shorten the horizon or load a longer history.",
    },
    "no_dated_rows": {
        "zh": "数据没有带日期的订单或工单，无法回测。",
        "en": "the data has no dated orders or tickets, so there is nothing to backtest.",
    },
    "short_history": {
        "zh": "回测时点 {cutoff} 之前只有 {months:.1f} 个月数据，少于特征窗口 {window}。",
        "en": "cut-off {cutoff} has {months:.1f} months of history, less than the {window} feature window.",
    },
    "short_outcomes": {
        "zh": "回测时点 {cutoff} 的结果期到 {needed} 结束，但数据只到 {end}；结果偏少。",
        "en": "cut-off {cutoff} needs outcomes up to {needed} but the data ends {end}; outcomes are incomplete.",
    },
})


def parse_cutoffs(text: str, timezone: str, lang: str = "zh") -> list[pd.Timestamp]:
    """Read comma-separated dates (``"2024-03-31,2024-06-30"``) as sorted cut-off instants.

    Raises
    ------
    ParameterError
        Listing every entry that is not a valid ``YYYY-MM-DD`` date.
    """
    entries = [entry.strip() for entry in str(text).split(",") if entry.strip()]
    bad = [entry for entry in entries if not _DATE.match(entry) or pd.isna(pd.to_datetime(entry, errors="coerce"))]
    if bad:
        raise ParameterError(MESSAGES("bad_cutoffs", lang, values=bad))
    return sorted({resolve_as_of(entry, timezone) for entry in entries})


def horizon_end(cutoff: pd.Timestamp, horizon: str) -> pd.Timestamp:
    """Return the inclusive end of the outcome period ``(cutoff, cutoff + horizon]``.

    Months are added to the instant just after ``cutoff``, so a quarter-end
    cut-off gives a quarter-end horizon end (2024-03-31 + 3M is 2024-06-30).
    """
    count, unit = parse_window(horizon)
    offset = pd.DateOffset(months=count) if unit == "M" else pd.Timedelta(days=count)
    return cutoff + pd.Timedelta(1, "ns") + offset - pd.Timedelta(1, "ns")


def data_span(tables: Tables, lang: str = "zh") -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the earliest and latest order or ticket time."""
    stamps = []
    if tables.has("orders"):
        stamps.append(tables.orders["order_date"].dropna())
    if tables.has("tickets"):
        stamps.append(tables.tickets["created_at"].dropna())
    stamps = [series for series in stamps if len(series)]
    if not stamps:
        raise ParameterError(MESSAGES("no_dated_rows", lang))
    return min(series.min() for series in stamps), max(series.max() for series in stamps)


def default_cutoffs(tables: Tables, horizon: str = DEFAULT_HORIZON, count: int = 3,
                    timezone: str = "Asia/Shanghai", lang: str = "zh") -> list[pd.Timestamp]:
    """Return the last ``count`` quarter ends that leave a full ``horizon`` of data after them.

    The data is taken to cover its last day to the end, so data ending
    1998-06-30 allows the cut-off 1998-03-31 with a 3M horizon.

    Raises
    ------
    ParameterError
        If no quarter end inside the data leaves a full horizon.
    """
    start, end = data_span(tables, lang)
    covered_until = resolve_as_of(end.tz_convert(timezone).date(), timezone)
    quarter = pd.Period(end.tz_convert(timezone).date(), freq="Q")
    found: list[pd.Timestamp] = []
    while len(found) < count:
        cutoff = resolve_as_of(quarter.end_time.date(), timezone)
        if cutoff < start:
            break
        if horizon_end(cutoff, horizon) <= covered_until:
            found.append(cutoff)
        quarter -= 1
    if not found:
        raise ParameterError(MESSAGES("no_cutoffs", lang, start=start.date(), end=end.date(), horizon=horizon))
    return sorted(found)


def tables_until(tables: Tables, cutoff: pd.Timestamp) -> Tables:
    """Return the tables as they stood at ``cutoff``: no row and no field from after it.

    Orders, tickets, follow-ups and overrides dated after ``cutoff`` are
    dropped. A ticket opened before the cut-off keeps its row, but a first
    response, resolution or rating that came later is blanked. Customers are
    those registered by ``cutoff``, or without a registration date and not
    first seen after it.

    NOTE: ``customers.status`` is the status at load time, and churned or
    test customers were removed by the loader with that knowledge.
    """
    orders = _rows_until(tables.orders, "order_date", cutoff)
    tickets = _tickets_until(tables.tickets, cutoff)
    followups = _rows_until(tables.followups, "followup_at", cutoff)
    overrides = _rows_until(tables.overrides, "decided_at", cutoff)
    customers = _customers_until(tables, cutoff)
    return dataclasses.replace(tables, customers=customers, orders=orders, tickets=tickets,
                               followups=followups, overrides=overrides)


def _rows_until(table: pd.DataFrame | None, column: str, cutoff: pd.Timestamp) -> pd.DataFrame | None:
    if table is None or column not in table.columns:
        return table
    return table.loc[table[column].notna() & (table[column] <= cutoff)].copy()


def _tickets_until(tickets: pd.DataFrame | None, cutoff: pd.Timestamp) -> pd.DataFrame | None:
    tickets = _rows_until(tickets, "created_at", cutoff)
    if tickets is None:
        return None
    if "first_response_at" in tickets.columns:
        tickets.loc[tickets["first_response_at"] > cutoff, "first_response_at"] = pd.NaT
    if "resolved_at" in tickets.columns:
        later = tickets["resolved_at"] > cutoff
        rating_columns = [name for name in ("csat", "csat_100") if name in tickets.columns]
        tickets.loc[later, rating_columns] = np.nan
        tickets.loc[later, "resolved_at"] = pd.NaT
    return tickets


def _customers_until(tables: Tables, cutoff: pd.Timestamp) -> pd.DataFrame:
    customers = tables.customers
    first_seen = _first_seen(tables).reindex(customers["customer_id"].astype("str")).to_numpy()
    registered = customers["registered_at"] if "registered_at" in customers.columns else None
    if registered is None:
        exists = ~(first_seen > cutoff)
    else:
        exists = (registered <= cutoff).to_numpy() | (registered.isna().to_numpy() & ~(first_seen > cutoff))
    return customers.loc[exists].copy()


def _first_seen(tables: Tables) -> pd.Series:
    parts = []
    if tables.has("orders"):
        parts.append(tables.orders.groupby(tables.orders["customer_id"].astype("str"))["order_date"].min())
    if tables.has("tickets"):
        parts.append(tables.tickets.groupby(tables.tickets["customer_id"].astype("str"))["created_at"].min())
    if not parts:
        return pd.Series(dtype="datetime64[ns, UTC]")
    return pd.concat(parts).groupby(level=0).min()


def features_at(tables: Tables, cutoff: pd.Timestamp, config: Config, lang: str = "zh") -> pd.DataFrame:
    """Build the features of the standard window ending at ``cutoff`` from the cut tables only."""
    return build_features(tables_until(tables, cutoff), as_of=cutoff, window=config.window, config=config,
                          lang=lang)


def value_tier_codes(features: pd.DataFrame, config: Config) -> pd.Series:
    """Return value-tier codes (0 high, 1 mid, 2 low) by the standard's shares and tie rule.

    A contribution of 0 or less is low, as in the standard's value tiers.
    """
    values = contribution(features, config).to_numpy()
    codes = tier_codes(values, config.value.shares)
    codes[values <= 0] = 2
    return pd.Series(codes, index=features.index, name="value_tier_code")


def outcomes(tables: Tables, features: pd.DataFrame, horizon: str, config: Config,
             lang: str = "zh") -> pd.DataFrame:
    """Measure what happened after the cut-off of ``features`` for the customers in it.

    Parameters
    ----------
    tables : Tables
        The full tables, rows after the cut-off included.
    features : DataFrame
        Features at the cut-off (``attrs["as_of"]``), from :func:`features_at`.
    horizon : str
        Length of the outcome period, ``"<n>M"`` or ``"<n>D"``.
    config : Config

    Returns
    -------
    DataFrame indexed like ``features``
        ``next_spend`` (net spend, currency units), ``retained`` (any paid
        order or contact, bool), ``upgraded`` (value tier rose by the
        horizon end, float 1/0; NaN for customers already high at the
        cut-off), ``next_csat`` (mean CSAT on 0-100; NaN without a rating).
    """
    customers = features.index
    end = horizon_end(features.attrs["as_of"], horizon)
    period = build_features(tables_until(tables, end), as_of=end, window=horizon, config=config,
                            lang=lang).reindex(customers)
    tier_before = value_tier_codes(features, config)
    tier_after = value_tier_codes(features_at(tables, end, config, lang), config).reindex(customers)

    upgraded = (tier_after < tier_before).astype("float64")
    upgraded[tier_before == 0] = np.nan
    return pd.DataFrame({
        "next_spend": period["spend"].fillna(0.0),
        "retained": (period["order_count"].fillna(0) > 0) | (period["contacts"].fillna(0) > 0),
        "upgraded": upgraded,
        "next_csat": period["csat_mean_100"],
    }, index=customers)


@dataclasses.dataclass(frozen=True)
class Fold:
    """One cut-off of a rolling-origin backtest.

    Attributes
    ----------
    cutoff : Timestamp
        Last instant of the feature window.
    features : DataFrame, n rows
        Features at the cut-off, from the cut tables only.
    scores : DimensionScores
        Dimension scores of the same n customers.
    outcomes : DataFrame, n rows
        See :func:`outcomes`.
    labels : DataFrame, n rows
        Rule-table classification at the cut-off, indexed by customer_id.
    notes : tuple of str
        Warnings raised while building the fold, each once.
    """

    cutoff: pd.Timestamp
    features: pd.DataFrame
    scores: DimensionScores
    outcomes: pd.DataFrame
    labels: pd.DataFrame
    notes: tuple[str, ...] = ()


def build_fold(tables: Tables, cutoff: pd.Timestamp, horizon: str, config: Config, lang: str = "zh") -> Fold:
    """Build features, dimension scores, outcomes and rule labels for one cut-off.

    Warnings raised on the way (ties off quota, a short history) are stored
    in ``Fold.notes`` and logged, so a report can list them once, in order,
    without file paths.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _warn_if_short(tables, cutoff, horizon, config, lang)
        history = tables_until(tables, cutoff)
        features = build_features(history, as_of=cutoff, window=config.window, config=config, lang=lang)
        scores = dimension_scores(features, config)
        labels = classify(history, config, as_of=cutoff, lang=lang).labels.set_index("customer_id")
        result = outcomes(tables, features, horizon, config, lang)

    notes = tuple(dict.fromkeys(str(warning.message) for warning in caught))
    for note in notes:
        logger.info("fold %s: %s", cutoff.date(), note)
    logger.info("fold %s: %d customers, next-period spend %.2f", cutoff.date(), len(features),
                result["next_spend"].sum())
    return Fold(cutoff=cutoff, features=features, scores=scores, outcomes=result,
                labels=labels.reindex(features.index), notes=notes)


def _warn_if_short(tables: Tables, cutoff: pd.Timestamp, horizon: str, config: Config, lang: str) -> None:
    start, end = data_span(tables, lang)
    covered_until = resolve_as_of(end.tz_convert(config.timezone).date(), config.timezone)
    months = (cutoff - start) / pd.Timedelta(days=DAYS_PER_MONTH)
    if months < window_months(config.window):
        warnings.warn(MESSAGES("short_history", lang, cutoff=cutoff.date(), months=months, window=config.window),
                      UserWarning, stacklevel=3)
    if horizon_end(cutoff, horizon) > covered_until:
        warnings.warn(MESSAGES("short_outcomes", lang, cutoff=cutoff.date(),
                               needed=horizon_end(cutoff, horizon).date(), end=end.date()),
                      UserWarning, stacklevel=3)
