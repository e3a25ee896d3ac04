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
from .i18n import SUPPORTED_LANGS, Catalog
from .rule_table import LabelRuleTable

logger = logging.getLogger(__name__)

_WINDOW_PATTERN = re.compile(r"^(\d+)([MD])$")

MESSAGES = Catalog({
    "unknown_section_keys": {
        "zh": "配置节 '{section}' 中有未知的键 {unknown}；允许的键：{allowed}。请检查拼写或删除该键。",
        "en": "unknown key(s) {unknown} in config section '{section}'; allowed keys: {allowed}. "
              "Check the spelling or remove the key.",
    },
    "unknown_key": {
        "zh": "未知的键 '{setting}'；此处允许的键：{allowed}。请检查拼写或删除该键。",
        "en": "unknown config key '{setting}'; allowed keys here: {allowed}. Check the spelling or remove the key.",
    },
    "not_fraction": {
        "zh": "配置项 '{setting}' 必须在 [0, 1] 之间，实际为 {value!r}",
        "en": "config '{setting}' must be a number in [0, 1], got {value!r}",
    },
    "not_positive": {
        "zh": "配置项 '{setting}' 必须是正数，实际为 {value!r}",
        "en": "config '{setting}' must be a positive number, got {value!r}",
    },
    "not_whole_number": {
        "zh": "配置项 '{setting}' 必须是不小于 {minimum} 的整数，实际为 {value!r}",
        "en": "config '{setting}' must be a whole number >= {minimum}, got {value!r}",
    },
    "bad_choice": {
        "zh": "配置项 '{setting}' 的值 {value!r} 无效；允许的值：{allowed}",
        "en": "config '{setting}' is {value!r}; allowed: {allowed}",
    },
    "bad_window": {
        "zh": "时间窗口 {window!r} 无效；请写成数量加单位，例如 '6M'（6 个月）或 '90D'（90 天）",
        "en": "window {window!r} is invalid; write a count and a unit, e.g. '6M' (months) or '90D' (days)",
    },
    "bad_clock_time": {
        "zh": "配置项 'working_hours.{setting}' 必须是 HH:MM 格式的时间，实际为 {value!r}",
        "en": "config 'working_hours.{setting}' must be HH:MM, got {value!r}",
    },
    "start_not_before_end": {
        "zh": "配置项 'working_hours.start'（{start}）必须早于 'end'（{end}）",
        "en": "config 'working_hours.start' ({start}) must be before 'end' ({end})",
    },
    "must_sum_to_one": {
        "zh": "配置项 '{setting}' 之和必须为 1，实际为 {values}（合计 {total}）；请调整各项使合计为 1",
        "en": "config '{setting}' must sum to 1, got {values} (sum {total}); adjust the values so they sum to 1",
    },
    "mid_not_below_high": {
        "zh": "配置项 'activity.{prefix}mid_min_per_month'（{mid}）必须小于 '{prefix}high_min_per_month'（{high}）",
        "en": "config 'activity.{prefix}mid_min_per_month' ({mid}) must be below "
              "'{prefix}high_min_per_month' ({high})",
    },
    "bad_tie_break": {
        "zh": "配置项 'need.tie_break' 必须把 {needs} 各列出一次，实际为 {order}",
        "en": "config 'need.tie_break' must list each of {needs} once, got {order}",
    },
    "issue_type_mapped_twice": {
        "zh": "问题类型 {issue_type!r} 在 'need_mapping' 中同时映射到 '{first}' 和 '{second}'；"
              "请只保留在一个需求类型下",
        "en": "issue type {issue_type!r} is mapped to both '{first}' and '{second}' in 'need_mapping'; "
              "keep it under one need type",
    },
    "strategies_not_per_label": {
        "zh": "'strategies' 必须为每个标签 {labels} 各配一项；缺少 {missing}，不是标签的有 {extra}",
        "en": "'strategies' must have one entry per label {labels}; missing {missing}, not a label {extra}",
    },
    "strategy_lacks_fields": {
        "zh": "配置项 'strategies.{label}' 缺少 {absent}",
        "en": "config 'strategies.{label}' lacks {absent}",
    },
    "bad_timezone": {
        "zh": "配置项 'timezone' 的值 {value!r} 不是 IANA 时区名；例如 Asia/Shanghai",
        "en": "config 'timezone' {value!r} is not an IANA time zone; e.g. Asia/Shanghai",
    },
    "bad_tier_names": {
        "zh": "配置项 'tiers.{dimension}' 必须恰好列出 {keys}，实际为 {given}",
        "en": "config 'tiers.{dimension}' must name exactly {keys}, got {given}",
    },
    "file_not_found": {
        "zh": "配置文件 {path} 不存在；请用 --config 指定一个已有的 YAML 文件",
        "en": "config file {path} not found; pass an existing YAML file with --config",
    },
    "file_not_utf8": {
        "zh": "配置文件 {path} 不是 UTF-8 编码（{reason}）；请将其另存为 UTF-8",
        "en": "config file {path} is not UTF-8 text ({reason}); save it as UTF-8",
    },
    "file_not_mapping": {
        "zh": "配置文件 {path} 的顶层必须是键值映射，实际为 {type}",
        "en": "config file {path} must hold a mapping of keys, got {type}",
    },
    "invalid_yaml_at": {
        "zh": "配置文件 {path} 不是有效的 YAML：第 {line} 行第 {column} 列，{problem}。请修正 YAML 语法。",
        "en": "config file {path} is not valid YAML at line {line}, column {column} ({problem}). "
              "Fix the YAML syntax.",
    },
    "invalid_yaml": {
        "zh": "配置文件 {path} 不是有效的 YAML：{problem}。请修正 YAML 语法。",
        "en": "config file {path} is not valid YAML ({problem}). Fix the YAML syntax.",
    },
    "in_file": {
        "zh": "配置文件 {path}：{message}",
        "en": "config file {path}: {message}",
    },
    "in_file_with_overrides": {
        "zh": "配置文件 {path}（合并覆盖项后）：{message}",
        "en": "config file {path} (merged with overrides): {message}",
    },
})


