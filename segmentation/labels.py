"""Composite labels: the rule table applied to the tiers, flags, strategy fields and display names.

Conventions that hold for the whole file:

* Tier and label values are stable keys (``high``, ``after_sales``, ``vip``);
  display names come from the configuration in the requested language.
* ``label_rule`` is the 1-based row of ``config.label_rules`` that matched,
  so every label points at the line an analyst would edit.
* The ``flags`` text lists the raised flag keys in the order of
  :data:`FLAG_KEYS`, comma-separated, and is empty when none is raised. A flag
  switched off in ``config.flags`` is never raised.
* Every function works on whole columns; none loops over customers.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .config import Config, Strategy
from .i18n import Catalog, check_lang, pick
from .rule_table import LabelRuleTable
from .tiers import tier_categorical

logger = logging.getLogger(__name__)

FLAG_KEYS = ("churn_risk", "upsell", "near_boundary")
STRATEGY_COLUMNS = ("first_response_minutes", "clock", "dedicated_agent", "follow_up_days")
DISPLAY_COLUMNS = {
    "value_tier": ("value", "value_tier_name"),
    "activity_tier": ("activity", "activity_tier_name"),
    "need_type": ("need", "need_type_name"),
}
UNAVAILABLE = "unavailable"

MESSAGES = Catalog({
    "unknown_tier": {
        "zh": "{column} 列含有规则表不认识的取值 {values}；允许的取值：{allowed}。",
        "en": "column {column} has values the rule table does not know: {values}; allowed: {allowed}.",
    },
    "unavailable": {"zh": "无法计算", "en": "not available"},
})


def expanded_rules(rule_table: LabelRuleTable) -> pd.DataFrame:
    """Return every tier combination with its label and the 1-based rule row that gives it.

    Rows are in the order of ``itertools.product`` over the value tiers,
    activity tiers and need types of ``rule_table.dimensions``, so row
    ``(v * n_activity + a) * n_need + n`` is the combination with codes
    ``(v, a, n)``.
    """
    dims = rule_table.dimensions
    rows = []
    for combination in itertools.product(dims["value"], dims["activity"], dims["need"]):
        rule = next(rule for rule in rule_table.rules if rule.matches(*combination))
        rows.append((*combination, rule.label, rule.row))
    return pd.DataFrame(rows, columns=["value", "activity", "need", "label", "label_rule"])


def _codes(values: pd.Series, allowed: tuple[str, ...], column: str, lang: str) -> np.ndarray:
    codes = pd.Index(list(allowed)).get_indexer(values).astype("int64")
    if (codes < 0).any():
        unknown = sorted(map(str, pd.unique(values[codes < 0])))
        raise ValueError(MESSAGES("unknown_tier", lang, column=column, values=unknown, allowed=list(allowed)))
    return codes


def apply_label_rules(tiers: pd.DataFrame, config: Config, *, lang: str = "zh") -> pd.DataFrame:
    """Give each customer the label of the rule row matching its three tiers.

    The lookup is a vectorised join on the expanded rule table: the three
    tier codes index the row of :func:`expanded_rules` directly.

    Parameters
    ----------
    tiers : DataFrame
        Columns ``value_tier``, ``activity_tier`` and ``need_type`` holding
        tier keys; the index is kept.
    config : Config
        Supplies ``label_rules`` and the label order of ``labels``.
    lang : {"zh", "en"}
        Language of error messages.

    Returns
    -------
    DataFrame
        ``label`` (ordered Categorical over the configured labels) and
        ``label_rule`` (int64, 1-based row of ``config.label_rules``).

    Raises
    ------
    ValueError
        A tier key that the rule table does not know, e.g. ``unavailable``;
        substitute the fallback tier before calling.
    """
    rule_table = config.label_rules
    dims = rule_table.dimensions
    value = _codes(tiers["value_tier"], dims["value"], "value_tier", lang)
    activity = _codes(tiers["activity_tier"], dims["activity"], "activity_tier", lang)
    need = _codes(tiers["need_type"], dims["need"], "need_type", lang)

    row = (value * len(dims["activity"]) + activity) * len(dims["need"]) + need
    table = expanded_rules(rule_table)
    return pd.DataFrame({
        "label": tier_categorical(table["label"].to_numpy()[row], list(config.labels)),
        "label_rule": table["label_rule"].to_numpy(dtype="int64")[row],
    }, index=tiers.index)


def flag_columns(tiers: pd.DataFrame, near_boundary: np.ndarray, enabled: Mapping[str, bool]) -> pd.DataFrame:
    """Raise the per-customer flags and join them into a text column.

    ``churn_risk`` is high value with low activity, ``upsell`` is the
    potential-demand need type and ``near_boundary`` is passed in from the
    value tierer.

    Parameters
    ----------
    tiers : DataFrame
        Columns ``value_tier``, ``activity_tier``, ``need_type``.
    near_boundary : ndarray of bool, shape (n_customers,)
    enabled : mapping of str to bool
        ``config.flags``; a flag set to False stays False for everyone.

    Returns
    -------
    DataFrame
        ``flags`` (str) and one bool column per key of :data:`FLAG_KEYS`.
    """
    raised = {
        "churn_risk": (tiers["value_tier"] == "high").to_numpy() & (tiers["activity_tier"] == "low").to_numpy(),
        "upsell": (tiers["need_type"] == "potential_demand").to_numpy(),
        "near_boundary": np.asarray(near_boundary, dtype=bool),
    }
    raised = {key: values & bool(enabled.get(key, True)) for key, values in raised.items()}

    # Each of the 2**3 flag patterns gets its text once, then one take per customer.
    pattern = sum(raised[key].astype("int64") << bit for bit, key in enumerate(FLAG_KEYS))
    texts = np.array([",".join(key for bit, key in enumerate(FLAG_KEYS) if combo >> bit & 1)
                      for combo in range(2 ** len(FLAG_KEYS))], dtype=object)
    columns = {"flags": pd.array(texts[pattern], dtype="str")}
    columns.update(raised)
    return pd.DataFrame(columns, index=tiers.index)


def strategy_columns(label: pd.Series, strategies: Mapping[str, Strategy]) -> pd.DataFrame:
    """Return the service-strategy fields of each customer's label.

    Returns
    -------
    DataFrame, index as ``label``
        ``first_response_minutes`` (float, minutes on ``clock``), ``clock``
        (``24x7`` or ``working_hours``), ``dedicated_agent`` (bool) and
        ``follow_up_days`` (int).
    """
    keys = pd.Index(list(strategies))
    position = keys.get_indexer(label.astype("str"))
    specs = [strategies[key] for key in keys]
    return pd.DataFrame({
        "first_response_minutes": np.array([spec.first_response_minutes for spec in specs], dtype="float64")[position],
        "clock": pd.array(np.array([spec.clock for spec in specs], dtype=object)[position], dtype="str"),
        "dedicated_agent": np.array([spec.dedicated_agent for spec in specs], dtype=bool)[position],
        "follow_up_days": np.array([spec.follow_up_days for spec in specs], dtype="int64")[position],
    }, index=label.index)


def add_display_names(labels: pd.DataFrame, config: Config, lang: str = "zh") -> pd.DataFrame:
    """Return a copy of ``labels`` with display names in ``lang`` next to the keys.

    Adds ``value_tier_name``, ``activity_tier_name``, ``need_type_name`` and
    ``label_name`` from ``config.tiers`` and ``config.labels``. The value tier
    ``unavailable`` (data without orders) gets a fixed name.
    """
    check_lang(lang)
    named = labels.copy()
    for column, (dimension, name_column) in DISPLAY_COLUMNS.items():
        names = {key: pick(text, lang) for key, text in config.tiers[dimension].items()}
        names[UNAVAILABLE] = MESSAGES("unavailable", lang)
        named[name_column] = _display(labels[column], names)
    label_names = {key: pick(text, lang) for key, text in config.labels.items()}
    named["label_name"] = _display(labels["label"], label_names)
    return named


def _display(values: pd.Series, names: Mapping[str, str]) -> pd.Series:
    keys = pd.Index(list(names))
    position = keys.get_indexer(values.astype("str"))
    texts = np.array(list(names.values()), dtype=object)
    # A key without a name keeps the key itself rather than turning into NaN.
    shown = np.where(position >= 0, texts[position], values.astype("str").to_numpy(dtype=object))
    return pd.Series(pd.array(shown, dtype="str"), index=values.index)
