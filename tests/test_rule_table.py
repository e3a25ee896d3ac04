"""The label rule table: every combination mapped exactly once, errors name the rows."""

from __future__ import annotations

import re

import pytest

from segmentation.config import ACTIVITY_TIERS, NEED_TYPES_WITH_NONE, VALUE_TIERS
from segmentation.errors import ConfigError
from segmentation.rule_table import LabelRuleTable

LABELS = ("vip", "regular", "to_activate")


def build(records):
    return LabelRuleTable.from_records(
        records, labels=LABELS, value_tiers=VALUE_TIERS,
        activity_tiers=ACTIVITY_TIERS, need_types=NEED_TYPES_WITH_NONE,
    )


COMPLETE = [
    {"value": "high", "activity": "*", "need": "*", "label": "vip"},
    {"value": "mid", "activity": "*", "need": "*", "label": "regular"},
    {"value": "low", "activity": ["high", "mid"], "need": "*", "label": "regular"},
    {"value": "low", "activity": "low", "need": "*", "label": "to_activate"},
]


def test_wildcards_expand_to_all_combinations():
    table = build(COMPLETE)

    assert len(table.to_frame()) == 36
    assert table.lookup("low", "mid", "none") == "regular"
    assert table.lookup("low", "low", "after_sales") == "to_activate"


def test_gap_names_the_missing_combinations():
    with pytest.raises(ConfigError) as raised:
        build(COMPLETE[:3])

    assert re.search(r"gap: value=low, activity=low, need=after_sales matches no row", raised.value.text("en"))


def test_gap_message_chinese_by_default():
    with pytest.raises(ConfigError) as raised:
        build(COMPLETE[:3])

    expected_gaps = [
        f"缺口：value=low, activity=low, need={need} 没有匹配任何一行"
        for need in ("product_consultation", "after_sales", "potential_demand", "none")
    ]
    assert str(raised.value) == (
        "规则表 label_rules 必须把每种组合映射到恰好一个标签，请补上缺口、去掉重叠：\n  " + "\n  ".join(expected_gaps)
    )


def test_overlap_names_both_rows():
    records = COMPLETE + [{"value": "high", "activity": "low", "need": "none", "label": "regular"}]

    with pytest.raises(ConfigError) as raised:
        build(records)

    assert re.search(r"overlap: value=high, activity=low, need=none matches rows 1, 5", raised.value.text("en"))
    assert "重叠：value=high, activity=low, need=none 同时匹配第 1, 5 行" in str(raised.value)


def test_unknown_tier_names_row_and_allowed_values():
    records = COMPLETE + [{"value": "medium", "activity": "low", "need": "none", "label": "regular"}]

    with pytest.raises(ConfigError) as raised:
        build(records)

    assert re.search(r"row 5: unknown value \['medium'\]", raised.value.text("en"))
    assert str(raised.value) == (
        "规则表 label_rules 第 5 行：value 中有未知的取值 ['medium']；允许的值：['high', 'mid', 'low'] 或 '*'"
    )


def test_unknown_label_names_row():
    records = [dict(COMPLETE[0], label="gold")] + COMPLETE[1:]

    with pytest.raises(ConfigError) as raised:
        build(records)

    assert re.search(r"row 1: unknown label 'gold'", raised.value.text("en"))


def test_unknown_key_in_row_is_an_error():
    records = [dict(COMPLETE[0], priority=1)] + COMPLETE[1:]

    with pytest.raises(ConfigError) as raised:
        build(records)

    assert re.search(r"row 1: unknown keys \['priority'\]", raised.value.text("en"))


def test_empty_table_names_row_layout():
    with pytest.raises(ConfigError) as raised:
        build([])

    assert raised.value.text("en") == "label_rules must be a non-empty list of rows {value, activity, need, label}"
    assert str(raised.value) == "规则表 label_rules 必须是非空列表，每行包含 {value, activity, need, label}"


def test_lookup_of_unknown_combination_names_tiers():
    with pytest.raises(ValueError, match=r"no label for value='top'"):
        build(COMPLETE).lookup("top", "low", "none")
