"""The composite-label rule table and its completeness checks.

A rule is a row ``{value, activity, need, label}``; each of the first three
cells is one key, a list of keys, or ``"*"`` for any. Every combination of
value tier x activity tier x need type (need ``none`` included) must match
exactly one rule: a gap or an overlap is an error naming the rows, so the
table an analyst edits can never label a customer twice or not at all.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .errors import ConfigError
from .i18n import SUPPORTED_LANGS, Catalog

_RULE_KEYS = ("value", "activity", "need", "label")

MESSAGES = Catalog({
    "not_a_list": {
        "zh": "规则表 label_rules 必须是非空列表，每行包含 {{value, activity, need, label}}",
        "en": "label_rules must be a non-empty list of rows {{value, activity, need, label}}",
    },
    "row_not_mapping": {
        "zh": "规则表 label_rules 第 {row} 行必须是键值映射，实际为 {record!r}",
        "en": "label_rules row {row} must be a mapping, got {record!r}",
    },
    "row_keys": {
        "zh": "规则表 label_rules 第 {row} 行：未知的键 {unknown}，缺少的键 {missing}；每行必须恰好包含 {keys}",
        "en": "label_rules row {row}: unknown keys {unknown}, missing keys {missing}; each row needs exactly {keys}",
    },
    "unknown_label": {
        "zh": "规则表 label_rules 第 {row} 行：未知的标签 {label!r}；已定义的标签：{labels}",
        "en": "label_rules row {row}: unknown label {label!r}; defined labels: {labels}",
    },
    "unknown_cell": {
        "zh": "规则表 label_rules 第 {row} 行：{column} 中有未知的取值 {unknown}；允许的值：{allowed} 或 '*'",
        "en": "label_rules row {row}: unknown {column} {unknown}; allowed: {allowed} or '*'",
    },
    "gap": {
        "zh": "缺口：value={value}, activity={activity}, need={need} 没有匹配任何一行",
        "en": "gap: value={value}, activity={activity}, need={need} matches no row",
    },
    "overlap": {
        "zh": "重叠：value={value}, activity={activity}, need={need} 同时匹配第 {rows} 行",
        "en": "overlap: value={value}, activity={activity}, need={need} matches rows {rows}",
    },
    "incomplete": {
        "zh": "规则表 label_rules 必须把每种组合映射到恰好一个标签，请补上缺口、去掉重叠：\n  {problems}",
        "en": "label_rules must map every combination to exactly one label; fill each gap "
              "and remove each overlap:\n  {problems}",
    },
})


def _error(message_key: str, /, **fields: object) -> ConfigError:
    return ConfigError.from_catalog(MESSAGES, message_key, **fields)


@dataclass(frozen=True)
class LabelRule:
    """One row of the rule table, with its 1-based position for error messages."""

    row: int
    value: frozenset[str]
    activity: frozenset[str]
    need: frozenset[str]
    label: str

    def matches(self, value: str, activity: str, need: str) -> bool:
        """Return True if the combination falls under this rule."""
        return value in self.value and activity in self.activity and need in self.need


def _cell(row: int, key: str, cell: Any, allowed: Sequence[str]) -> frozenset[str]:
    if cell == "*":
        return frozenset(allowed)
    items = [cell] if isinstance(cell, str) else list(cell)
    unknown = [item for item in items if item not in allowed]
    if unknown:
        raise _error("unknown_cell", row=row, column=key, unknown=unknown, allowed=list(allowed))
    return frozenset(items)


def _incomplete_table_error(problems: Sequence[tuple[str, Mapping[str, str]]]) -> ConfigError:
    """Build one error listing every gap and overlap, one per line, in every language."""
    messages = {}
    for lang in SUPPORTED_LANGS:
        lines = [MESSAGES(key, lang, **fields) for key, fields in problems]
        messages[lang] = MESSAGES("incomplete", lang, problems="\n  ".join(lines))
    return ConfigError(messages)


@dataclass(frozen=True)
class LabelRuleTable:
    """Validated rule table mapping every tier combination to one label.

    Build it with :meth:`from_records`; apply it with :meth:`lookup` (one
    combination) or :meth:`to_frame` (the full expanded table).
    """

    rules: tuple[LabelRule, ...]
    mapping: Mapping[tuple[str, str, str], str]
    dimensions: Mapping[str, tuple[str, ...]]

    @classmethod
    def from_records(
        cls,
        records: Sequence[Mapping[str, Any]],
        *,
        labels: Sequence[str],
        value_tiers: Sequence[str],
        activity_tiers: Sequence[str],
        need_types: Sequence[str],
    ) -> "LabelRuleTable":
        """Parse and check a list of rule rows.

        Raises
        ------
        ConfigError
            A row with an unknown key, tier or label; a combination matched by
            no row (gap) or by several (overlap). Every gap and overlap is
            listed in one message.
        """
        if not isinstance(records, Sequence) or not records:
            raise _error("not_a_list")

        rules = []
        for row, record in enumerate(records, start=1):
            if not isinstance(record, Mapping):
                raise _error("row_not_mapping", row=row, record=record)
            unknown = sorted(set(record) - set(_RULE_KEYS))
            missing = [key for key in _RULE_KEYS if key not in record]
            if unknown or missing:
                raise _error("row_keys", row=row, unknown=unknown, missing=missing, keys=list(_RULE_KEYS))
            if record["label"] not in labels:
                raise _error("unknown_label", row=row, label=record["label"], labels=list(labels))
            rules.append(LabelRule(
                row=row,
                value=_cell(row, "value", record["value"], value_tiers),
                activity=_cell(row, "activity", record["activity"], activity_tiers),
                need=_cell(row, "need", record["need"], need_types),
                label=record["label"],
            ))

        mapping, problems = {}, []
        for combo in itertools.product(value_tiers, activity_tiers, need_types):
            matched = [rule for rule in rules if rule.matches(*combo)]
            cells = {"value": combo[0], "activity": combo[1], "need": combo[2]}
            if not matched:
                problems.append(("gap", cells))
            elif len(matched) > 1:
                problems.append(("overlap", dict(cells, rows=", ".join(str(rule.row) for rule in matched))))
            else:
                mapping[combo] = matched[0].label
        if problems:
            raise _incomplete_table_error(problems)

        dimensions = {"value": tuple(value_tiers), "activity": tuple(activity_tiers), "need": tuple(need_types)}
        return cls(rules=tuple(rules), mapping=mapping, dimensions=dimensions)

    def lookup(self, value: str, activity: str, need: str) -> str:
        """Return the label of one combination."""
        try:
            return self.mapping[(value, activity, need)]
        except KeyError:
            raise ValueError(
                f"no label for value={value!r}, activity={activity!r}, need={need!r}; "
                f"tiers are {dict(self.dimensions)}"
            ) from None

    def to_frame(self) -> pd.DataFrame:
        """Return the expanded table, one row per combination, in tier order."""
        rows = [
            {"value": value, "activity": activity, "need": need, "label": label}
            for (value, activity, need), label in self.mapping.items()
        ]
        return pd.DataFrame(rows, columns=["value", "activity", "need", "label"])
