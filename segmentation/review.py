"""The monthly review (月度分类复核): change lists, anomaly flags and label snapshots.

Conventions that hold for the whole file:

* a month is written ``YYYY-MM`` and covers its local days in the configured
  zone; "as of the end of a month" is the last nanosecond of its last day;
* a snapshot is one Parquet file ``<folder>/labels_<YYYY-MM>.parquet`` with
  the columns of :data:`SNAPSHOT_COLUMNS` that the labels carry. It is
  written to a temporary file and renamed, so an interrupted run leaves the
  old one in place;
* a change list has one row per customer seen in either month, sorted by id.
  ``changed`` is True when the label differs, and a customer present in only
  one month counts as changed;
* anomaly flags are booleans, False where the data cannot show the anomaly
  (no orders table, no history).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .config import VALUE_TIERS, Config, load_config
from .errors import ParameterError
from .export import atomic_path
from .i18n import Catalog

logger = logging.getLogger(__name__)

SNAPSHOT_COLUMNS = (
    "customer_id", "value_tier", "activity_tier", "need_type", "label", "flags",
    "churn_risk", "upsell", "near_boundary", "overridden", "as_of",
)
COMPARED_COLUMNS = ("label", "value_tier", "activity_tier", "need_type")
CHANGE_COLUMNS = ("customer_id", *(f"{side}_{name}" for name in COMPARED_COLUMNS for side in ("previous", "current")))
ANOMALY_FLAGS = ("value_jump", "low_activity_big_order", "flip_flop", "new_customer", "gone_customer")
BIG_ORDER_QUANTILE = 0.9
_NOT_PAID_STATUSES = ("cancelled", "unpaid", "refunded")
_MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_SNAPSHOT_NAME = re.compile(r"^labels_(\d{4}-\d{2})\.parquet$")

MESSAGES = Catalog({
    "bad_month": {
        "zh": "月份 {value!r} 格式不对；请写成 YYYY-MM，例如 2024-06。",
        "en": "month {value!r} is invalid; write it as YYYY-MM, e.g. 2024-06.",
    },
    "no_as_of": {
        "zh": "无法确定快照的分类时点：标签表没有 as_of 列；请传入 as_of。",
        "en": "cannot tell the as_of of the snapshot: the labels have no as_of column; pass as_of.",
    },
    "no_month": {
        "zh": "无法确定复核月份：本月标签没有 as_of 列；请传入 month（YYYY-MM）。",
        "en": "cannot tell the review month: the current labels have no as_of column; pass month (YYYY-MM).",
    },
    "no_snapshot": {
        "zh": "{path} 不存在：{month} 月没有标签快照；先对该月运行 reclassify。",
        "en": "{path} not found: there is no label snapshot for {month}; run reclassify for that month first.",
    },
})


def parse_month(month: object, lang: str = "zh") -> pd.Period:
    """Return ``"2024-06"`` (or a monthly Period) as a monthly :class:`pandas.Period`.

    Raises
    ------
    ParameterError
        If the text is not ``YYYY-MM`` with a month from 01 to 12.
    """
    if isinstance(month, pd.Period) and month.freqstr == "M":
        return month
    if not _MONTH_PATTERN.match(str(month).strip()):
        raise ParameterError(MESSAGES("bad_month", lang, value=month))
    return pd.Period(str(month).strip(), freq="M")


def month_end(month: object, timezone: str) -> pd.Timestamp:
    """Return the last nanosecond of ``month`` in local time of ``timezone``."""
    period = parse_month(month)
    next_start = (period + 1).start_time.tz_localize(timezone)
    return next_start - pd.Timedelta(1, "ns")


def month_bounds(month: object, timezone: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return ``[start, end)`` of ``month`` in local time of ``timezone``."""
    period = parse_month(month)
    return period.start_time.tz_localize(timezone), (period + 1).start_time.tz_localize(timezone)


def snapshot_path(month: object, folder: str | Path) -> Path:
    """Return the path of the snapshot of ``month`` in ``folder``."""
    return Path(folder) / f"labels_{parse_month(month)}.parquet"


def save_snapshot(labels: pd.DataFrame, month: object, folder: str | Path, *,
                  as_of: pd.Timestamp | None = None, lang: str = "zh") -> Path:
    """Write the label snapshot of ``month`` to ``<folder>/labels_<YYYY-MM>.parquet``.

    Parameters
    ----------
    labels : DataFrame
        One row per customer; the columns of :data:`SNAPSHOT_COLUMNS` that
        are present are kept, others dropped (no personal data is stored).
    month : str or Period
        ``YYYY-MM``.
    folder : str or Path
        Created if missing.
    as_of : Timestamp, optional
        Classification time stored with every row; required unless
        ``labels`` has an ``as_of`` column.

    Returns
    -------
    Path
        The snapshot file. An existing snapshot of the month is replaced.
    """
    frame = labels.reset_index() if "customer_id" not in labels.columns else labels.copy()
    if as_of is not None:
        frame["as_of"] = as_of
    if "as_of" not in frame.columns:
        raise ParameterError(MESSAGES("no_as_of", lang))

    path = snapshot_path(month, folder)
    if path.exists():
        logger.info("replacing the label snapshot %s", path)
    snapshot = frame[[name for name in SNAPSHOT_COLUMNS if name in frame.columns]]
    with atomic_path(path) as temporary:
        snapshot.to_parquet(temporary, index=False)
    logger.info("saved %d labels of %s to %s", len(snapshot), parse_month(month), path)
    return path


