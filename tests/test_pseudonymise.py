"""Keyed pseudonyms of identifiers; expected values were checked with `printf 's1ann@example.com' | sha256sum`."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from segmentation import pseudonymise as module
from segmentation.pseudonymise import pseudonym, pseudonymise


@pytest.mark.parametrize(
    ("value", "salt", "expected"),
    [
        pytest.param("ann@example.com", "s1", "P-265c8a70e452", id="ann-s1"),
        pytest.param("bo@example.com", "s1", "P-8804f4793c1c", id="bo-s1"),
        pytest.param("ann@example.com", "s2", "P-48419bc1a2da", id="ann-s2"),
    ],
)
def test_pseudonym_values(value, salt, expected):
    assert pseudonym(value, salt) == expected


def test_pseudonym_same_input_same_output():
    assert pseudonym("ann@example.com", "s1") == pseudonym("ann@example.com", "s1")


def test_pseudonym_differs_by_salt():
    assert pseudonym("ann@example.com", "s1") != pseudonym("ann@example.com", "s2")


def test_pseudonymise_series_keeps_missing_and_index():
    values = pd.Series(["ann@example.com", None, "bo@example.com", "ann@example.com"], index=[5, 6, 7, 8],
                       dtype="str")

    result = pseudonymise(values, "s1")

    assert result.index.tolist() == [5, 6, 7, 8]
    assert result.dropna().tolist() == ["P-265c8a70e452", "P-8804f4793c1c", "P-265c8a70e452"]
    assert pd.isna(result[6])
    assert result.dtype == "str"


def test_pseudonymise_warns_on_collision(monkeypatch, caplog):
    # One hex digit has 16 values, so 17 distinct ids must share at least one pseudonym.
    monkeypatch.setattr(module, "PSEUDONYM_HEX_DIGITS", 1)
    values = pd.Series([f"id{number}" for number in range(17)], dtype="str")

    with caplog.at_level(logging.WARNING, logger="segmentation.pseudonymise"):
        result = pseudonymise(values, "s1")

    assert result.nunique() <= 16
    assert "are shared by more than one of 17 distinct ids" in caplog.text
