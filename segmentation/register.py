"""The label register (客户关系分类管理表单): one record card per customer, and its summary.

A record card has four blocks: basic information, dimension results, service
strategy and follow-up records. Conventions that hold for the whole file:

* tier, need-type and label keys stay in their own columns, with the display
  name in the requested language in a ``<column>_name`` column beside them;
* personal columns (name, phone, e-mail) are included only on request, and
  are dropped even when the labels frame carries them;
* counts per label and tier list every key of the configuration in its order,
  zero-filled, so tables of different months line up;
* shares are fractions in [0, 1].
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .config import Config
from .export import PERSONAL_COLUMNS, drop_personal, output_format, write_table, write_workbook
from .i18n import Catalog, pick
from .labels import UNAVAILABLE, add_display_names
from .schema import Tables

logger = logging.getLogger(__name__)

MESSAGES = Catalog({
    "summary_sheet": {"zh": "汇总", "en": "Summary"},
    "section_label": {"zh": "综合标签", "en": "label"},
    "section_value_tier": {"zh": "价值分层", "en": "value tier"},
    "section_activity_tier": {"zh": "活跃分层", "en": "activity tier"},
    "section_need_type": {"zh": "需求类型", "en": "need type"},
    "section_value_share": {"zh": "价值分层占比", "en": "value-tier shares"},
    "section_note": {"zh": "说明", "en": "note"},
    "unavailable": {"zh": "无法计算", "en": "not available"},
})

REGISTER_COLUMNS = (
    # basic information
    "customer_id", *PERSONAL_COLUMNS, "industry", "region", "registered_at", "csat_mean_100", "csat_mean_5",
    # dimension results
    "value_tier", "value_tier_name", "contribution", "spend",
    "activity_tier", "activity_tier_name", "contacts_per_month", "orders_per_month",
    "need_type", "need_type_name", "need_share",
    "label", "label_name", "flags", "flags_name",
    "overridden", "rule_label", "override_reason", "override_by", "override_decided_at",
    # service strategy
    "dedicated_agent", "first_response_minutes", "clock", "follow_up_days", "follow_up", "channels", "privileges",
    # follow-up records
    "last_followup_at", "last_followup_purpose", "next_followup_due",
    "as_of",
)
FLAG_NAMES: Mapping[str, Mapping[str, str]] = {
    "churn_risk": {"zh": "流失风险", "en": "churn risk"},
    "upsell": {"zh": "增购机会", "en": "upsell opportunity"},
    "near_boundary": {"zh": "接近分层边界", "en": "near a tier boundary"},
}
_TIER_COLUMNS = {"value_tier": "value", "activity_tier": "activity", "need_type": "need"}
_SUMMARY_COLUMNS = ("section", "key", "display_name", "customers", "share", "intended_share")


def flag_keys(value: object) -> list[str]:
    """Return the flag keys of one ``flags`` cell: a list, or text separated by commas or semicolons."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(item) for item in value]
    if not isinstance(value, str):
        return []
    return [item.strip() for item in value.replace(";", ",").split(",") if item.strip()]


def _display_names(frame: pd.DataFrame, config: Config, lang: str) -> pd.DataFrame:
    result = add_display_names(frame, config, lang)
    if "flags" in result.columns:
        separator = "、" if lang == "zh" else ", "
        result["flags_name"] = result["flags"].map(
            lambda cell: separator.join(pick(FLAG_NAMES.get(key, key), lang) for key in flag_keys(cell))
        )
    return result


def _strategy_text(frame: pd.DataFrame, config: Config, lang: str) -> pd.DataFrame:
    result = frame.copy()
    separator = "、" if lang == "zh" else ", "
    for field in ("follow_up", "channels", "privileges"):
        texts = {}
        for label, strategy in config.strategies.items():
            text = pick(getattr(strategy, field), lang) if getattr(strategy, field) else ""
            texts[label] = text if isinstance(text, str) else separator.join(text)
        result[field] = result["label"].map(texts)
    return result


def _customer_details(frame: pd.DataFrame, customers: pd.DataFrame | None, with_contacts: bool) -> pd.DataFrame:
    if customers is None:
        return frame
    requested = ["industry", "region", "registered_at"] + (list(PERSONAL_COLUMNS) if with_contacts else [])
    present = [name for name in requested if name in customers.columns and name not in frame.columns]
    details = customers.drop_duplicates("customer_id").set_index("customer_id")[present]
    return frame.join(details, on="customer_id")


def _satisfaction(frame: pd.DataFrame, features: pd.DataFrame | None) -> pd.DataFrame:
    if features is None or "csat_mean_100" not in features.columns:
        return frame
    result = frame.join(features[["csat_mean_100"]], on="customer_id")
    # 0-100 back to the 1-5 scale the service team quotes ("4.8/5.0").
    result["csat_mean_5"] = 1 + 4 * result["csat_mean_100"] / 100
    return result


def _followups(frame: pd.DataFrame, followups: pd.DataFrame | None, as_of: pd.Timestamp | None) -> pd.DataFrame:
    if followups is None or len(followups) == 0:
        return frame
    done = followups if as_of is None else followups[followups["followup_at"] <= as_of]
    last = done.sort_values("followup_at", kind="stable").drop_duplicates("customer_id", keep="last")
    last = last.set_index("customer_id").rename(columns={"followup_at": "last_followup_at",
                                                         "purpose": "last_followup_purpose"})
    columns = [name for name in ("last_followup_at", "last_followup_purpose") if name in last.columns]
    result = frame.join(last[columns], on="customer_id")
    if "follow_up_days" in result.columns:
        days = pd.to_timedelta(result["follow_up_days"], unit="D")
        result["next_followup_due"] = (result["last_followup_at"] + days).dt.normalize()
    return result


