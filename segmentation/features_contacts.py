"""Per-customer features from service contacts (tickets): counts, need types, repeats, CSAT, times.

Conventions that hold for the whole file:

* Only contacts created in the window ``(start, as_of]`` are counted; the
  last and first contact look at every ticket up to ``as_of``.
* Need types are positions in :data:`~segmentation.config.NEED_TYPES`, and
  ``len(NEED_TYPES)`` means no signal (an unmapped or missing issue type).
  Issue types match the configured mapping ignoring case and surrounding spaces.
* Arrays have one entry per ticket or, for results, one per customer code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import NEED_TYPES, Config
from .windows import NO_TIME, NS_PER_DAY, NS_PER_MINUTE, grouped_reduce, to_epoch_ns

NEED_COUNT_COLUMNS = tuple(f"n_{need}" for need in NEED_TYPES) + ("n_no_signal",)
NEED_SHARE_COLUMNS = tuple(f"share_{need}" for need in NEED_TYPES)


def need_codes(issue_types: pd.Series, lookup: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Map each issue type to a need code and an issue-type key.

    Parameters
    ----------
    issue_types : Series of str, length n_tickets
        Raw issue types. Matching ignores case and surrounding spaces.
    lookup : dict
        Lower-cased issue type -> need type, from ``Config.issue_type_to_need``.

    Returns
    -------
    need : ndarray of int8, shape (n_tickets,)
        Position in ``NEED_TYPES``, or ``len(NEED_TYPES)`` for no signal
        (unmapped or missing issue type).
    issue_key : ndarray of int64, shape (n_tickets,)
        One code per normalised issue type, -1 when missing.
    """
    if isinstance(issue_types.dtype, pd.CategoricalDtype):
        codes, uniques = issue_types.cat.codes.to_numpy(), issue_types.cat.categories
    else:
        codes, uniques = pd.factorize(issue_types)
    normalised = pd.Index(uniques).astype("str").str.strip().str.lower()
    need_index = {need: position for position, need in enumerate(NEED_TYPES)}
    need_of_unique = np.array([need_index.get(lookup.get(text), len(NEED_TYPES)) for text in normalised],
                              dtype="int8")
    key_of_unique, _ = pd.factorize(normalised)

    need = np.full(len(codes), len(NEED_TYPES), dtype="int8")
    issue_key = np.full(len(codes), -1, dtype="int64")
    known = codes >= 0
    need[known] = need_of_unique[codes[known]]
    issue_key[known] = key_of_unique[codes[known]]
    return need, issue_key


def _repeat_inquiries(codes: np.ndarray, created: np.ndarray, issue_key: np.ndarray, in_window: np.ndarray,
                      n: int, gap_ns: int) -> np.ndarray:
    """Count contacts in the window whose previous contact had the same issue type within ``gap_ns``."""
    # Sorting by issue key as well puts same-time contacts in one order whatever
    # the input row order, so the count is reproducible.
    order = np.lexsort((issue_key, created, codes))
    codes, created, issue_key, in_window = codes[order], created[order], issue_key[order], in_window[order]
    repeat = (
        (codes[1:] == codes[:-1])
        & (issue_key[1:] == issue_key[:-1])
        & (issue_key[1:] >= 0)
        & (created[1:] - created[:-1] <= gap_ns)
        & in_window[1:]
    )
    return np.bincount(codes[1:][repeat], minlength=n)


def _minutes_between(tickets: pd.DataFrame, column: str, created: np.ndarray) -> np.ndarray:
    if column not in tickets.columns:
        return np.full(len(created), np.nan)
    later = to_epoch_ns(tickets[column])
    minutes = (later - created).astype("float64") / NS_PER_MINUTE
    return np.where((later == NO_TIME) | (created == NO_TIME), np.nan, minutes)


