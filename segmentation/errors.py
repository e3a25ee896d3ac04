"""Exception hierarchy of the workbench.

Every error that reaches a user carries a message in the user's language
(see :mod:`segmentation.i18n`). Input problems are collected first and raised
together, so one run shows all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class SegmentationError(Exception):
    """Base class of every error raised on purpose by the package."""


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
