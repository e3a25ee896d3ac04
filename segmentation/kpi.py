"""The quarterly review (季度复盘): every KPI section of one quarter against the quarter before.

This module only orchestrates. Each concept lives in its own module:

* :mod:`segmentation.kpi_quarter` - quarter bounds and labels at its start and end;
* :mod:`segmentation.kpi_csat` - CSAT per label with t-intervals;
* :mod:`segmentation.kpi_service` - first-response SLA and resolution time;
* :mod:`segmentation.kpi_conversion` - activation, upgrade, label migration;
* :mod:`segmentation.kpi_anomalies` - after-sales shifts, overrides, VIP follow-ups;
* :mod:`segmentation.kpi_summary` - headline KPIs and the items needing a decision;
* :mod:`segmentation.kpi_display` - tables formatted for the meeting report.

Rates are fractions in [0, 1], CSAT is on 0-100 unless a column name ends
in ``_scale``, first-response durations are minutes and resolution times hours.
Every section is a :class:`~segmentation.kpi_result.Section`: a table, or a
reason in Chinese and English why the data cannot support it.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .config import Config
from .kpi_anomalies import after_sales_section, overrides_section, significant_shifts, vip_followup_section
from .kpi_conversion import activation_section, migration_matrix, upgrade_section
from .kpi_csat import csat_section
from .kpi_quarter import QuarterData, build_quarter
from .kpi_result import Section
from .kpi_service import resolution_section, sla_section
from .kpi_summary import decisions, headline_kpis
from .periods import parse_quarter
from .schema import Tables

logger = logging.getLogger(__name__)

SECTIONS = (
    "csat", "sla", "resolution", "activation", "upgrade", "migration",
    "after_sales", "overrides", "vip_followups",
)


@dataclass(frozen=True)
class QuarterlyReview:
    """All results of one quarterly review.

    Attributes
    ----------
    current, previous : QuarterData
        The quarter under review and the one before it.
    sections : dict of str to Section
        One entry per name in :data:`SECTIONS`, in that order.
    anomalies : DataFrame
        Labels whose CSAT or after-sales share moved significantly; see
        :func:`segmentation.kpi_anomalies.significant_shifts`.
    headline : DataFrame
        See :func:`segmentation.kpi_summary.headline_kpis`.
    decisions : DataFrame
        See :func:`segmentation.kpi_summary.decisions`.
    warnings : list of str
        Messages of the ``UserWarning``s raised while the labels were
        computed (e.g. value-tier ties), once each, for the report.
    """

    current: QuarterData
    previous: QuarterData
    sections: dict[str, Section]
    anomalies: pd.DataFrame
    headline: pd.DataFrame
    decisions: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def compute_sections(current: QuarterData, previous: QuarterData | None) -> dict[str, Section]:
    """Compute every section of :data:`SECTIONS` for ``current`` against ``previous``."""
    sections = {
        "csat": csat_section(current, previous),
        "sla": sla_section(current, previous),
        "resolution": resolution_section(current, previous),
        "activation": activation_section(current, previous),
        "upgrade": upgrade_section(current, previous),
        "migration": migration_matrix(current),
        "after_sales": after_sales_section(current, previous),
        "overrides": overrides_section(current),
        "vip_followups": vip_followup_section(current),
    }
    missing = [key for key, section in sections.items() if not section.available]
    if missing:
        logger.info("quarterly review %s: sections the data cannot support: %s", current.quarter, missing)
    return sections


def review_from_quarters(current: QuarterData, previous: QuarterData,
                         label_warnings: list[str] | None = None) -> QuarterlyReview:
    """Compute the whole review from two prepared quarters (labels already attached)."""
    sections = compute_sections(current, previous)
    return QuarterlyReview(
        current=current,
        previous=previous,
        sections=sections,
        anomalies=significant_shifts(sections["csat"], sections["after_sales"]),
        headline=headline_kpis(sections),
        decisions=decisions(sections, current.config),
        warnings=list(label_warnings or []),
    )


def _user_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    """Return the distinct UserWarning messages in order; re-issue every other category."""
    messages: list[str] = []
    for item in caught:
        if issubclass(item.category, UserWarning):
            if str(item.message) not in messages:
                messages.append(str(item.message))
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
    for message in messages:
        logger.info("while labelling: %s", message)
    return messages


def quarterly_review(tables: Tables, config: Config, quarter: str, *,
                     snapshot_dir: str | Path | None = None, lang: str = "zh") -> QuarterlyReview:
    """Run the quarterly review of ``quarter`` on a loaded data source.

    Parameters
    ----------
    tables : Tables
        The cleaned source, covering at least the quarter and the one before.
    config : Config
    quarter : str
        ``YYYYQn`` in ``config.timezone``, e.g. ``"2024Q2"``.
    snapshot_dir : str or Path, optional
        Folder of monthly label snapshots; without it (or without the
        needed files) labels are recomputed with
        :func:`segmentation.classification.classify`.
    lang : {"zh", "en"}
        Language of error messages and label-source descriptions.

    Returns
    -------
    QuarterlyReview
        ``UserWarning``s raised while labelling are collected in its
        ``warnings`` instead of being shown; other warnings pass through.

    Raises
    ------
    ParameterError
        If ``quarter`` is not written ``YYYYQn``.
    """
    period = parse_quarter(quarter, config.timezone, lang=lang)
    known_labels: dict = {}

    # Degenerate-data warnings of the classifier belong in the report, not on a meeting screen's stderr.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        current = build_quarter(tables, config, period.label, snapshot_dir=snapshot_dir, lang=lang,
                                known_labels=known_labels)
        previous = build_quarter(tables, config, period.shift(-1).label, snapshot_dir=snapshot_dir, lang=lang,
                                 known_labels=known_labels)
    return review_from_quarters(current, previous, _user_warnings(caught))
