"""Tests of composite labels: the rule table, flags, strategy fields and display names."""

from __future__ import annotations

import itertools
import textwrap

import numpy as np
import pandas as pd
import pytest

from segmentation.config import load_config
from segmentation.labels import (
    FLAG_KEYS,
    add_display_names,
    apply_label_rules,
    expanded_rules,
    flag_columns,
    strategy_columns,
)
from segmentation.tiers import tier_categorical


@pytest.fixture(scope="module")
def config():
    return load_config()


def tiers_frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["value_tier", "activity_tier", "need_type"],
                        index=pd.Index([f"C{i}" for i in range(len(rows))], name="customer_id"))


@pytest.mark.parametrize(("value", "activity", "need", "label", "rule"), [
    ("high", "high", "after_sales", "vip", 1),
    ("mid", "mid", "product_consultation", "regular", 18),
    ("low", "low", "potential_demand", "to_activate", 35),
], ids=["vip-key-account", "regular-service", "to-be-activated"])
def test_worked_examples_of_the_standard(value, activity, need, label, rule, config):
    result = apply_label_rules(tiers_frame([(value, activity, need)]), config)

    assert result["label"].tolist() == [label]
    assert result["label_rule"].tolist() == [rule]


def test_every_combination_matches_rule_table_lookup(config):
    dims = config.label_rules.dimensions
    combinations = list(itertools.product(dims["value"], dims["activity"], dims["need"]))

    result = apply_label_rules(tiers_frame(combinations), config)

    assert len(combinations) == 36
    assert result["label"].tolist() == [config.label_rules.lookup(*combo) for combo in combinations]
    assert list(result["label"].cat.categories) == ["vip", "regular", "to_activate"]


def test_expanded_rules_lists_rule_rows(config):
    table = expanded_rules(config.label_rules)

    assert table.shape == (36, 5)
    assert table.iloc[0].tolist() == ["high", "high", "product_consultation", "vip", 2]
    assert sorted(table["label_rule"]) == list(range(1, 37))


def test_unknown_tier_is_rejected(config):
    with pytest.raises(ValueError, match=r"value_tier has values the rule table does not know: \['unavailable'\]"):
        apply_label_rules(tiers_frame([("unavailable", "low", "none")]), config, lang="en")


def test_categorical_tiers_give_same_labels(config):
    rows = [("high", "low", "none"), ("low", "mid", "after_sales")]
    text = tiers_frame(rows)
    categorical = text.assign(**{column: tier_categorical(text[column], sorted(set(text[column])))
                                 for column in text.columns})

    pd.testing.assert_frame_equal(apply_label_rules(categorical, config), apply_label_rules(text, config))


CUSTOM_CONFIG = textwrap.dedent("""\
    labels:
      vip: {zh: VIP重点维护客户, en: VIP key account}
      regular: {zh: 常规服务客户, en: regular service}
      to_activate: {zh: 待激活客户, en: to be activated}
      win_back: {zh: 挽回客户, en: win back}
    label_rules:
      - {value: high, activity: "*", need: "*", label: vip}
      - {value: [mid, low], activity: [high, mid], need: "*", label: regular}
      - {value: mid, activity: low, need: "*", label: regular}
      - {value: low, activity: low, need: [product_consultation, after_sales, none], label: to_activate}
      - {value: low, activity: low, need: potential_demand, label: win_back}
    strategies:
      vip: {first_response_minutes: 15, clock: 24x7, dedicated_agent: true, follow_up_days: 30,
            follow_up: {zh: 每月回访, en: monthly call}, channels: {zh: [], en: []}, privileges: {zh: [], en: []}}
      regular: {first_response_minutes: 120, clock: working_hours, dedicated_agent: false, follow_up_days: 90,
                follow_up: {zh: 季度调研, en: quarterly survey}, channels: {zh: [], en: []},
                privileges: {zh: [], en: []}}
      to_activate: {first_response_minutes: 120, clock: working_hours, dedicated_agent: false, follow_up_days: 30,
                    follow_up: {zh: 关怀信息, en: care message}, channels: {zh: [], en: []},
                    privileges: {zh: [], en: []}}
      win_back: {first_response_minutes: 60, clock: working_hours, dedicated_agent: false, follow_up_days: 14,
                 follow_up: {zh: 回访电话, en: call back}, channels: {zh: [], en: []}, privileges: {zh: [], en: []}}
    """)


