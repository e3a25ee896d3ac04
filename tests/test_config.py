"""Configuration loading: defaults, merging, and validation errors that name the key."""

from __future__ import annotations

import pytest
import yaml

from segmentation.config import load_config, parse_window
from segmentation.errors import ConfigError


def write_yaml(path, data):
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_defaults_follow_the_standard():
    config = load_config()

    assert config.value.shares == {"high": 0.10, "mid": 0.60, "low": 0.30}
    assert config.activity.high_min_per_month == 3.0
    assert config.activity.mid_min_per_month == 1.0
    assert config.activity.recency_months == 3
    assert config.strategies["vip"].first_response_minutes == 15
    assert config.strategies["vip"].clock == "24x7"
    assert config.strategies["regular"].first_response_minutes == 120
    assert config.strategies["regular"].clock == "working_hours"
    assert config.timezone == "Asia/Shanghai"


def test_default_rule_table_covers_all_36_combinations():
    table = load_config().label_rules.to_frame()

    assert len(table) == 36
    assert table.duplicated(["value", "activity", "need"]).sum() == 0


@pytest.mark.parametrize(
    ("combo", "label"),
    [
        (("high", "high", "after_sales"), "vip"),
        (("mid", "mid", "product_consultation"), "regular"),
        (("low", "low", "potential_demand"), "to_activate"),
        (("high", "low", "none"), "vip"),
    ],
    ids=["vip-example", "regular-example", "to-activate-example", "value-decides"],
)
def test_worked_examples_of_the_standard(combo, label):
    assert load_config().label_rules.lookup(*combo) == label


def test_user_file_merges_over_defaults(tmp_path):
    path = write_yaml(tmp_path / "c.yaml", {"activity": {"high_min_per_month": 4}})

    config = load_config(path)

    assert config.activity.high_min_per_month == 4.0
    assert config.activity.mid_min_per_month == 1.0


def test_unknown_top_level_key_names_allowed_keys(tmp_path):
    path = write_yaml(tmp_path / "c.yaml", {"valeu": {"shares": {}}})

    with pytest.raises(ConfigError, match=r"unknown config key 'valeu'.*allowed keys"):
        load_config(path)


def test_unknown_nested_key_is_an_error(tmp_path):
    path = write_yaml(tmp_path / "c.yaml", {"activity": {"high_min": 4}})

    with pytest.raises(ConfigError, match=r"'activity.high_min'"):
        load_config(path)


def test_shares_must_sum_to_one():
    with pytest.raises(ConfigError, match=r"must sum to 1"):
        load_config(overrides={"value": {"shares": {"high": 0.2, "mid": 0.6, "low": 0.3}}})


def test_mid_threshold_below_high():
    with pytest.raises(ConfigError, match=r"mid_min_per_month.*must be below"):
        load_config(overrides={"activity": {"mid_min_per_month": 5}})


def test_weights_must_sum_to_one():
    with pytest.raises(ConfigError, match=r"scoring.weights' must sum to 1"):
        load_config(overrides={"scoring": {"weights": {"value": 0.9, "activity": 0.3, "need": 0.0, "loyalty": 0.0}}})


def test_bad_timezone_named():
    with pytest.raises(ConfigError, match=r"'Mars/Base' is not an IANA time zone"):
        load_config(overrides={"timezone": "Mars/Base"})


def test_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match=r"not found"):
        load_config(tmp_path / "absent.yaml")


def test_issue_type_lookup_is_case_insensitive():
    lookup = load_config().issue_type_to_need()

    assert lookup["refund request"] == "after_sales"
    assert lookup["升级"] == "potential_demand"
    assert "建议" not in lookup


def test_issue_type_mapped_twice_is_an_error():
    mapping = {"after_sales": ["refund"], "potential_demand": ["Refund"], "product_consultation": []}

    with pytest.raises(ConfigError, match=r"mapped to both"):
        load_config(overrides={"need_mapping": mapping})


@pytest.mark.parametrize(("text", "expected"), [("6M", (6, "M")), ("90d", (90, "D")), (" 12M ", (12, "M"))])
def test_parse_window_valid(text, expected):
    assert parse_window(text) == expected


@pytest.mark.parametrize("text", ["6", "0M", "6W", "M6", ""])
def test_parse_window_invalid(text):
    with pytest.raises(ConfigError, match=r"window .* is invalid"):
        parse_window(text)


def test_display_names_in_both_languages():
    config = load_config()

    assert config.label_name("vip", "zh") == "VIP重点维护客户"
    assert config.label_name("vip", "en") == "VIP key account"
    assert config.tier_name("need", "after_sales", "zh") == "售后支持型"
