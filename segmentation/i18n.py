"""User-facing text in Simplified Chinese (default) and English.

Each module that talks to users keeps its own :class:`Catalog` of messages
next to the code that raises or prints them, so a message and its use are
read together. Keys are stable English identifiers; templates use
``str.format`` fields.
"""

from __future__ import annotations

from collections.abc import Mapping

SUPPORTED_LANGS = ("zh", "en")
DEFAULT_LANG = "zh"


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is supported, else raise ``ValueError`` naming the choices."""
    if lang not in SUPPORTED_LANGS:
        raise ValueError(
            f"unsupported language {lang!r}; use one of {', '.join(SUPPORTED_LANGS)} "
            f"(不支持的语言 {lang!r}，可选 {', '.join(SUPPORTED_LANGS)})"
        )
    return lang


class Catalog:
    """Messages of one module, each in every supported language.

    Parameters
    ----------
    entries : mapping of str to mapping of str to str
        ``{key: {"zh": template, "en": template}}``. A missing language is
        an error at import time, so no message can silently fall back.

    Examples
    --------
    >>> messages = Catalog({"hello": {"zh": "你好，{name}", "en": "Hello, {name}"}})
    >>> messages("hello", "en", name="Li")
    'Hello, Li'
    """

    def __init__(self, entries: Mapping[str, Mapping[str, str]]) -> None:
        for key, templates in entries.items():
            missing = [lang for lang in SUPPORTED_LANGS if lang not in templates]
            if missing:
                raise ValueError(f"message {key!r} lacks languages {missing}")
        self._entries = {key: dict(templates) for key, templates in entries.items()}

    def __call__(self, key: str, lang: str = DEFAULT_LANG, **fields: object) -> str:
        """Format message ``key`` in ``lang`` with ``fields``."""
        check_lang(lang)
        try:
            template = self._entries[key][lang]
        except KeyError:
            raise KeyError(
                f"no message {key!r}; known keys: {', '.join(sorted(self._entries))}"
            ) from None
        return template.format(**fields)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def keys(self) -> list[str]:
        """Return the message keys, sorted."""
        return sorted(self._entries)


def pick(text: Mapping[str, str] | str, lang: str = DEFAULT_LANG) -> str:
    """Return the ``lang`` variant of a ``{"zh": ..., "en": ...}`` display name.

    A plain string is returned unchanged, so configuration may give one name
    for both languages.
    """
    check_lang(lang)
    if isinstance(text, str):
        return text
    return text.get(lang) or text.get(DEFAULT_LANG) or next(iter(text.values()))