def build_register(labels: pd.DataFrame, config: Config, *, features: pd.DataFrame | None = None,
                   tables: Tables | None = None, as_of: pd.Timestamp | None = None, with_contacts: bool = False,
                   lang: str = "zh") -> pd.DataFrame:
    """Assemble the record card of every customer: one row, the columns of :data:`REGISTER_COLUMNS`.

    Parameters
    ----------
    labels : DataFrame
        ``Classification.labels``: one row per customer with ``customer_id``.
    config : Config
    features : DataFrame, optional
        ``Classification.features`` (index ``customer_id``); gives the
        historical CSAT.
    tables : Tables, optional
        Gives industry, region, registration date, the personal columns and
        the follow-up records.
    as_of : Timestamp, optional
        Follow-ups after it are ignored; stored in the ``as_of`` column.
    with_contacts : bool
        Include name, phone and e-mail. Without it, they are dropped even if
        ``labels`` carries them.
    lang : {"zh", "en"}
        Language of the display names and strategy texts.

    Returns
    -------
    DataFrame
        Columns of :data:`REGISTER_COLUMNS` that the data supports, in that
        order, rows in the order of ``labels``.
    """
    frame = labels.reset_index() if "customer_id" not in labels.columns else labels.copy()
    frame["customer_id"] = frame["customer_id"].astype("str")

    frame = _customer_details(frame, getattr(tables, "customers", None), with_contacts)
    frame = _satisfaction(frame, features)
    frame = _display_names(frame, config, lang)
    frame = _strategy_text(frame, config, lang)
    frame = _followups(frame, getattr(tables, "followups", None), as_of)
    if as_of is not None:
        frame["as_of"] = as_of

    if not with_contacts:
        frame = drop_personal(frame)
    return frame[[name for name in REGISTER_COLUMNS if name in frame.columns]]


def _key_name(config: Config, section: str, key: str, lang: str) -> str:
    if section == "label":
        return config.label_name(key, lang)
    if key == UNAVAILABLE:
        return MESSAGES("unavailable", lang)
    return config.tier_name(_TIER_COLUMNS[section], key, lang)


def _section_keys(labels: pd.DataFrame, config: Config, section: str) -> list[str]:
    keys = list(config.labels) if section == "label" else list(config.tiers[_TIER_COLUMNS[section]])
    # A dimension the data cannot compute shows up as "unavailable", listed after the real tiers.
    seen = set(labels[section].dropna().astype("str"))
    return keys + ([UNAVAILABLE] if UNAVAILABLE in seen else [])


def count_by(labels: pd.DataFrame, config: Config, lang: str = "zh") -> pd.DataFrame:
    """Count customers per label and per tier of each dimension, every key listed in order, zero-filled.

    Returns
    -------
    DataFrame
        Columns ``section`` (``label``, ``value_tier``, ``activity_tier``,
        ``need_type``), ``key``, ``display_name``, ``customers`` and ``share``
        (a fraction of all customers).
    """
    rows = []
    total = max(len(labels), 1)
    for section in ("label", *_TIER_COLUMNS):
        if section not in labels.columns:
            continue
        keys = _section_keys(labels, config, section)
        counts = labels[section].astype("str").value_counts().reindex(keys, fill_value=0)
        for key, count in counts.items():
            rows.append({"section": section, "key": key, "display_name": _key_name(config, section, key, lang),
                         "customers": int(count), "share": count / total})
    return pd.DataFrame(rows, columns=["section", "key", "display_name", "customers", "share"])


def value_shares(labels: pd.DataFrame, config: Config, lang: str = "zh") -> pd.DataFrame:
    """Return each value tier's intended share next to its real share among ``labels``."""
    counts = labels["value_tier"].value_counts().reindex(list(config.tiers["value"]), fill_value=0)
    total = max(int(counts.sum()), 1)
    return pd.DataFrame({
        "key": counts.index,
        "display_name": [config.tier_name("value", key, lang) for key in counts.index],
        "customers": counts.to_numpy(),
        "intended_share": [config.value.shares[key] for key in counts.index],
        "share": counts.to_numpy() / total,
    })


def write_register(register: pd.DataFrame, path: str | Path, config: Config, *, notes: list[str] | None = None,
                   lang: str = "zh") -> Path:
    """Write the register in the format of the extension of ``path``.

    XLSX gets a summary sheet (customers per label and tier, value shares,
    notes) and one sheet per label of the configuration, empty ones included,
    so the workbook has the same sheets every month.
    """
    if output_format(path, lang) != ".xlsx":
        return write_table(register, path, lang=lang)

    sheets = {MESSAGES("summary_sheet", lang): summary_table(register, config, notes, lang)}
    for key in config.labels:
        sheets[config.label_name(key, lang)] = register[register["label"] == key]
    return write_workbook(sheets, path, lang)


def summary_table(labels: pd.DataFrame, config: Config, notes: list[str] | None = None,
                  lang: str = "zh") -> pd.DataFrame:
    """Stack the counts of :func:`count_by`, the value shares and the notes into one table.

    The ``section`` column contains display names, so the table can be shown as it is.
    """
    parts = [count_by(labels, config, lang)]
    if "value_tier" in labels.columns:
        parts.append(value_shares(labels, config, lang).assign(section="value_share"))
    if notes:
        parts.append(pd.DataFrame({"section": "note", "display_name": list(notes)}))
    table = pd.concat(parts, ignore_index=True)
    table["section"] = table["section"].map(lambda section: MESSAGES(f"section_{section}", lang))
    return table[[name for name in _SUMMARY_COLUMNS if name in table.columns]]
