"""The label rule table: every combination mapped exactly once, errors name the rows."""

from __future__ import annotations

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
    with pytest.raises(ConfigError, match=r"gap: value=low, activity=low, need=after_sales matches no row"):
        build(COMPLETE[:3])


def test_overlap_names_both_rows():
    records = COMPLETE + [{"value": "high", "activity": "low", "need": "none", "label": "regular"}]

    with pytest.raises(ConfigError, match=r"overlap: value=high, activity=low, need=none matches rows 1, 5"):
        build(records)


def test_unknown_tier_names_row_and_allowed_values():
    records = COMPLETE + [{"value": "medium", "activity": "low", "need": "none", "label": "regular"}]

    with pytest.raises(ConfigError, match=r"row 5: unknown value \['medium'\]"):
        build(records)


def test_unknown_label_names_row():
    records = [dict(COMPLETE[0], label="gold")] + COMPLETE[1:]

    with pytest.raises(ConfigError, match=r"row 1: unknown label 'gold'"):
        build(records)


def test_unknown_key_in_row_is_an_error():
    records = [dict(COMPLETE[0], priority=1)] + COMPLETE[1:]

    with pytest.raises(ConfigError, match=r"row 1: unknown keys \['priority'\]"):
        build(records)


def test_lookup_of_unknown_combination_names_tiers():
    with pytest.raises(ValueError, match=r"no label for value='top'"):
        build(COMPLETE).lookup("top", "low", "none")
