"""Per-label tables: every label in its configured order, zero-filled, small groups suppressed.

Conventions for the whole file:

* a per-label table is indexed by label key (``vip``, ``regular``, ...) in
  the order of ``config.labels``, with every label present even when no
  customer carries it (counts 0, rates NaN);
* rates are fractions in [0, 1];
* a rate computed over fewer than ``config.review.min_group_size``
  customers is *suppressed*: its value is NaN and the table's ``suppressed``
  column is True, so a group of two is never shown as 0% or 100%.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd

from .config import Config
from .i18n import Catalog

logger = logging.getLogger(__name__)

WATCHED_LABELS = ("vip", "to_activate")
"""Labels the quarterly review looks at first: the VIP and to-be-activated segments."""

MESSAGES = Catalog({
    "suppressed": {"zh": "—（样本不足）", "en": "— (fewer than {minimum})"},
    "small_groups": {
        "zh": "{count} 个分组的客户数少于 {minimum}，其比率不予显示：{groups}",
        "en": "{count} group(s) have fewer than {minimum} customers, so their rates are suppressed: {groups}",
    },
})


def label_order(config: Config) -> list[str]:
    """Return the label keys in their configured order."""
    return list(config.labels)


def watched_first(config: Config) -> list[str]:
    """Return the label keys with the watched segments (VIP, to be activated) first.

    Labels a custom configuration does not define are skipped; the remaining
    labels follow in their configured order.
    """
    labels = label_order(config)
    watched = [label for label in WATCHED_LABELS if label in labels]
    return watched + [label for label in labels if label not in watched]


def count_by_label(labels: pd.Series, config: Config, name: str = "customers") -> pd.Series:
    """Count values per label key, with every configured label present.

    Parameters
    ----------
    labels : Series of str
        One label key per row; missing values are not counted.
    config : Config
    name : str
        Name of the returned Series.

    Returns
    -------
    Series of int64
        Indexed by label key in configured order, zero where no row has it.
    """
    counts = labels.dropna().value_counts()
    return counts.reindex(label_order(config), fill_value=0).astype("int64").rename(name)


def reindex_labels(table: pd.DataFrame, config: Config, counts: Sequence[str] = ()) -> pd.DataFrame:
    """Reindex a per-label table to every configured label in order.

    Columns named in ``counts`` are filled with 0 for absent labels; every
    other column is left NaN there, because a rate of nothing is undefined.
    """
    result = table.reindex(label_order(config))
    result.index.name = "label"
    for column in counts:
        result[column] = result[column].fillna(0).astype("int64")
    return result


def suppress_small(table: pd.DataFrame, rates: Sequence[str], config: Config,
                   size_column: str = "customers") -> pd.DataFrame:
    """Blank rates of groups with fewer than ``review.min_group_size`` customers.

    Parameters
    ----------
    table : DataFrame
        A per-label (or per-group) table with a customer count column.
    rates : sequence of str
        Columns to set to NaN in small groups.
    config : Config
    size_column : str
        The column with the number of customers behind each row.

    Returns
    -------
    DataFrame
        A copy with ``suppressed`` (bool) added and the rates of small groups
        set to NaN. Empty groups are suppressed too.
    """
    minimum = config.review.min_group_size
    result = table.copy()
    small = result[size_column] < minimum
    result["suppressed"] = small.to_numpy(dtype=bool)
    for column in rates:
        result[column] = result[column].astype(float).mask(small)

    occupied_small = result.index[small & (result[size_column] > 0)]
    if len(occupied_small):
        logger.info("%d group(s) with fewer than %d customers are suppressed: %s",
                       len(occupied_small), minimum, list(occupied_small))
    return result


def suppressed_marker(config: Config, lang: str = "zh") -> str:
    """Return the text shown in place of a suppressed rate, e.g. ``—（样本不足）``."""
    return MESSAGES("suppressed", lang, minimum=config.review.min_group_size)


def display_labels(keys: Sequence[str], config: Config, lang: str = "zh") -> list[str]:
    """Return the display names of label keys in ``lang``; unknown keys are shown as given."""
    return [config.label_name(key, lang) if key in config.labels else str(key) for key in keys]
