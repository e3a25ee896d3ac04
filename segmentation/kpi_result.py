"""The result of one quarterly-review section: a table, or the reason the data cannot support it.

Every KPI function returns a :class:`Section`, whatever the data, so the
notebook never branches on types. A section the data cannot support (no
tickets means no CSAT, no orders means no value tiers) carries a reason key
whose message exists in Chinese and English, instead of raising or showing
zeros.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from .i18n import Catalog

MESSAGES = Catalog({
    "missing": {"zh": "缺失，原因：{reason}", "en": "missing, because {reason}"},
    "no_tickets": {
        "zh": "数据中没有工单（服务记录），无法计算本项",
        "en": "the data has no tickets (service contacts), so this cannot be computed",
    },
    "no_tickets_in_quarter": {
        "zh": "本季度没有工单",
        "en": "there are no tickets in this quarter",
    },
    "no_csat": {
        "zh": "工单中没有满意度（CSAT）评分",
        "en": "the tickets carry no satisfaction (CSAT) scores",
    },
    "no_first_response": {
        "zh": "工单中没有首次响应时间，无法判断首响 SLA",
        "en": "the tickets have no first-response times, so the first-response SLA cannot be judged",
    },
    "no_resolution": {
        "zh": "工单中没有解决时间",
        "en": "the tickets have no resolution times",
    },
    "no_issue_type": {
        "zh": "工单中没有问题类型，无法区分售后工单",
        "en": "the tickets have no issue type, so after-sales tickets cannot be told apart",
    },
    "no_orders": {
        "zh": "数据中没有订单，无法划分价值层级",
        "en": "the data has no orders, so there are no value tiers",
    },
    "no_label": {
        "zh": "当前配置中没有标签 {label}",
        "en": "the configuration defines no label {label}",
    },
    "no_followups": {
        "zh": "数据中没有回访记录",
        "en": "the data has no follow-up records",
    },
    "no_overrides": {
        "zh": "数据中没有标签调整（申诉）记录",
        "en": "the data has no label overrides (appeals)",
    },
    "no_customers": {
        "zh": "季度初没有带标签的客户",
        "en": "no customer carried a label at the start of the quarter",
    },
    "no_backtest": {
        "zh": "无法回测（{detail}）",
        "en": "no backtest is possible ({detail})",
    },
    "not_available": {
        "zh": "该模块尚未提供",
        "en": "the module that computes it is not available yet",
    },
})


@dataclass(frozen=True)
class Section:
    """One section of the quarterly review.

    Attributes
    ----------
    key : str
        Stable section name (``csat``, ``sla``, ``resolution``, ...).
    table : DataFrame or None
        The result; None exactly when the section is missing.
    missing : str or None
        Key of the reason message when the data cannot support the section.
    reason_fields : mapping
        Fields of the reason message (e.g. the missing label).
    notes : mapping
        Facts about the computation shown next to the table, such as the
        CSAT scale or the significance level.
    """

    key: str
    table: pd.DataFrame | None = None
    missing: str | None = None
    reason_fields: Mapping[str, object] = field(default_factory=dict)
    notes: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.table is None) == (self.missing is None):
            raise ValueError(
                f"section {self.key!r} needs exactly one of a table or a missing reason, "
                f"got table={'None' if self.table is None else 'a frame'}, missing={self.missing!r}"
            )
        if self.missing is not None and self.missing not in MESSAGES:
            raise ValueError(f"section {self.key!r}: unknown missing reason {self.missing!r}; "
                             f"known: {MESSAGES.keys()}")

    @property
    def available(self) -> bool:
        """True when the section has a table."""
        return self.table is not None

    def reason(self, lang: str = "zh") -> str:
        """Return ``missing, because ...`` in ``lang``; an empty string when the section is available."""
        if self.missing is None:
            return ""
        return MESSAGES("missing", lang, reason=MESSAGES(self.missing, lang, **self.reason_fields))


def missing_section(key: str, reason: str, notes: Mapping[str, object] | None = None,
                    **fields: object) -> Section:
    """Return a section the data cannot support, with the reason key and its message fields."""
    return Section(key=key, missing=reason, reason_fields=fields, notes=notes or {})
