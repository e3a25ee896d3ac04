"""First-response SLA: each ticket judged against its customer's label target, then attainment per label.

Conventions for the whole file:

* a ticket's target is the ``first_response_minutes`` and ``clock`` of the
  label its customer carried when the period started (the labels frame
  passed in). A ``24x7`` clock counts every minute. A ``working_hours``
  clock counts working minutes on China's official calendar
  (:mod:`segmentation.workcalendar`);
* durations are in minutes; rates are fractions in [0, 1];
* outcomes are ``met`` (response within the target, the boundary included),
  ``breached`` (response later than the target) and ``no_response``
  (no first response recorded). Unanswered tickets are counted, never
  dropped. One whose target had already passed at ``as_of`` is *overdue*
  and counts against attainment. One still inside its target is left out of
  the denominator, because its verdict is not known yet.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .config import Config
from .kpi_groups import reindex_labels, suppress_small
from .workcalendar import elapsed_minutes, to_local, working_minutes

logger = logging.getLogger(__name__)

OUTCOMES = ("met", "breached", "no_response")
TICKET_COLUMNS = ("ticket_id", "customer_id", "created_at", "first_response_at")


def ticket_targets(tickets: pd.DataFrame, labels: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Attach to each ticket its customer's label, response target and clock.

    Parameters
    ----------
    tickets : DataFrame
        Canonical tickets with at least ``ticket_id``, ``customer_id``,
        ``created_at`` and ``first_response_at``.
    labels : DataFrame
        One row per customer with ``customer_id`` and ``label``. When it has
        the strategy columns ``first_response_minutes`` and ``clock`` (as
        :func:`segmentation.classification.classify` returns them), those are used;
        otherwise the targets come from ``config.strategies``.
    config : Config

    Returns
    -------
    DataFrame
        The ticket columns plus ``label``, ``target_minutes`` and ``clock``;
        all three are missing for customers absent from ``labels``.
    """
    missing = [name for name in TICKET_COLUMNS if name not in tickets.columns]
    if missing:
        raise KeyError(f"tickets lack column(s) {missing}; columns present: {list(tickets.columns)}")

    per_customer = _targets_per_customer(labels, config)
    result = tickets.loc[:, list(TICKET_COLUMNS)].copy()
    result["customer_id"] = result["customer_id"].astype("str")
    return result.merge(per_customer, on="customer_id", how="left", validate="many_to_one")


def _targets_per_customer(labels: pd.DataFrame, config: Config) -> pd.DataFrame:
    frame = labels.loc[:, ["customer_id", "label"]].copy()
    frame["customer_id"] = frame["customer_id"].astype("str")
    strategy_of = config.strategies
    if {"first_response_minutes", "clock"} <= set(labels.columns):
        frame["target_minutes"] = labels["first_response_minutes"].astype(float).to_numpy()
        frame["clock"] = labels["clock"].astype("str").to_numpy()
    else:
        frame["target_minutes"] = frame["label"].map(
            lambda key: strategy_of[key].first_response_minutes if key in strategy_of else np.nan)
        frame["clock"] = frame["label"].map(lambda key: strategy_of[key].clock if key in strategy_of else None)
    return frame.drop_duplicates("customer_id", keep="last")


def minutes_on_clock(start: pd.Series, end: pd.Series, clock: pd.Series, config: Config) -> pd.Series:
    """Count minutes from ``start`` to ``end`` on each row's clock.

    Parameters
    ----------
    start, end : Series of datetime64
        Paired timestamps; converted to ``config.timezone`` first.
    clock : Series of str
        ``24x7`` or ``working_hours`` per row; other values give NaN.
    config : Config

    Returns
    -------
    Series of float
        Minutes, NaN where a timestamp or the clock is missing.
    """
    result = pd.Series(np.nan, index=start.index, dtype=float)
    around_clock = (clock == "24x7").to_numpy(dtype=bool)
    on_working_hours = (clock == "working_hours").to_numpy(dtype=bool)
    if around_clock.any():
        result[around_clock] = elapsed_minutes(start[around_clock], end[around_clock], config)
    if on_working_hours.any():
        result[on_working_hours] = working_minutes(start[on_working_hours], end[on_working_hours], config)
    return result


