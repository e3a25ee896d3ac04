"""Label overrides from the appeal channel (分类申诉通道): applying and counting them.

A customer who disputes a label can have a supervisor verify it, and the
supervisor's decision is an override row: customer, label, reason, approver,
when it was requested, when it was decided and, optionally, when it expires.
:mod:`segmentation.overrides_check` validates and normalises the rows. This
module applies them to the rule labels and counts them for reports.

Conventions that hold for the whole file:

* an override is in force at ``as_of`` when ``decided_at <= as_of`` and
  ``expires_at`` is empty or later than ``as_of``; one decided after
  ``as_of`` is pending, one with ``expires_at <= as_of`` has expired;
* when several overrides of one customer are in force, the one decided last
  wins, and among equal decision times the later row of the file wins;
* a naive ``as_of`` is read in the configured time zone, and one given as a
  date alone means the end of that local day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from .config import Config
from .overrides_check import normalise_overrides, validate_overrides
from .windows import resolve_as_of

logger = logging.getLogger(__name__)

STRATEGY_FIELDS = ("first_response_minutes", "clock", "dedicated_agent", "follow_up_days")


@dataclass(frozen=True)
class OverrideSummary:
    """Counts of the appeal channel at one ``as_of``, for reports.

    Attributes
    ----------
    total : int
        Override rows read.
    applied : int
        Customers whose label is set by an override in force.
    superseded : int
        Rows in force but replaced by a later decision for the same customer.
    expired : int
        Rows whose ``expires_at`` is at or before ``as_of``.
    pending : int
        Rows decided after ``as_of``, so not yet in force.
    decided_in_time : int
        Rows decided by ``as_of`` within ``review.appeal_hours`` of the request.
    late : int
        Rows decided by ``as_of`` but later than ``review.appeal_hours``
        after the request.
    appeal_hours : float
        The decision deadline in hours.
    """

    total: int
    applied: int
    superseded: int
    expired: int
    pending: int
    decided_in_time: int
    late: int
    appeal_hours: float

def override_status(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Return each normalised row's status at ``as_of``: ``pending``, ``expired`` or ``in_force``.

    A row without a decision time is pending.
    """
    pending = frame["decided_at"].isna() | (frame["decided_at"] > as_of)
    expired = ~pending & frame["expires_at"].notna() & (frame["expires_at"] <= as_of)
    status = pd.Series("in_force", index=frame.index, dtype="str")
    status = status.mask(pending, "pending")
    return status.mask(expired, "expired")