def _error(message_key: str, /, **fields: object) -> ConfigError:
    return ConfigError.from_catalog(MESSAGES, message_key, **fields)


def _check_keys(section: str, given: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise _error("unknown_section_keys", section=section, unknown=unknown, allowed=sorted(allowed))


def _fraction(section: str, key: str, value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
        raise _error("not_fraction", setting=f"{section}.{key}", value=value)
    return float(value)


def _positive(section: str, key: str, value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise _error("not_positive", setting=f"{section}.{key}", value=value)
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
        raise _error("bad_window", window=window)
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
            raise _error("unknown_key", setting=where, allowed=sorted(base))
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
        raise _error("bad_clock_time", setting=key, value=value) from None


def _build_value(raw: Mapping[str, Any]) -> ValueConfig:
    _check_keys("value", raw, {"contribution", "mix_weights", "shares", "boundary_margin"})
    if raw["contribution"] not in ("spend", "profit", "mix"):
        raise _error("bad_choice", setting="value.contribution", value=raw["contribution"],
                     allowed="spend, profit, mix")
    shares = {tier: _fraction("value.shares", tier, raw["shares"].get(tier)) for tier in VALUE_TIERS}
    _check_keys("value.shares", raw["shares"], set(VALUE_TIERS))
    if abs(sum(shares.values()) - 1) > 1e-9:
        raise _error("must_sum_to_one", setting="value.shares", values=shares, total=f"{sum(shares.values()):.3f}")
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
        raise _error("bad_choice", setting="activity.basis", value=raw["basis"], allowed="contacts, orders, auto")
    thresholds = {}
    for prefix in ("", "orders_"):
        high = _positive("activity", f"{prefix}high_min_per_month", raw[f"{prefix}high_min_per_month"])
        mid = _positive("activity", f"{prefix}mid_min_per_month", raw[f"{prefix}mid_min_per_month"])
        if mid >= high:
            raise _error("mid_not_below_high", prefix=prefix, mid=mid, high=high)
        thresholds[prefix] = (high, mid)
    recency = raw["recency_months"]
    if not isinstance(recency, int) or recency < 0:
        raise _error("not_whole_number", setting="activity.recency_months", minimum=0, value=recency)
    return ActivityConfig(raw["basis"], *thresholds[""], recency, *thresholds["orders_"])


def _build_need(raw: Mapping[str, Any]) -> NeedConfig:
    _check_keys("need", raw, {"tie_break", "repeat_inquiry_days"})
    order = tuple(raw["tie_break"])
    if sorted(order) != sorted(NEED_TYPES):
        raise _error("bad_tie_break", needs=list(NEED_TYPES), order=list(order))
    days = raw["repeat_inquiry_days"]
    if not isinstance(days, int) or days < 1:
        raise _error("not_whole_number", setting="need.repeat_inquiry_days", minimum=1, value=days)
    return NeedConfig(order, days)


def _build_need_mapping(raw: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    _check_keys("need_mapping", raw, set(NEED_TYPES))
    seen: dict[str, str] = {}
    for need_type, issue_types in raw.items():
        for issue_type in issue_types:
            key = str(issue_type).strip().lower()
            if key in seen and seen[key] != need_type:
                raise _error("issue_type_mapped_twice", issue_type=issue_type, first=seen[key], second=need_type)
            seen[key] = need_type
    return {need_type: tuple(str(item) for item in raw.get(need_type, [])) for need_type in NEED_TYPES}


def _build_strategies(raw: Mapping[str, Any], labels: Mapping[str, Any]) -> dict[str, Strategy]:
    missing = sorted(set(labels) - set(raw))
    extra = sorted(set(raw) - set(labels))
    if missing or extra:
        raise _error("strategies_not_per_label", labels=sorted(labels), missing=missing, extra=extra)
    fields = {
        "first_response_minutes", "clock", "dedicated_agent", "follow_up_days",
        "follow_up", "channels", "privileges",
    }
    strategies = {}
    for label, spec in raw.items():
        _check_keys(f"strategies.{label}", spec, fields)
        absent = sorted(fields - set(spec))
        if absent:
            raise _error("strategy_lacks_fields", label=label, absent=absent)
        if spec["clock"] not in CLOCKS:
            raise _error("bad_choice", setting=f"strategies.{label}.clock", value=spec["clock"],
                         allowed=", ".join(CLOCKS))
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
        raise _error("must_sum_to_one", setting="scoring.weights", values=weights,
                     total=f"{sum(weights.values()):.4f}")
    return weights


def _build(raw: dict[str, Any]) -> Config:
    try:
        ZoneInfo(raw["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise _error("bad_timezone", value=raw["timezone"]) from None
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
            raise _error("bad_tier_names", dimension=dimension, keys=list(keys), given=sorted(given))

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
        raise _error("start_not_before_end", start=start, end=end)

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
        Missing file, invalid YAML, unknown key, wrong type, value out of
        range, or a label-rule table with gaps, overlaps or unknown names.
        Errors found in a user file's content start with the file's path.
    """
    raw = _default_dict()
    if path is not None:
        path = Path(path)
        user = _read_user_file(path)
        try:
            raw = _merge(raw, user)
        except ConfigError as error:
            raise _in_file(path, error, "in_file") from error
        logger.info("config merged from %s", path)
    if overrides:
        raw = _merge(raw, overrides)

    try:
        return _build(raw)
    except ConfigError as error:
        if path is None:
            raise
        # With overrides the invalid value may come from them rather than the file.
        raise _in_file(path, error, "in_file_with_overrides" if overrides else "in_file") from error


def _read_user_file(path: Path) -> Mapping[str, Any]:
    """Read a user config file, raising ConfigError that names the file for every way it can be unreadable."""
    if not path.is_file():
        raise _error("file_not_found", path=path)
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError as error:
        raise _error("file_not_utf8", path=path, reason=error) from None
    try:
        user = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise _yaml_error(path, error) from None
    if not isinstance(user, Mapping):
        raise _error("file_not_mapping", path=path, type=type(user).__name__)
    return user


def _yaml_error(path: Path, error: yaml.YAMLError) -> ConfigError:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if mark is None:
        return _error("invalid_yaml", path=path, problem=problem)
    # yaml marks are 0-based; editors count lines and columns from 1.
    return _error("invalid_yaml_at", path=path, line=mark.line + 1, column=mark.column + 1, problem=problem)


def _in_file(path: Path, error: ConfigError, key: str) -> ConfigError:
    return ConfigError({lang: MESSAGES(key, lang, path=path, message=error.text(lang)) for lang in SUPPORTED_LANGS})
