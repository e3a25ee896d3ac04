"""Exception hierarchy of the workbench.

Every error that reaches a user carries a message in the user's language
(see :mod:`segmentation.i18n`). Input problems are collected first and raised
together, so one run shows all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .i18n import DEFAULT_LANG, SUPPORTED_LANGS, check_lang


class SegmentationError(Exception):
    """Base class of every error raised on purpose by the package.

    The message is either one string or a ``{"zh": ..., "en": ...}`` mapping.
    ``str(error)`` is the text in the default language (Chinese) and
    :meth:`text` picks a language; a plain-string message is returned for
    every language.
    """

    @classmethod
    def from_catalog(cls, catalog, message_key: str, /, **fields: object) -> "SegmentationError":
        """Build the error from message ``message_key`` of an :class:`~segmentation.i18n.Catalog`, in every language."""
        return cls({lang: catalog(message_key, lang, **fields) for lang in SUPPORTED_LANGS})

    def _messages(self) -> Mapping[str, str] | None:
        if len(self.args) == 1 and isinstance(self.args[0], Mapping):
            return self.args[0]
        return None

    def __str__(self) -> str:
        messages = self._messages()
        if messages is None:
            return super().__str__()
        return messages[DEFAULT_LANG]

    def text(self, lang: str = DEFAULT_LANG) -> str:
        """Return the message in ``lang`` (``zh`` or ``en``)."""
        check_lang(lang)
        messages = self._messages()
        if messages is None:
            return str(self)
        return messages.get(lang, messages[DEFAULT_LANG])


class ConfigError(SegmentationError, ValueError):
    """Invalid configuration: unknown key, wrong type, value out of range, rule-table gap."""


class ParameterError(SegmentationError, ValueError):
    """Invalid run parameter, such as a malformed quarter or an undeclared notebook parameter."""


class EncodingDetectionError(SegmentationError, ValueError):
    """A file decodes under none of the supported encodings."""


class CalendarCoverageError(SegmentationError, ValueError):
    """A date lies outside the years the holiday calendar covers."""


@dataclass(frozen=True)
class Problem:
    """One input problem, located as precisely as the data allows.

    Attributes
    ----------
    table : str
        Canonical table name (``customers``, ``orders``, ``tickets``, ...).
    kind : str
        Stable problem key, e.g. ``missing_column`` or ``bad_date``.
    message : str
        Human-readable message in the user's language.
    file : str or None
        Path of the source file.
    row : int or None
        1-based line number in the source file (the header is line 1).
    column : str or None
        Column name as written in the source file.
    value : str or None
        The offending value, as text.
    fatal : bool
        True when the run cannot continue.
    """

    table: str
    kind: str
    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    fatal: bool = False


@dataclass
class DataValidationError(SegmentationError, ValueError):
    """Fatal input problems, collected over all tables before raising."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(problem.message for problem in self.problems)