def load_snapshot(month: object, folder: str | Path, lang: str = "zh") -> pd.DataFrame:
    """Read the snapshot of ``month``.

    Raises
    ------
    FileNotFoundError
        If the month has no snapshot in ``folder``.
    """
    path = snapshot_path(month, folder)
    if not path.is_file():
        raise FileNotFoundError(MESSAGES("no_snapshot", lang, path=path, month=parse_month(month)))
    return pd.read_parquet(path)


def load_history(folder: str | Path) -> pd.DataFrame:
    """Read every snapshot in ``folder`` into one long table with a ``month`` column (``YYYY-MM``).

    Files whose names do not match ``labels_YYYY-MM.parquet`` are ignored. A
    missing or empty folder gives an empty table.
    """
    folder = Path(folder)
    paths = sorted(path for path in folder.glob("labels_*.parquet") if _SNAPSHOT_NAME.match(path.name))
    if not paths:
        return pd.DataFrame({name: pd.Series(dtype="str") for name in ("month", "customer_id", "label")})
    frames = [pd.read_parquet(path).assign(month=_SNAPSHOT_NAME.match(path.name).group(1)) for path in paths]
    history = pd.concat(frames, ignore_index=True)
    return history[["month", *[name for name in history.columns if name != "month"]]]


def existing_customers(labels: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """Keep the labels of customers registered or first seen by the classification time.

    A customer table exported later lists customers who did not exist yet at
    an earlier month end. They are left out, so they show up as new customers
    in the month they arrive. ``features["tenure_days"]`` is negative or
    missing for them.
    """
    existed = features["tenure_days"].ge(0)
    return labels[labels["customer_id"].isin(existed.index[existed])].reset_index(drop=True)


def _review_month(current: pd.DataFrame, month: object, timezone: str, lang: str) -> pd.Period:
    if month is not None:
        return parse_month(month, lang)
    if "as_of" not in current.columns or current["as_of"].isna().all():
        raise ParameterError(MESSAGES("no_month", lang))
    stamp = pd.Timestamp(current["as_of"].dropna().iloc[0])
    stamp = stamp.tz_localize(timezone) if stamp.tzinfo is None else stamp.tz_convert(timezone)
    return stamp.tz_localize(None).to_period("M")


def _one_side(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    frame = frame.reset_index() if "customer_id" not in frame.columns else frame
    side = frame[["customer_id", *[name for name in COMPARED_COLUMNS if name in frame.columns]]].copy()
    # Snapshots and fresh labels may carry different categories, which pandas refuses to compare.
    side = side.astype("str")
    return side.set_index("customer_id").add_prefix(prefix)


def _compared(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    joined = _one_side(previous, "previous_").join(_one_side(current, "current_"), how="outer").sort_index()
    for name in CHANGE_COLUMNS[1:]:
        if name not in joined.columns:
            joined[name] = pd.Series(pd.NA, index=joined.index, dtype="str")
    return joined[list(CHANGE_COLUMNS[1:])].reset_index()


def _presence_flags(changes: pd.DataFrame) -> pd.DataFrame:
    had, has = changes["previous_label"].notna(), changes["current_label"].notna()
    changes["new_customer"] = ~had & has
    changes["gone_customer"] = had & ~has
    same = changes["previous_label"] == changes["current_label"]
    changes["changed"] = ~(had & has & same.fillna(False).astype(bool))
    return changes


def value_jumps(previous: pd.Series, current: pd.Series) -> pd.Series:
    """Return True where the value tier moved by two tiers or more (low to high or high to low)."""
    rank = {tier: position for position, tier in enumerate(VALUE_TIERS)}
    distance = (previous.map(rank).astype("float64") - current.map(rank).astype("float64")).abs()
    return (distance >= 2).fillna(False).astype(bool)


def _paid_orders_in(orders: pd.DataFrame, month: pd.Period, timezone: str) -> pd.DataFrame:
    start, end = month_bounds(month, timezone)
    in_month = orders[(orders["order_date"] >= start) & (orders["order_date"] < end)]
    if "status" in in_month.columns:
        in_month = in_month[~in_month["status"].isin(_NOT_PAID_STATUSES)]
    if "order_id" in in_month.columns:
        # A source that keeps invoice lines has several rows per order, and the order amount is their sum.
        in_month = in_month.groupby("order_id", sort=False).agg(
            customer_id=("customer_id", "first"), amount=("amount", "sum"))
    return in_month[in_month["amount"] > 0]


def big_order_customers(orders: pd.DataFrame | None, month: pd.Period, timezone: str) -> set[str]:
    """Return the customers with an order in ``month`` among the top 10% of that month's order amounts.

    "Top 10%" means an amount at or above the 90th percentile (linear
    interpolation) of the month's paid orders with a positive amount.
    """
    if orders is None or len(orders) == 0:
        return set()
    paid = _paid_orders_in(orders, month, timezone)
    if len(paid) == 0:
        return set()
    threshold = float(np.quantile(paid["amount"].to_numpy(dtype="float64"), BIG_ORDER_QUANTILE))
    return set(paid.loc[paid["amount"] >= threshold, "customer_id"].astype("str"))


def flip_flops(changes: pd.DataFrame, history: pd.DataFrame | None, month: pd.Period,
               flip_months: int) -> pd.Series:
    """Return True where a changed label goes back to one the customer had in the last ``flip_months`` months.

    Only snapshots of the months before ``month`` count, back to
    ``month - flip_months``.
    """
    if history is None or len(history) == 0 or flip_months < 1:
        return pd.Series(False, index=changes.index)
    months = pd.PeriodIndex(history["month"].astype("str"), freq="M")
    recent = history[(months >= month - flip_months) & (months < month)]
    earlier = set(zip(recent["customer_id"].astype("str"), recent["label"].astype("str")))
    pairs = zip(changes["customer_id"], changes["current_label"])
    returned = pd.Series([pair in earlier for pair in pairs], index=changes.index)
    both_present = changes["previous_label"].notna() & changes["current_label"].notna()
    return returned & changes["changed"] & both_present


def reclassify(previous_labels: pd.DataFrame, current_labels: pd.DataFrame, *,
               history: pd.DataFrame | None = None, orders: pd.DataFrame | None = None,
               config: Config | None = None, month: object = None, lang: str = "zh") -> pd.DataFrame:
    """Compare two months of labels and flag customers whose behaviour jumped out of their tier.

    Parameters
    ----------
    previous_labels, current_labels : DataFrame
        One row per customer with ``customer_id``, ``label`` and the tiers
        (``value_tier``, ``activity_tier``, ``need_type``).
    history : DataFrame, optional
        Snapshots in long format (:func:`load_history`); needed for ``flip_flop``.
    orders : DataFrame, optional
        The canonical orders table; needed for ``low_activity_big_order``.
    config : Config, optional
        Gives the time zone and ``review.flip_months``; the defaults if None.
    month : str or Period, optional
        The review month ``YYYY-MM``; taken from ``current_labels["as_of"]``
        when omitted.
    lang : {"zh", "en"}

    Returns
    -------
    DataFrame
        ``customer_id``, ``previous_<x>`` and ``current_<x>`` for label,
        value tier, activity tier and need type, ``changed`` and the flags of
        :data:`ANOMALY_FLAGS`:

        * ``value_jump``: the value tier moved two tiers (low and high);
        * ``low_activity_big_order``: low activity last month and an order
          this month among the top 10% of the month's order amounts;
        * ``flip_flop``: the label changed back to one the customer had
          within ``review.flip_months`` months;
        * ``new_customer`` / ``gone_customer``: present in one month only.
    """
    config = config or load_config()
    changes = _presence_flags(_compared(previous_labels, current_labels))
    changes["value_jump"] = value_jumps(changes["previous_value_tier"], changes["current_value_tier"])

    needs_month = orders is not None or history is not None
    period = _review_month(current_labels, month, config.timezone, lang) if needs_month else None
    big = big_order_customers(orders, period, config.timezone) if orders is not None else set()
    was_low = changes["previous_activity_tier"] == "low"
    changes["low_activity_big_order"] = (was_low.fillna(False) & changes["customer_id"].isin(big)).astype(bool)
    changes["flip_flop"] = flip_flops(changes, history, period, config.review.flip_months)

    logger.info("monthly review %s: %d customers, %d changed, %s", period, len(changes),
                int(changes["changed"].sum()), {flag: int(changes[flag].sum()) for flag in ANOMALY_FLAGS})
    return changes[[*CHANGE_COLUMNS, "changed", *ANOMALY_FLAGS]]


def mover_counts(changes: pd.DataFrame) -> pd.DataFrame:
    """Count the changed customers per ``(previous_label, current_label)`` pair.

    A missing side (new or gone customer) stays missing. Rows are sorted by
    count, largest first, then by the labels.
    """
    moved = changes[changes["changed"]]
    counts = moved.groupby(["previous_label", "current_label"], dropna=False).size().rename("customers")
    counts = counts.reset_index()
    return counts.sort_values(["customers", "previous_label", "current_label"],
                              ascending=[False, True, True], kind="stable", na_position="last",
                              ignore_index=True)


def anomaly_counts(changes: pd.DataFrame) -> pd.Series:
    """Return the number of customers carrying each flag of :data:`ANOMALY_FLAGS`."""
    return pd.Series({flag: int(changes[flag].sum()) for flag in ANOMALY_FLAGS}, name="customers")