def test_custom_rule_table_from_yaml(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(CUSTOM_CONFIG, encoding="utf-8")
    custom = load_config(path)
    tiers = tiers_frame([("high", "low", "none"), ("low", "mid", "after_sales"),
                         ("mid", "low", "potential_demand"), ("low", "low", "potential_demand"),
                         ("low", "low", "none")])

    result = apply_label_rules(tiers, custom)
    strategy = strategy_columns(result["label"], custom.strategies)

    assert result["label"].tolist() == ["vip", "regular", "regular", "win_back", "to_activate"]
    assert result["label_rule"].tolist() == [1, 2, 3, 5, 4]
    assert strategy["follow_up_days"].tolist() == [30, 90, 90, 14, 30]
    assert add_display_names(pd.concat([tiers, result], axis=1), custom, "en")["label_name"].tolist() == [
        "VIP key account", "regular service", "regular service", "win back", "to be activated"]


def test_flags_and_text(config):
    tiers = tiers_frame([("high", "low", "potential_demand"), ("high", "mid", "after_sales"),
                         ("low", "low", "none"), ("mid", "high", "potential_demand")])
    near = np.array([True, False, False, True])

    flags = flag_columns(tiers, near, config.flags)

    expected = pd.DataFrame({
        "flags": pd.array(["churn_risk,upsell,near_boundary", "", "", "upsell,near_boundary"], dtype="str"),
        "churn_risk": [True, False, False, False],
        "upsell": [True, False, False, True],
        "near_boundary": [True, False, False, True],
    }, index=tiers.index)
    pd.testing.assert_frame_equal(flags, expected)


def test_disabled_flag_is_never_raised(config):
    tiers = tiers_frame([("high", "low", "potential_demand")])
    enabled = dict(config.flags, churn_risk=False)

    flags = flag_columns(tiers, np.array([False]), enabled)

    assert flags["flags"].tolist() == ["upsell"]
    assert flags["churn_risk"].tolist() == [False]
    assert FLAG_KEYS == ("churn_risk", "upsell", "near_boundary")


def test_strategy_columns(config):
    label = pd.Series(tier_categorical(["vip", "regular", "to_activate"], list(config.labels)), index=["A", "B", "C"])

    strategy = strategy_columns(label, config.strategies)

    expected = pd.DataFrame({
        "first_response_minutes": [15.0, 120.0, 120.0],
        "clock": pd.array(["24x7", "working_hours", "working_hours"], dtype="str"),
        "dedicated_agent": [True, False, False],
        "follow_up_days": np.array([30, 90, 30], dtype="int64"),
    }, index=["A", "B", "C"])
    pd.testing.assert_frame_equal(strategy, expected)


@pytest.mark.parametrize(("lang", "names"), [
    ("zh", ["高价值", "低活跃", "售后支持型", "VIP重点维护客户"]),
    ("en", ["high value", "low activity", "after-sales support", "VIP key account"]),
], ids=["zh", "en"])
def test_display_names(lang, names, config):
    labels = tiers_frame([("high", "low", "after_sales")]).assign(label="vip")

    named = add_display_names(labels, config, lang)

    assert named.iloc[0][["value_tier_name", "activity_tier_name", "need_type_name", "label_name"]].tolist() == names
    assert "value_tier_name" not in labels.columns


def test_display_name_of_unavailable_value(config):
    labels = tiers_frame([("unavailable", "low", "none")]).assign(label="regular")

    assert add_display_names(labels, config, "zh")["value_tier_name"].tolist() == ["无法计算"]
    assert add_display_names(labels, config, "en")["value_tier_name"].tolist() == ["not available"]
