"""The quarter under review: its bounds, each customer's label at its start and end, and its events.

Conventions for the whole file:

* a quarter runs from its first local midnight up to, not including, the
  first local midnight of the next quarter, in ``config.timezone``;
* the label *at the start* of a quarter is the monthly snapshot of the month
  before the quarter begins (``labels_2024-03.parquet`` for 2024Q2) when
  that file exists, else the result of
  :func:`segmentation.classification.classify` at the quarter start minus one
  second. The label *at the end* is, likewise, the snapshot of the
  quarter's last month or the classification at its end minus one second;
* an event (ticket, order, follow-up, override decision) belongs to the
  quarter when its timestamp falls inside those bounds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import review
from .classification import LABEL_COLUMNS, classify
from .config import Config
from .i18n import Catalog
from .periods import parse_quarter
from .schema import Tables

logger = logging.getLogger(__name__)

ONE_SECOND = pd.Timedelta(seconds=1)

MESSAGES = Catalog({
    "snapshot": {"zh": "月度快照 {file}", "en": "monthly snapshot {file}"},
    "classified": {"zh": "按截至 {as_of} 的数据重新分类", "en": "classified from the data up to {as_of}"},
    "before_data": {"zh": "{as_of} 之前还没有任何客户记录", "en": "no customer has a record before {as_of}"},
})


@dataclass(frozen=True)
class QuarterData:
    """Everything the KPI functions read about one quarter.

    Attributes
    ----------
    quarter : str
        The quarter, ``YYYYQn``.
    start, end : Timestamp
        Local bounds, ``start`` inclusive and ``end`` exclusive.
    tables : Tables
        The whole cleaned data source, not cut to the quarter.
    config : Config
    labels_start, labels_end : DataFrame
        One row per customer with at least ``customer_id`` and ``label``
        (and ``value_tier`` when the data has orders), at the start and at
        the end of the quarter.
    label_sources : dict of str to str
        How each label set was obtained (snapshot file or classification),
        for the report.
    """

    quarter: str
    start: pd.Timestamp
    end: pd.Timestamp
    tables: Tables
    config: Config
    labels_start: pd.DataFrame
    labels_end: pd.DataFrame
    label_sources: dict[str, str]

    def events(self, table: str, column: str) -> pd.DataFrame | None:
        """Return the rows of ``table`` whose ``column`` timestamp falls in the quarter.

        None when the source has no such table or the table lacks ``column``.
        """
        frame = getattr(self.tables, table)
        if frame is None or column not in frame.columns:
            return None
        stamps = frame[column]
        return frame[(stamps >= self.start) & (stamps < self.end)]

    def start_label_of(self, customer_ids: pd.Series) -> pd.Series:
        """Return the start-of-quarter label key of each customer id; missing if unlabelled."""
        lookup = self.labels_start.drop_duplicates("customer_id").set_index("customer_id")["label"]
        return customer_ids.astype("str").map(lookup)


def snapshot_file(snapshot_dir: str | Path | None, month: pd.Period) -> Path | None:
    """Return the label snapshot file of ``month`` if it exists, else None."""
    if not snapshot_dir:
        return None
    path = review.snapshot_path(month, snapshot_dir)
    return path if path.is_file() else None


def labels_at(tables: Tables, config: Config, boundary: pd.Timestamp,
              snapshot_dir: str | Path | None = None, lang: str = "zh") -> tuple[pd.DataFrame, str]:
    """Return each customer's label just before ``boundary`` and where it came from.

    Parameters
    ----------
    tables : Tables
    config : Config
    boundary : Timestamp
        A local month start (a quarter start or end).
    snapshot_dir : str or Path, optional
        Folder of monthly snapshots ``labels_<YYYY-MM>.parquet``. The
        snapshot of the month before ``boundary`` is used when present.
    lang : {"zh", "en"}
        Language of the returned source description.

    Returns
    -------
    labels : DataFrame
        One row per customer: ``customer_id``, ``label`` and the other
        columns of :func:`segmentation.classification.classify`'s labels frame.
    source : str
        A description such as ``monthly snapshot labels_2024-03.parquet``.
    """
    month = pd.Period(boundary.tz_localize(None) - ONE_SECOND, freq="M")
    path = snapshot_file(snapshot_dir, month)
    if path is not None:
        logger.info("labels before %s read from snapshot %s", boundary, path)
        return review.load_snapshot(month, snapshot_dir, lang), MESSAGES("snapshot", lang, file=path.name)

    as_of = boundary - ONE_SECOND
    if not _anyone_registered(tables, as_of):
        # When the data starts inside the quarter, no customer exists at its start.
        # The start labels are then empty, so every customer counts as new.
        empty = pd.DataFrame({column: pd.Series(dtype="object") for column in LABEL_COLUMNS})
        return empty, MESSAGES("before_data", lang, as_of=f"{as_of:%Y-%m-%d %H:%M:%S}")
    logger.info("labels before %s classified at %s", boundary, as_of)
    result = classify(tables, config, as_of=as_of, lang=lang)
    return result.labels, MESSAGES("classified", lang, as_of=f"{as_of:%Y-%m-%d %H:%M:%S}")


def _anyone_registered(tables: Tables, as_of: pd.Timestamp) -> bool:
    """Return True if some customer exists at ``as_of``, by the rule classify applies.

    A customer exists once registered; one without ``registered_at`` exists
    from the start, unless the customer table was derived from orders and
    tickets, where no date means no usable record.
    """
    customers = tables.customers
    if "registered_at" not in customers:
        return len(customers) > 0 and not tables.customers_derived
    registered = customers["registered_at"]
    exists = (registered <= as_of).fillna(False).astype(bool)
    if not tables.customers_derived:
        exists = exists | registered.isna()
    return bool(exists.any())


def build_quarter(tables: Tables, config: Config, quarter: str, *,
                  snapshot_dir: str | Path | None = None, lang: str = "zh",
                  known_labels: dict[pd.Timestamp, tuple[pd.DataFrame, str]] | None = None) -> QuarterData:
    """Collect the bounds and the start and end labels of ``quarter``.

    Parameters
    ----------
    tables : Tables
    config : Config
    quarter : str
        ``YYYYQn``, read in ``config.timezone``.
    snapshot_dir : str or Path, optional
        Folder of monthly label snapshots; see :func:`labels_at`.
    lang : {"zh", "en"}
    known_labels : dict, optional
        Labels already computed, keyed by boundary; filled in by this call so
        that the previous quarter's end reuses the current quarter's start.

    Returns
    -------
    QuarterData

    Raises
    ------
    ParameterError
        If ``quarter`` is not written ``YYYYQn``.
    """
    period = parse_quarter(quarter, config.timezone, lang=lang)
    start, end = period.start, period.end
    cache = known_labels if known_labels is not None else {}
    for boundary in (start, end):
        if boundary not in cache:
            cache[boundary] = labels_at(tables, config, boundary, snapshot_dir, lang)
    return QuarterData(
        quarter=period.label, start=start, end=end, tables=tables, config=config,
        labels_start=cache[start][0], labels_end=cache[end][0],
        label_sources={"start": cache[start][1], "end": cache[end][1]},
    )
