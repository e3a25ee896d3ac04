"""Parsing ids, amounts, CSAT scores and coded values from export text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from segmentation.parse_values import (
    STATUS_SYNONYMS,
    clean_text,
    csat_from_100,
    map_values,
    parse_amounts,
    parse_csat,
    parse_ids,
    rescale_csat,
)


def text(values) -> pd.Series:
    return pd.Series(values, dtype="str")


def test_clean_text_turns_tokens_into_missing():
    cleaned = clean_text(text([" a ", "", "NA", "  ", None, "N/A", "NAB"]))

    assert cleaned.isna().tolist() == [False, True, True, True, True, True, False]
    assert cleaned[0] == "a"
    assert cleaned[6] == "NAB"


def test_clean_text_with_custom_tokens_keeps_na():
    cleaned = clean_text(text(["NA", "-", ""]), na_tokens=("-",))

    assert cleaned.tolist()[0] == "NA"
    assert cleaned.isna().tolist() == [False, True, True]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("00123", "00123", id="leading-zeros"),
        pytest.param("17850.0", "17850", id="float-written"),
        pytest.param("17850.00", "17850", id="float-two-zeros"),
        pytest.param(" C1001 ", "C1001", id="spaces"),
        pytest.param("００１２３", "00123", id="full-width"),
        pytest.param("17850.5", "17850.5", id="real-decimal-kept"),
        pytest.param("a@b.com", "a@b.com", id="email"),
    ],
)
def test_parse_ids(raw, expected):
    ids, bad = parse_ids(text([raw]))

    assert ids[0] == expected
    assert not bad[0]


def test_parse_ids_rejects_scientific_notation():
    ids, bad = parse_ids(text(["1.23457E+17", "00123", None]))

    assert bad.tolist() == [True, False, False]
    assert ids.isna().tolist() == [True, False, True]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("¥1,234.50", 1234.5, id="yen-thousands"),
        pytest.param("￥1,234.50", 1234.5, id="full-width-yen"),
        pytest.param("1234.5元", 1234.5, id="yuan-suffix"),
        pytest.param("１２３", 123.0, id="full-width-digits"),
        pytest.param("-5.00", -5.0, id="negative"),
        pytest.param("(5.00)", -5.0, id="accounting-brackets"),
        pytest.param("RMB 12", 12.0, id="rmb-prefix"),
        pytest.param("$ 3.5", 3.5, id="dollar"),
        pytest.param("2.55", 2.55, id="plain"),
        pytest.param("１，２００．５０", 1200.5, id="full-width-separators"),
    ],
)
def test_parse_amounts(raw, expected):
    amounts, bad = parse_amounts(text([raw]))

    assert amounts[0] == pytest.approx(expected)
    assert not bad[0]


@pytest.mark.parametrize("raw", ["abc", "1.2.3", "inf", "12 345 元 x"])
def test_parse_amounts_flags_bad_text(raw):
    amounts, bad = parse_amounts(text([raw]))

    assert bad[0]
    assert np.isnan(amounts[0])


def test_parse_amounts_missing_is_not_bad():
    amounts, bad = parse_amounts(text(["", "NA", None]))

    assert amounts.isna().all()
    assert not bad.any()


def test_csat_case_two_scales_rescaled():
    channel_a, _ = parse_csat(text(["5", "4", "2"]), (1, 5))
    channel_b, _ = parse_csat(text(["9", "10", "3"]), (0, 10))

    scaled_a = rescale_csat(channel_a, 1, 5)
    scaled_b = rescale_csat(channel_b, 0, 10)

    assert scaled_a.tolist() == [100.0, 75.0, 25.0]
    assert scaled_b.tolist() == [90.0, 100.0, 30.0]
    overall = pd.concat([scaled_a, scaled_b]).mean()
    assert overall == pytest.approx(70.0)
    assert csat_from_100(overall, (1, 5)) == pytest.approx(3.8)


def test_csat_per_row_scales_never_give_raw_mean():
    scores = text(["5", "4", "2", "9", "10", "3"])
    low = pd.Series([1, 1, 1, 0, 0, 0], dtype="float64")
    high = pd.Series([5, 5, 5, 10, 10, 10], dtype="float64")

    parsed, bad = parse_csat(scores, (low, high))

    assert not bad.any()
    assert parsed.mean() == pytest.approx(5.5)  # the meaningless raw mean the workbench never reports
    assert rescale_csat(parsed, low, high).mean() == pytest.approx(70.0)


@pytest.mark.parametrize(
    ("raw", "scale", "expected_bad"),
    [
        pytest.param("6", (1, 5), True, id="above-max"),
        pytest.param("0", (1, 5), True, id="below-min"),
        pytest.param("0", (0, 10), False, id="zero-on-0-10"),
        pytest.param("85%", (0, 100), False, id="percent"),
        pytest.param("4.8/5", (1, 5), False, id="over-max-written"),
        pytest.param("4/10", (1, 5), True, id="other-denominator"),
        pytest.param("good", (1, 5), True, id="text"),
    ],
)
def test_parse_csat_scale_check(raw, scale, expected_bad):
    _, bad = parse_csat(text([raw]), scale)

    assert bool(bad[0]) is expected_bad


def test_parse_csat_values():
    parsed, _ = parse_csat(text(["85%", "4.8/5", "", "6"]), (1, 100))

    assert parsed[0] == 85.0
    assert np.isnan(parsed[1])  # 4.8/5 on a 1-100 scale: the denominator does not match
    assert np.isnan(parsed[2])
    assert parsed[3] == 6.0


@given(st.floats(min_value=1, max_value=5), st.floats(min_value=0.5, max_value=20))
def test_rescale_round_trips(score, width):
    scaled = rescale_csat(pd.Series([score]), 1, 1 + width * 4)

    assert csat_from_100(scaled, (1, 1 + width * 4))[0] == pytest.approx(score)


def test_map_values_order_of_lookups():
    values = text(["1", "0", "2", "已取消", "PAID", "refunded", "weird", None])
    mapping = {1: "paid", "0": "unpaid", "2": "cancelled"}

    mapped, bad = map_values(values, ("paid", "cancelled", "refunded", "unpaid"), mapping, STATUS_SYNONYMS["orders"])

    assert mapped.tolist()[:6] == ["paid", "unpaid", "cancelled", "cancelled", "paid", "refunded"]
    assert mapped.isna().tolist() == [False] * 6 + [True, True]
    assert bad.tolist() == [False] * 6 + [True, False]
