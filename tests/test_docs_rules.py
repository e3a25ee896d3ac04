"""The full default rule table in the docs matches the default configuration."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from segmentation.config import load_config

DOCS = Path(__file__).resolve().parents[1] / "docs"
ROW = re.compile(r"^\| (\d+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$")


def documented_rows(path: Path) -> list[tuple[str, ...]]:
    rows = []
    for line in path.read_text("utf-8").splitlines():
        match = ROW.match(line.strip())
        if match:
            rows.append(tuple(cell.strip() for cell in match.groups()[1:]))
    return rows


def expected_rows(lang: str | None) -> list[tuple[str, ...]]:
    config = load_config()
    rows = []
    for rule in config.label_rules.to_frame().itertuples():
        if lang is None:
            rows.append((rule.value, rule.activity, rule.need, rule.label))
        else:
            rows.append((
                config.tier_name("value", rule.value, lang),
                config.tier_name("activity", rule.activity, lang),
                config.tier_name("need", rule.need, lang),
                config.label_name(rule.label, lang),
            ))
    return rows


@pytest.mark.parametrize(("filename", "lang"), [("rules.md", None), ("rules.zh-CN.md", "zh")], ids=["en", "zh"])
def test_documented_table_matches_config(filename, lang):
    assert documented_rows(DOCS / filename) == expected_rows(lang)