def contact_features(tickets: pd.DataFrame, codes: np.ndarray, n: int, start_ns: int, as_of_ns: int,
                     months: float, config: Config) -> dict[str, np.ndarray]:
    """Compute the contact features of ``n`` customers.

    Parameters
    ----------
    tickets : DataFrame
        Canonical tickets table, one row per ticket.
    codes : ndarray of int, shape (n_tickets,)
        Customer code of each ticket, -1 for a customer outside the table.
    n : int
        Number of customers.
    start_ns, as_of_ns : int
        Window ``(start, as_of]`` in ns since the epoch.
    months : float
        Window length in months, the divisor of ``contacts_per_month``.
    config : Config
        Supplies the issue-type mapping and ``need.repeat_inquiry_days``.

    Returns
    -------
    dict of str to ndarray, each of shape (n,)
        The contact columns of the feature table, plus ``_last_contact_ns``
        and ``_first_contact_ns`` (int64 ns, ``NO_TIME`` when none).
    """
    created = to_epoch_ns(tickets["created_at"])
    known = (codes >= 0) & (created != NO_TIME)
    in_window = known & (created > start_ns) & (created <= as_of_ns)
    so_far = known & (created <= as_of_ns)
    issue_types = tickets["issue_type"] if "issue_type" in tickets.columns else pd.Series(pd.NA, index=tickets.index)
    need, issue_key = need_codes(issue_types, config.issue_type_to_need())

    contacts = np.bincount(codes[in_window], minlength=n)
    slots = len(NEED_TYPES) + 1
    by_need = np.bincount(codes[in_window] * slots + need[in_window], minlength=n * slots).reshape(n, slots)
    with_signal = by_need[:, : len(NEED_TYPES)].sum(axis=1)
    result = {"contacts": contacts, "contacts_per_month": contacts / months}
    for position, column in enumerate(NEED_COUNT_COLUMNS):
        result[column] = by_need[:, position]
    for position, column in enumerate(NEED_SHARE_COLUMNS):
        result[column] = np.where(with_signal > 0, by_need[:, position] / np.maximum(with_signal, 1), 0.0)

    gap_ns = config.need.repeat_inquiry_days * NS_PER_DAY
    recent = so_far & (created > start_ns - gap_ns)
    result["repeat_inquiries"] = _repeat_inquiries(
        codes[recent], created[recent], issue_key[recent], in_window[recent], n, gap_ns)

    csat = tickets["csat_100"].to_numpy("float64", na_value=np.nan) if "csat_100" in tickets.columns \
        else np.full(len(tickets), np.nan)
    result["csat_mean_100"] = grouped_reduce(codes[in_window], csat[in_window], n, "mean", np.nan)
    for column, source in (("first_response_median_min", "first_response_at"),
                           ("resolution_median_min", "resolved_at")):
        minutes = _minutes_between(tickets, source, created)[in_window]
        result[column] = grouped_reduce(codes[in_window], minutes, n, "median", np.nan)
    result["_last_contact_ns"] = grouped_reduce(codes[so_far], created[so_far], n, "max", int(NO_TIME))
    result["_first_contact_ns"] = grouped_reduce(codes[so_far], created[so_far], n, "min", int(NO_TIME))
    return result


def no_contact_features(n: int) -> dict[str, np.ndarray]:
    """Return the contact columns for data without tickets: zero counts, NaN means and medians."""
    result = {"contacts": np.zeros(n, dtype="int64"), "contacts_per_month": np.zeros(n)}
    result.update({column: np.zeros(n, dtype="int64") for column in NEED_COUNT_COLUMNS})
    result.update({column: np.zeros(n) for column in NEED_SHARE_COLUMNS})
    result["repeat_inquiries"] = np.zeros(n, dtype="int64")
    for column in ("csat_mean_100", "first_response_median_min", "resolution_median_min"):
        result[column] = np.full(n, np.nan)
    result["_last_contact_ns"] = np.full(n, NO_TIME)
    result["_first_contact_ns"] = np.full(n, NO_TIME)
    return result