def sla_outcomes(tickets: pd.DataFrame, labels: pd.DataFrame, config: Config,
                 as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Judge each ticket's first response against its label's target.

    Parameters
    ----------
    tickets : DataFrame
        Canonical tickets (see :func:`ticket_targets`).
    labels : DataFrame
        Label of each customer when the period started.
    config : Config
    as_of : Timestamp, optional
        When unanswered tickets are judged, usually the end of the period.
        Without it no unanswered ticket is overdue.

    Returns
    -------
    DataFrame
        One row per ticket: the columns of :func:`ticket_targets` plus
        ``response_minutes`` (on the ticket's clock), ``outcome`` (one of
        :data:`OUTCOMES`, missing for customers without a label) and
        ``overdue`` (bool: unanswered and past its target at ``as_of``).
    """
    frame = ticket_targets(tickets, labels, config)
    frame["response_minutes"] = minutes_on_clock(
        frame["created_at"], frame["first_response_at"], frame["clock"], config)

    answered = frame["first_response_at"].notna()
    met = answered & (frame["response_minutes"] <= frame["target_minutes"])
    outcome = np.select([~answered, met, answered], ["no_response", "met", "breached"], default="")
    frame["outcome"] = pd.Series(outcome, index=frame.index, dtype="str").where(frame["label"].notna())
    frame["overdue"] = _overdue(frame, config, as_of)

    unlabelled = int(frame["label"].isna().sum())
    if unlabelled:
        logger.info("%d ticket(s) belong to customers without a label; they have no SLA target", unlabelled)
    return frame


def _overdue(frame: pd.DataFrame, config: Config, as_of: pd.Timestamp | None) -> pd.Series:
    """Return whether each unanswered ticket's target had passed at ``as_of``."""
    waiting = (frame["outcome"] == "no_response").fillna(False).astype(bool)
    if as_of is None or not waiting.any():
        return pd.Series(False, index=frame.index, dtype=bool)

    stamp = to_local(pd.Series([as_of]), config.timezone).iloc[0]
    until = pd.Series(stamp, index=frame.index)
    waited = minutes_on_clock(frame["created_at"], until, frame["clock"], config)
    return (waiting & (waited > frame["target_minutes"])).astype(bool)


def sla_attainment(outcomes: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Count outcomes and compute first-response attainment per label.

    Parameters
    ----------
    outcomes : DataFrame
        The result of :func:`sla_outcomes`.
    config : Config

    Returns
    -------
    DataFrame
        Indexed by label key, every configured label in order, columns:
        ``customers`` (with a ticket), ``tickets``, ``met``, ``breached``,
        ``no_response``, ``overdue`` (unanswered past target), ``attainment``
        = met / (met + breached + overdue), ``target_minutes``, ``clock`` and
        ``suppressed`` (fewer than ``review.min_group_size`` customers, so
        ``attainment`` is NaN).
    """
    judged = outcomes[outcomes["label"].notna()]
    grouped = judged.groupby("label", sort=False)
    by_outcome = judged.groupby(["label", "outcome"]).size().unstack("outcome")
    table = pd.DataFrame({
        "customers": grouped["customer_id"].nunique(),
        "tickets": grouped.size(),
        "overdue": grouped["overdue"].sum(),
    }).join(by_outcome.reindex(columns=list(OUTCOMES)))
    table = reindex_labels(table, config, counts=("customers", "tickets", *OUTCOMES, "overdue"))

    judged_count = table["met"] + table["breached"] + table["overdue"]
    table["attainment"] = (table["met"] / judged_count.where(judged_count > 0)).astype(float)
    table["target_minutes"] = [config.strategies[key].first_response_minutes for key in table.index]
    table["clock"] = [config.strategies[key].clock for key in table.index]
    table = table[["customers", "tickets", *OUTCOMES, "overdue", "attainment", "target_minutes", "clock"]]
    return suppress_small(table, ["attainment"], config)


def overall_attainment(outcomes: pd.DataFrame) -> float:
    """Return met / (met + breached + overdue) over all labelled tickets; NaN if none is judged."""
    judged = outcomes[outcomes["label"].notna()]
    met = int((judged["outcome"] == "met").sum())
    denominator = met + int((judged["outcome"] == "breached").sum()) + int(judged["overdue"].sum())
    return met / denominator if denominator else float("nan")
