"""Configuration loading: defaults, merging, and validation errors that name the key."""

from __future__ import annotations

import re

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

    with pytest.raises(ConfigError) as raised:
        load_config(path)

    assert re.search(r"unknown config key 'valeu'.*allowed keys", raised.value.text("en"))


def test_unknown_nested_key_is_an_error(tmp_path):
    path = write_yaml(tmp_path / "c.yaml", {"activity": {"high_min": 4}})

    with pytest.raises(ConfigError) as raised:
        load_config(path)

    assert "'activity.high_min'" in raised.value.text("en")


def test_unknown_key_chinese_names_file(tmp_path):
    path = write_yaml(tmp_path / "c.yaml", {"windw": "6M"})

    with pytest.raises(ConfigError) as raised:
        load_config(path)

    assert str(raised.value).startswith(f"配置文件 {path}：未知的键 'windw'；此处允许的键：['activity', ")
    assert str(raised.value).endswith("'window', 'working_hours']。请检查拼写或删除该键。")
    assert raised.value.text("zh") == str(raised.value)
    assert raised.value.text("en").startswith(f"config file {path}: unknown config key 'windw'; allowed keys here: ")


def test_value_error_in_file_names_file(tmp_path):
    path = write_yaml(tmp_path / "c.yaml", {"review": {"sla_goal": 1.5}})

    with pytest.raises(ConfigError) as raised:
        load_config(path)

    assert str(raised.value) == f"配置文件 {path}：配置项 'review.sla_goal' 必须在 [0, 1] 之间，实际为 1.5"
    assert raised.value.text("en") == f"config file {path}: config 'review.sla_goal' must be a number in [0, 1], got 1.5"


def test_error_from_overrides_with_file_says_so(tmp_path):
    path = write_yaml(tmp_path / "c.yaml", {"window": "3M"})

    with pytest.raises(ConfigError) as raised:
        load_config(path, overrides={"timezone": "Mars/Base"})

    assert raised.value.text("en") == (
        f"config file {path} (merged with overrides): config 'timezone' 'Mars/Base' is not an IANA time zone; "
        "e.g. Asia/Shanghai"
    )


def test_shares_must_sum_to_one():
    with pytest.raises(ConfigError) as raised:
        load_config(overrides={"value": {"shares": {"high": 0.2, "mid": 0.6, "low": 0.3}}})

    assert str(raised.value) == (
        "配置项 'value.shares' 之和必须为 1，实际为 {'high': 0.2, 'mid': 0.6, 'low': 0.3}（合计 1.100）；"
        "请调整各项使合计为 1"
    )
    assert raised.value.text("en") == (
        "config 'value.shares' must sum to 1, got {'high': 0.2, 'mid': 0.6, 'low': 0.3} (sum 1.100); "
        "adjust the values so they sum to 1"
    )


def test_mid_threshold_below_high():
    with pytest.raises(ConfigError) as raised:
        load_config(overrides={"activity": {"mid_min_per_month": 5}})

    assert re.search(r"mid_min_per_month.*must be below", raised.value.text("en"))
    assert re.search(r"'activity.mid_min_per_month'（5.0）必须小于 'high_min_per_month'（3.0）", str(raised.value))


def test_weights_must_sum_to_one():
    with pytest.raises(ConfigError) as raised:
        load_config(overrides={"scoring": {"weights": {"value": 0.9, "activity": 0.3, "need": 0.0, "loyalty": 0.0}}})

    assert "scoring.weights' must sum to 1" in raised.value.text("en")


def test_bad_timezone_named():
    with pytest.raises(ConfigError) as raised:
        load_config(overrides={"timezone": "Mars/Base"})

    assert "'Mars/Base' is not an IANA time zone" in raised.value.text("en")
    assert str(raised.value) == "配置项 'timezone' 的值 'Mars/Base' 不是 IANA 时区名；例如 Asia/Shanghai"


def test_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "absent.yaml")

    assert raised.value.text("en") == (
        f"config file {tmp_path / 'absent.yaml'} not found; pass an existing YAML file with --config"
    )
    assert str(raised.value) == f"配置文件 {tmp_path / 'absent.yaml'} 不存在；请用 --config 指定一个已有的 YAML 文件"


def test_invalid_yaml_names_file_line_and_column(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("value:\n  shares: {high: 0.2, mid: 0.6\nwindow: 6M\n", encoding="utf-8")

    with pytest.raises(ConfigError) as raised:
        load_config(path)

    assert str(raised.value) == (
        f"配置文件 {path} 不是有效的 YAML：第 3 行第 7 列，expected ',' or '}}', but got ':'。请修正 YAML 语法。"
    )
    assert raised.value.text("en") == (
        f"config file {path} is not valid YAML at line 3, column 7 (expected ',' or '}}', but got ':'). "
        "Fix the YAML syntax."
    )


def test_non_utf8_file_names_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes("window: 6M  # 六个月\n".encode("gbk"))

    with pytest.raises(ConfigError, match=r"^配置文件 .*c\.yaml 不是 UTF-8 编码（.*）；请将其另存为 UTF-8$"):
        load_config(path)


def test_issue_type_lookup_is_case_insensitive():
    lookup = load_config().issue_type_to_need()

    assert lookup["refund request"] == "after_sales"
    assert lookup["升级"] == "potential_demand"
    assert "建议" not in lookup


def test_issue_type_mapped_twice_is_an_error():
    mapping = {"after_sales": ["refund"], "potential_demand": ["Refund"], "product_consultation": []}

    with pytest.raises(ConfigError) as raised:
        load_config(overrides={"need_mapping": mapping})

    assert raised.value.text("en") == (
        "issue type 'Refund' is mapped to both 'after_sales' and 'potential_demand' in 'need_mapping'; "
        "keep it under one need type"
    )
    assert str(raised.value) == (
        "问题类型 'Refund' 在 'need_mapping' 中同时映射到 'after_sales' 和 'potential_demand'；请只保留在一个需求类型下"
    )


@pytest.mark.parametrize(("text", "expected"), [("6M", (6, "M")), ("90d", (90, "D")), (" 12M ", (12, "M"))])
def test_parse_window_valid(text, expected):
    assert parse_window(text) == expected


@pytest.mark.parametrize("text", ["6", "0M", "6W", "M6", ""])
def test_parse_window_invalid(text):
    with pytest.raises(ConfigError) as raised:
        parse_window(text)

    assert re.search(r"window .* is invalid", raised.value.text("en"))
    assert re.search(r"^时间窗口 .* 无效；请写成数量加单位", str(raised.value))


def test_display_names_in_both_languages():
    config = load_config()

    assert config.label_name("vip", "zh") == "VIP重点维护客户"
    assert config.label_name("vip", "en") == "VIP key account"
    assert config.tier_name("need", "after_sales", "zh") == "售后支持型"