def winning_overrides(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Return the one override in force per customer, indexed by ``customer_id``.

    The latest ``decided_at`` wins; a tie goes to the later row of the file.
    """
    in_force = frame[override_status(frame, as_of) == "in_force"]
    ordered = in_force.sort_values(["decided_at", "source_row"], kind="stable")
    return ordered.drop_duplicates("customer_id", keep="last").set_index("customer_id")


def late_decisions(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Return the normalised rows decided later than ``review.appeal_hours`` after the request.

    The result adds ``decision_hours``, the hours from request to decision.
    """
    hours = (frame["decided_at"] - frame["requested_at"]).dt.total_seconds() / 3600
    late = frame.assign(decision_hours=hours)
    return late[late["decision_hours"] > config.review.appeal_hours]


def _with_default_columns(labels: pd.DataFrame, tz: str) -> pd.DataFrame:
    result = labels.copy()
    result["overridden"] = False
    result["rule_label"] = result["label"]
    result["override_reason"] = pd.Series(pd.NA, index=result.index, dtype="str")
    result["override_by"] = pd.Series(pd.NA, index=result.index, dtype="str")
    result["override_decided_at"] = pd.Series(pd.NaT, index=result.index, dtype=f"datetime64[ns, {tz}]")
    return result


def _replace_with(result: pd.DataFrame, winners: pd.DataFrame, config: Config) -> pd.DataFrame:
    ids = result["customer_id"].astype("str")
    hit = ids.isin(winners.index)
    chosen = winners.reindex(ids[hit])
    result.loc[hit, "overridden"] = True
    result.loc[hit, "label"] = chosen["label"].to_numpy()
    result.loc[hit, "override_reason"] = chosen["reason"].to_numpy()
    result.loc[hit, "override_by"] = chosen["approved_by"].to_numpy()
    result.loc[hit, "override_decided_at"] = chosen["decided_at"].to_numpy()
    for name in STRATEGY_FIELDS:
        values = [getattr(config.strategies[label], name) for label in chosen["label"]]
        if name in result.columns:
            result.loc[hit, name] = pd.Series(values, index=result.index[hit], dtype=result[name].dtype)
    return result


def apply_overrides(labels: pd.DataFrame, overrides: pd.DataFrame | None, config: Config,
                    as_of: object, *, file: str | None = None, lang: str = "zh") -> pd.DataFrame:
    """Replace rule labels by the supervisor's override where one is in force.

    Parameters
    ----------
    labels : DataFrame
        One row per customer with ``customer_id``, ``label`` and the strategy
        fields ``first_response_minutes``, ``clock``, ``dedicated_agent``,
        ``follow_up_days``.
    overrides : DataFrame or None
        Rows of :data:`segmentation.schema.OVERRIDES`; None or empty adds the
        override columns with nothing overridden.
    config : Config
    as_of : timestamp-like
        The classification time; naive values are in ``config.timezone`` and
        a date alone means the end of that day.
    file : str, optional
        Path of the overrides file, named in error messages.
    lang : {"zh", "en"}

    Returns
    -------
    DataFrame
        A copy of ``labels`` with ``overridden`` (bool), ``rule_label`` (the
        label the rules gave), ``override_reason``, ``override_by`` and
        ``override_decided_at``. Where an override is in force, ``label`` and
        the strategy fields follow it.

    Raises
    ------
    DataValidationError
        See :func:`validate_overrides`.
    """
    result = _with_default_columns(labels, config.timezone)
    if overrides is None or len(overrides) == 0:
        return result

    stamp = resolve_as_of(as_of, config.timezone, lang)
    frame = validate_overrides(overrides, result["customer_id"], config, file=file, lang=lang)
    winners = winning_overrides(frame, stamp)
    result = _replace_with(result, winners, config)

    summary = summarize_frame(frame, winners, config, stamp)
    logger.info("overrides at %s: %d applied, %d superseded, %d expired, %d pending, %d decided late",
                stamp, summary.applied, summary.superseded, summary.expired, summary.pending, summary.late)
    return result


def summarize_frame(frame: pd.DataFrame, winners: pd.DataFrame, config: Config,
                    as_of: pd.Timestamp) -> OverrideSummary:
    """Count a normalised override frame at ``as_of``; see :func:`summarize_overrides`."""
    status = override_status(frame, as_of)
    decided = frame[status != "pending"]
    late = len(late_decisions(decided, config))
    in_force = int((status == "in_force").sum())
    return OverrideSummary(
        total=len(frame),
        applied=len(winners),
        superseded=in_force - len(winners),
        expired=int((status == "expired").sum()),
        pending=int((status == "pending").sum()),
        decided_in_time=len(decided) - late,
        late=late,
        appeal_hours=config.review.appeal_hours,
    )


def summarize_overrides(overrides: pd.DataFrame | None, config: Config, as_of: object) -> OverrideSummary:
    """Count applied, superseded, expired, pending, on-time and late overrides at ``as_of``.

    Unlike :func:`apply_overrides`, this does not check customers or labels,
    so a report can count the rows of a file that classification rejects.
    """
    if overrides is None or len(overrides) == 0:
        return OverrideSummary(0, 0, 0, 0, 0, 0, 0, config.review.appeal_hours)
    stamp = resolve_as_of(as_of, config.timezone)
    frame = normalise_overrides(overrides, config)
    winners = winning_overrides(frame, stamp)
    return summarize_frame(frame, winners, config, stamp)
