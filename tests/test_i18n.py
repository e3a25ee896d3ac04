"""Message catalogs: every message in both languages, clear errors otherwise."""

from __future__ import annotations

import pytest

from segmentation.i18n import Catalog, check_lang, pick


def test_catalog_formats_in_each_language():
    messages = Catalog({"rows": {"zh": "读入 {n} 行", "en": "{n} rows read"}})

    assert messages("rows", "zh", n=3) == "读入 3 行"
    assert messages("rows", "en", n=3) == "3 rows read"


def test_catalog_rejects_a_missing_language():
    with pytest.raises(ValueError, match=r"message 'rows' lacks languages \['en'\]"):
        Catalog({"rows": {"zh": "读入 {n} 行"}})


def test_unknown_key_lists_known_keys():
    messages = Catalog({"rows": {"zh": "行", "en": "rows"}})

    with pytest.raises(KeyError, match=r"no message 'cols'; known keys: rows"):
        messages("cols")


def test_unsupported_language_is_rejected():
    with pytest.raises(ValueError, match=r"unsupported language 'fr'"):
        check_lang("fr")


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [({"zh": "高价值", "en": "high value"}, "en", "high value"), ("VIP", "zh", "VIP")],
    ids=["mapping", "plain-string"],
)
def test_pick_display_name(text, lang, expected):
    assert pick(text, lang) == expected
