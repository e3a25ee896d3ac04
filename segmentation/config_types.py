"""Typed configuration objects: the validated form of the YAML configuration.

Instances are built and checked by :func:`segmentation.config.load_config`;
nothing here reads files. Shares and rates are fractions in [0, 1] and
durations are in minutes unless a field name says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from .rule_table import LabelRuleTable

VALUE_TIERS = ("high", "mid", "low")
ACTIVITY_TIERS = ("high", "mid", "low")
NEED_TYPES = ("product_consultation", "after_sales", "potential_demand")
NEED_TYPES_WITH_NONE = NEED_TYPES + ("none",)
CLOCKS = ("24x7", "working_hours")
SCORE_DIMENSIONS = ("value", "activity", "need", "loyalty")


@dataclass(frozen=True)
class CleaningConfig:
    """Cleaning rules applied to the canonical tables before classifying."""

    exclude_customer_status: tuple[str, ...]
    net_refunds: bool
    drop_cancelled_orders: bool
    drop_exact_duplicates: bool
    drop_missing_customer_id: bool
    drop_zero_amount_orders: bool
    non_product_codes: tuple[str, ...]


@dataclass(frozen=True)
class ValueConfig:
    """Value dimension: contribution measure and intended tier shares."""

    contribution: str
    mix_weights: Mapping[str, float]
    shares: Mapping[str, float]
    boundary_margin: float


@dataclass(frozen=True)
class ActivityConfig:
    """Activity dimension: contacts (or orders) per month thresholds and recency rule."""

    basis: str
    high_min_per_month: float
    mid_min_per_month: float
    recency_months: int
    orders_high_min_per_month: float
    orders_mid_min_per_month: float

    def thresholds(self, basis: str) -> tuple[float, float]:
        """Return the (high, mid) per-month thresholds for ``basis`` contacts or orders."""
        if basis == "orders":
            return self.orders_high_min_per_month, self.orders_mid_min_per_month
        return self.high_min_per_month, self.mid_min_per_month


@dataclass(frozen=True)
class NeedConfig:
    """Need dimension: tie-break order and repeat-inquiry gap."""

    tie_break: tuple[str, ...]
    repeat_inquiry_days: int


@dataclass(frozen=True)
class Strategy:
    """Service strategy of one label; text fields are ``{"zh": ..., "en": ...}``."""

    first_response_minutes: float
    clock: str
    dedicated_agent: bool
    follow_up_days: int
    follow_up: Mapping[str, str]
    channels: Mapping[str, list[str]]
    privileges: Mapping[str, list[str]]


@dataclass(frozen=True)
class ReviewConfig:
    """Monthly and quarterly review settings."""

    snapshot_dir: str
    flip_months: int
    min_group_size: int
    appeal_hours: float
    sla_goal: float
    significance: float


@dataclass(frozen=True)
class Config:
    """The validated configuration. Build it with :func:`load_config`."""

    timezone: str
    window: str
    cleaning: CleaningConfig
    need_mapping: Mapping[str, tuple[str, ...]]
    value: ValueConfig
    activity: ActivityConfig
    need: NeedConfig
    flags: Mapping[str, bool]
    tiers: Mapping[str, Mapping[str, Mapping[str, str]]]
    labels: Mapping[str, Mapping[str, str]]
    label_rules: LabelRuleTable
    strategies: Mapping[str, Strategy]
    working_start: time
    working_end: time
    review: ReviewConfig
    weights: Mapping[str, float]
    raw: Mapping[str, Any]

    @property
    def tz(self) -> ZoneInfo:
        """Time zone in which naive timestamps are read and periods are cut."""
        return ZoneInfo(self.timezone)

    def issue_type_to_need(self) -> dict[str, str]:
        """Return the lower-cased issue type -> need type lookup."""
        lookup: dict[str, str] = {}
        for need_type, issue_types in self.need_mapping.items():
            for issue_type in issue_types:
                lookup[issue_type.strip().lower()] = need_type
        return lookup

    def tier_name(self, dimension: str, key: str, lang: str = "zh") -> str:
        """Return the display name of a tier key such as ``("value", "high")``."""
        from .i18n import pick

        return pick(self.tiers[dimension][key], lang)

    def label_name(self, key: str, lang: str = "zh") -> str:
        """Return the display name of a label key such as ``"vip"``."""
        from .i18n import pick

        return pick(self.labels[key], lang)
