"""Configuration: the classification standard's thresholds, weights, rules and strategies.

The packaged ``data/default_config.yaml`` contains the defaults. A user file is
merged over them key by key and the result is validated here, in one place,
before any work starts: an unknown key, a wrong type or a value out of range
raises :class:`~segmentation.errors.ConfigError` naming the key, the value and
what is allowed. Shares and rates are fractions in [0, 1]. The typed objects it returns are
defined in :mod:`segmentation.config_types` and importable from here.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Mapping
from datetime import time
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .config_types import (
    ACTIVITY_TIERS,
    CLOCKS,
    NEED_TYPES,
    NEED_TYPES_WITH_NONE,
    SCORE_DIMENSIONS,
    VALUE_TIERS,
    ActivityConfig,
    CleaningConfig,
    Config,
    NeedConfig,
    ReviewConfig,
    Strategy,
    ValueConfig,
)
from .errors import ConfigError
from .rule_table import LabelRuleTable

logger = logging.getLogger(__name__)

_WINDOW_PATTERN = re.compile(r"^(\d+)([MD])$")


def _check_keys(section: str, given: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise ConfigError(
            f"unknown key(s) {unknown} in config section '{section}'; "
            f"allowed keys: {sorted(allowed)}. Check the spelling or remove the key."
        )


def _fraction(section: str, key: str, value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ConfigError(
            f"config '{section}.{key}' must be a number in [0, 1], got {value!r}"
        )
    return float(value)


def _positive(section: str, key: str, value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"config '{section}.{key}' must be a positive number, got {value!r}")
    return float(value)


def parse_window(window: str) -> tuple[int, str]:
    """Split a window such as ``"6M"`` or ``"90D"`` into ``(6, "M")``.

    Raises
    ------
    ConfigError
        If the text is not ``<n>M`` or ``<n>D`` with ``n >= 1``.
    """
    match = _WINDOW_PATTERN.match(str(window).strip().upper())
    if not match or int(match.group(1)) == 0:
        raise ConfigError(
            f"window {window!r} is invalid; write a count and a unit, e.g. '6M' (months) or '90D' (days)"
        )
    return int(match.group(1)), match.group(2)


def _default_dict() -> dict[str, Any]:
    text = resources.files("segmentation").joinpath("data/default_config.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _merge(base: dict[str, Any], update: Mapping[str, Any], path: str = "") -> dict[str, Any]:
    """Merge ``update`` over ``base``; unknown keys are errors, lists and rule tables are replaced."""
    merged = copy.deepcopy(base)
    for key, value in update.items():
        where = f"{path}{key}"
        if key not in base:
            raise ConfigError(
                f"unknown config key '{where}'; allowed keys here: {sorted(base)}. "
                "Check the spelling or remove the key."
            )
        replace_whole = key in {"label_rules", "need_mapping", "labels", "strategies"}
        if isinstance(value, Mapping) and isinstance(base[key], Mapping) and not replace_whole:
            merged[key] = _merge(base[key], value, f"{where}.")
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _parse_clock_time(key: str, value: Any) -> time:
    try:
        hour, minute = (int(part) for part in str(value).split(":"))
        return time(hour, minute)
    except ValueError:
        raise ConfigError(f"config 'working_hours.{key}' must be HH:MM, got {value!r}") from None


def _build_value(raw: Mapping[str, Any]) -> ValueConfig:
    _check_keys("value", raw, {"contribution", "mix_weights", "shares", "boundary_margin"})
    if raw["contribution"] not in ("spend", "profit", "mix"):
        raise ConfigError(
            f"config 'value.contribution' is {raw['contribution']!r}; allowed: spend, profit, mix"
        )
    shares = {tier: _fraction("value.shares", tier, raw["shares"].get(tier)) for tier in VALUE_TIERS}
    _check_keys("value.shares", raw["shares"], set(VALUE_TIERS))
    if abs(sum(shares.values()) - 1) > 1e-9:
        raise ConfigError(f"config 'value.shares' must sum to 1, got {shares} (sum {sum(shares.values()):.3f})")
    weights = {key: _fraction("value.mix_weights", key, val) for key, val in raw["mix_weights"].items()}
    _check_keys("value.mix_weights", weights, {"spend", "profit"})
    return ValueConfig(
        contribution=raw["contribution"],
        mix_weights=weights,
        shares=shares,
        boundary_margin=_fraction("value", "boundary_margin", raw["boundary_margin"]),
    )


def _build_activity(raw: Mapping[str, Any]) -> ActivityConfig:
    _check_keys("activity", raw, {"basis", "high_min_per_month", "mid_min_per_month", "recency_months",
                                  "orders_high_min_per_month", "orders_mid_min_per_month"})
    if raw["basis"] not in ("contacts", "orders", "auto"):
        raise ConfigError(f"config 'activity.basis' is {raw['basis']!r}; allowed: contacts, orders, auto")
    thresholds = {}
    for prefix in ("", "orders_"):
        high = _positive("activity", f"{prefix}high_min_per_month", raw[f"{prefix}high_min_per_month"])
        mid = _positive("activity", f"{prefix}mid_min_per_month", raw[f"{prefix}mid_min_per_month"])
        if mid >= high:
            raise ConfigError(
                f"config 'activity.{prefix}mid_min_per_month' ({mid}) must be below "
                f"'{prefix}high_min_per_month' ({high})"
            )
        thresholds[prefix] = (high, mid)
    recency = raw["recency_months"]
    if not isinstance(recency, int) or recency < 0:
        raise ConfigError(f"config 'activity.recency_months' must be a whole number >= 0, got {recency!r}")
    return ActivityConfig(raw["basis"], *thresholds[""], recency, *thresholds["orders_"])


def _build_need(raw: Mapping[str, Any]) -> NeedConfig:
    _check_keys("need", raw, {"tie_break", "repeat_inquiry_days"})
    order = tuple(raw["tie_break"])
    if sorted(order) != sorted(NEED_TYPES):
        raise ConfigError(
            f"config 'need.tie_break' must list each of {list(NEED_TYPES)} once, got {list(order)}"
        )
    days = raw["repeat_inquiry_days"]
    if not isinstance(days, int) or days < 1:
        raise ConfigError(f"config 'need.repeat_inquiry_days' must be a whole number >= 1, got {days!r}")
    return NeedConfig(order, days)


def _build_need_mapping(raw: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    _check_keys("need_mapping", raw, set(NEED_TYPES))
    seen: dict[str, str] = {}
    for need_type, issue_types in raw.items():
        for issue_type in issue_types:
            key = str(issue_type).strip().lower()
            if key in seen and seen[key] != need_type:
                raise ConfigError(
                    f"issue type {issue_type!r} is mapped to both '{seen[key]}' and '{need_type}' "
                    "in 'need_mapping'; keep it under one need type"
                )
            seen[key] = need_type
    return {need_type: tuple(str(item) for item in raw.get(need_type, [])) for need_type in NEED_TYPES}


def _build_strategies(raw: Mapping[str, Any], labels: Mapping[str, Any]) -> dict[str, Strategy]:
    missing = sorted(set(labels) - set(raw))
    extra = sorted(set(raw) - set(labels))
    if missing or extra:
        raise ConfigError(
            f"'strategies' must have one entry per label {sorted(labels)}; "
            f"missing {missing}, not a label {extra}"
        )
    fields = {
        "first_response_minutes", "clock", "dedicated_agent", "follow_up_days",
        "follow_up", "channels", "privileges",
    }
    strategies = {}
    for label, spec in raw.items():
        _check_keys(f"strategies.{label}", spec, fields)
        absent = sorted(fields - set(spec))
        if absent:
            raise ConfigError(f"config 'strategies.{label}' lacks {absent}")
        if spec["clock"] not in CLOCKS:
            raise ConfigError(
                f"config 'strategies.{label}.clock' is {spec['clock']!r}; allowed: {', '.join(CLOCKS)}"
            )
        strategies[label] = Strategy(
            first_response_minutes=_positive(f"strategies.{label}", "first_response_minutes",
                                             spec["first_response_minutes"]),
            clock=spec["clock"],
            dedicated_agent=bool(spec["dedicated_agent"]),
            follow_up_days=int(spec["follow_up_days"]),
            follow_up=spec["follow_up"],
            channels=spec["channels"],
            privileges=spec["privileges"],
        )
    return strategies


def _build_weights(raw: Mapping[str, Any]) -> dict[str, float]:
    _check_keys("scoring", raw, {"weights"})
    _check_keys("scoring.weights", raw["weights"], set(SCORE_DIMENSIONS))
    weights = {dim: _fraction("scoring.weights", dim, raw["weights"].get(dim, 0.0)) for dim in SCORE_DIMENSIONS}
    if abs(sum(weights.values()) - 1) > 1e-6:
        raise ConfigError(
            f"config 'scoring.weights' must sum to 1, got {weights} (sum {sum(weights.values()):.4f})"
        )
    return weights


def _build(raw: dict[str, Any]) -> Config:
    try:
        ZoneInfo(raw["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"config 'timezone' {raw['timezone']!r} is not an IANA time zone; e.g. Asia/Shanghai"
        ) from None
    parse_window(raw["window"])

    cleaning = raw["cleaning"]
    _check_keys("cleaning", cleaning, {f for f in CleaningConfig.__dataclass_fields__})
    cleaning_config = CleaningConfig(
        exclude_customer_status=tuple(cleaning["exclude_customer_status"]),
        net_refunds=bool(cleaning["net_refunds"]),
        drop_cancelled_orders=bool(cleaning["drop_cancelled_orders"]),
        drop_exact_duplicates=bool(cleaning["drop_exact_duplicates"]),
        drop_missing_customer_id=bool(cleaning["drop_missing_customer_id"]),
        drop_zero_amount_orders=bool(cleaning["drop_zero_amount_orders"]),
        non_product_codes=tuple(str(code) for code in cleaning["non_product_codes"]),
    )

    _check_keys("flags", raw["flags"], {"churn_risk", "upsell", "near_boundary"})
    _check_keys("tiers", raw["tiers"], {"value", "activity", "need"})
    for dimension, keys in (("value", VALUE_TIERS), ("activity", ACTIVITY_TIERS), ("need", NEED_TYPES_WITH_NONE)):
        given = set(raw["tiers"][dimension])
        if given != set(keys):
            raise ConfigError(
                f"config 'tiers.{dimension}' must name exactly {list(keys)}, got {sorted(given)}"
            )

    labels = raw["labels"]
    rule_table = LabelRuleTable.from_records(
        raw["label_rules"],
        labels=tuple(labels),
        value_tiers=VALUE_TIERS,
        activity_tiers=ACTIVITY_TIERS,
        need_types=NEED_TYPES_WITH_NONE,
    )

    hours = raw["working_hours"]
    _check_keys("working_hours", hours, {"start", "end"})
    start, end = _parse_clock_time("start", hours["start"]), _parse_clock_time("end", hours["end"])
    if start >= end:
        raise ConfigError(f"config 'working_hours.start' ({start}) must be before 'end' ({end})")

    review = raw["review"]
    _check_keys("review", review, {"snapshot_dir", "flip_months", "min_group_size", "appeal_hours",
                                   "sla_goal", "significance"})

    return Config(
        timezone=raw["timezone"],
        window=str(raw["window"]).upper(),
        cleaning=cleaning_config,
        need_mapping=_build_need_mapping(raw["need_mapping"]),
        value=_build_value(raw["value"]),
        activity=_build_activity(raw["activity"]),
        need=_build_need(raw["need"]),
        flags={key: bool(val) for key, val in raw["flags"].items()},
        tiers=raw["tiers"],
        labels=labels,
        label_rules=rule_table,
        strategies=_build_strategies(raw["strategies"], labels),
        working_start=start,
        working_end=end,
        review=ReviewConfig(
            snapshot_dir=str(review["snapshot_dir"]),
            flip_months=int(review["flip_months"]),
            min_group_size=int(review["min_group_size"]),
            appeal_hours=float(review["appeal_hours"]),
            sla_goal=_fraction("review", "sla_goal", review["sla_goal"]),
            significance=_fraction("review", "significance", review["significance"]),
        ),
        weights=_build_weights(raw["scoring"]),
        raw=raw,
    )


def load_config(path: str | Path | None = None, overrides: Mapping[str, Any] | None = None) -> Config:
    """Load the default configuration, merge a user file and overrides over it, and validate.

    Parameters
    ----------
    path : str or Path, optional
        A YAML file with any subset of the default keys.
    overrides : mapping, optional
        Nested keys applied last, e.g. ``{"value": {"shares": {...}}}``; the
        weight-tuning output is such a mapping.

    Returns
    -------
    Config

    Raises
    ------
    ConfigError
        Unknown key, wrong type, value out of range, or a label-rule table
        with gaps, overlaps or unknown names.
    """
    raw = _default_dict()
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} not found; pass an existing YAML file with --config")
        user = yaml.safe_load(path.read_text("utf-8")) or {}
        if not isinstance(user, Mapping):
            raise ConfigError(f"config file {path} must hold a mapping of keys, got {type(user).__name__}")
        raw = _merge(raw, user)
        logger.info("config merged from %s", path)
    if overrides:
        raw = _merge(raw, overrides)
    return _build(raw)
