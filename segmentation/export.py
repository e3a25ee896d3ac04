"""Writers of the label register and change lists: CSV, XLSX and Parquet.

Conventions that hold for the whole file:

* the format follows the file extension: ``.csv``, ``.xlsx`` or ``.parquet``;
* CSV and Parquet keep the stable column keys (``value_tier``, ``label``) so
  other tools can read them back. XLSX, the register the service team works
  from, shows headers in the requested language;
* every text cell written to CSV or XLSX that starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return gets a leading single quote, so a
  spreadsheet never runs it as a formula. Numbers are never touched, so a
  real -5 stays a number;
* CSV is UTF-8 with a byte-order mark, which Excel needs to show Chinese;
* spreadsheets have no time zones, so in CSV and XLSX an aware timestamp is
  written as the naive local time of the zone it carries, to the second;
  Parquet keeps it as it is;
* shares are fractions in [0, 1], shown as percentages in XLSX;
* a file is written to a temporary name in the target folder and renamed,
  so a reader never sees half a file.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ParameterError
from .i18n import Catalog, pick
from .schema import CUSTOMERS

logger = logging.getLogger(__name__)

FORMATS = (".csv", ".xlsx", ".parquet")
PERSONAL_COLUMNS = tuple(CUSTOMERS.personal)
PERCENT_COLUMNS = ("share", "intended_share", "need_share")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_SHEET_NAME_FORBIDDEN = str.maketrans({char: "_" for char in "[]:*?/\\"})
_EXCEL_SHEET_NAME_MAX = 31

MESSAGES = Catalog({
    "bad_extension": {
        "zh": "不支持的输出文件 {path}：扩展名 {suffix!r} 不在 {allowed} 之中；请改用其中之一。",
        "en": "unsupported output file {path}: extension {suffix!r} is not one of {allowed}; use one of them.",
    },
    "personal_data": {
        "zh": "{path} 含有客户个人信息（{columns}），受《个人信息保护法》保护，仅供内部客服使用，不得外传。",
        "en": "{path} carries customers' personal data ({columns}), protected by China's Personal "
              "Information Protection Law; it is for internal service use only and must not be shared.",
    },
})

HEADERS: Mapping[str, Mapping[str, str]] = {
    "customer_id": {"zh": "客户编号", "en": "customer id"},
    "name": {"zh": "客户名称", "en": "name"},
    "phone": {"zh": "联系电话", "en": "phone"},
    "email": {"zh": "电子邮箱", "en": "e-mail"},
    "industry": {"zh": "行业", "en": "industry"},
    "region": {"zh": "地区", "en": "region"},
    "registered_at": {"zh": "注册时间", "en": "registered at"},
    "csat_mean_100": {"zh": "历史满意度（0-100）", "en": "historical CSAT (0-100)"},
    "csat_mean_5": {"zh": "历史满意度（1-5）", "en": "historical CSAT (1-5)"},
    "value_tier": {"zh": "价值分层（键）", "en": "value tier (key)"},
    "value_tier_name": {"zh": "价值分层", "en": "value tier"},
    "contribution": {"zh": "贡献值", "en": "contribution"},
    "spend": {"zh": "窗口内消费金额", "en": "spend in window"},
    "activity_tier": {"zh": "活跃分层（键）", "en": "activity tier (key)"},
    "activity_tier_name": {"zh": "活跃分层", "en": "activity tier"},
    "contacts_per_month": {"zh": "月均联系次数", "en": "contacts per month"},
    "orders_per_month": {"zh": "月均订单数", "en": "orders per month"},
    "need_type": {"zh": "需求类型（键）", "en": "need type (key)"},
    "need_type_name": {"zh": "需求类型", "en": "need type"},
    "need_share": {"zh": "需求占比", "en": "need share"},
    "label": {"zh": "综合标签（键）", "en": "label (key)"},
    "label_name": {"zh": "综合标签", "en": "label"},
    "flags": {"zh": "提示（键）", "en": "flags (keys)"},
    "flags_name": {"zh": "提示", "en": "flags"},
    "overridden": {"zh": "已人工调整", "en": "overridden"},
    "rule_label": {"zh": "规则标签", "en": "rule label"},
    "override_reason": {"zh": "调整原因", "en": "override reason"},
    "override_by": {"zh": "审批人", "en": "approved by"},
    "override_decided_at": {"zh": "审批时间", "en": "decided at"},
    "dedicated_agent": {"zh": "专属客服", "en": "dedicated agent"},
    "first_response_minutes": {"zh": "首次响应时限（分钟）", "en": "first response target (minutes)"},
    "clock": {"zh": "计时方式", "en": "clock"},
    "follow_up_days": {"zh": "回访间隔（天）", "en": "follow-up every (days)"},
    "follow_up": {"zh": "回访方式", "en": "follow-up"},
    "channels": {"zh": "服务渠道", "en": "channels"},
    "privileges": {"zh": "特殊权益", "en": "privileges"},
    "last_followup_at": {"zh": "上次回访时间", "en": "last follow-up"},
    "last_followup_purpose": {"zh": "上次回访内容", "en": "last follow-up purpose"},
    "next_followup_due": {"zh": "下次回访日期", "en": "next follow-up due"},
    "as_of": {"zh": "分类时点", "en": "as of"},
    "previous_label": {"zh": "上月标签", "en": "previous label"},
    "current_label": {"zh": "本月标签", "en": "current label"},
    "previous_value_tier": {"zh": "上月价值分层", "en": "previous value tier"},
    "current_value_tier": {"zh": "本月价值分层", "en": "current value tier"},
    "previous_activity_tier": {"zh": "上月活跃分层", "en": "previous activity tier"},
    "current_activity_tier": {"zh": "本月活跃分层", "en": "current activity tier"},
    "previous_need_type": {"zh": "上月需求类型", "en": "previous need type"},
    "current_need_type": {"zh": "本月需求类型", "en": "current need type"},
    "changed": {"zh": "标签变化", "en": "changed"},
    "value_jump": {"zh": "价值跨级变化", "en": "value jump"},
    "low_activity_big_order": {"zh": "低活跃大额订单", "en": "low activity, big order"},
    "flip_flop": {"zh": "标签反复", "en": "flip-flop"},
    "new_customer": {"zh": "新客户", "en": "new customer"},
    "gone_customer": {"zh": "客户消失", "en": "gone customer"},
    "section": {"zh": "类别", "en": "section"},
    "key": {"zh": "键", "en": "key"},
    "display_name": {"zh": "名称", "en": "name"},
    "customers": {"zh": "客户数", "en": "customers"},
    "share": {"zh": "实际占比", "en": "real share"},
    "intended_share": {"zh": "目标占比", "en": "intended share"},
}


def header(key: str, lang: str = "zh") -> str:
    """Return the display header of column ``key``; an unknown key is shown as it is."""
    return pick(HEADERS[key], lang) if key in HEADERS else key


def output_format(path: str | Path, lang: str = "zh") -> str:
    """Return the format extension of ``path`` (``.csv``, ``.xlsx`` or ``.parquet``).

    Raises
    ------
    ParameterError
        If the extension is not one of :data:`FORMATS`.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ParameterError(MESSAGES("bad_extension", lang, path=path, suffix=suffix, allowed=", ".join(FORMATS)))
    return suffix


def neutralise_cell(value: object) -> object:
    """Return a text value with a leading quote if a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells cannot start a spreadsheet formula.

    Only text columns (``str`` or ``object`` dtype) are changed, and in an
    ``object`` column only the cells that are strings, so numbers stay numbers.
    """
    result = frame.copy()
    for name in result.columns:
        column = result[name]
        if pd.api.types.is_string_dtype(column.dtype) or column.dtype == object:
            result[name] = column.map(neutralise_cell, na_action="ignore").astype(column.dtype)
    return result


def drop_personal(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` without the personal columns (name, phone, e-mail)."""
    return frame.drop(columns=[name for name in PERSONAL_COLUMNS if name in frame.columns])


def personal_columns(frame: pd.DataFrame) -> list[str]:
    """Return the personal columns present in ``frame``."""
    return [name for name in PERSONAL_COLUMNS if name in frame.columns]


def _text_of_lists(frame: pd.DataFrame, separator: str) -> pd.DataFrame:
    result = frame.copy()
    for name in result.columns:
        if result[name].dtype == object:
            result[name] = result[name].map(
                lambda value: separator.join(map(str, value)) if isinstance(value, (list, tuple, np.ndarray)) else value
            )
    return result


def _naive_local_times(frame: pd.DataFrame) -> pd.DataFrame:
    result = frame.copy()
    for name in result.columns:
        if isinstance(result[name].dtype, pd.DatetimeTZDtype):
            # Excel rounds 23:59:59.999999999 up to the next day, so whole seconds are written.
            result[name] = result[name].dt.tz_localize(None).dt.floor("s")
    return result


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` and rename it to ``path`` when the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    try:
        yield Path(temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _warn_if_personal(frame: pd.DataFrame, path: Path, lang: str) -> None:
    columns = personal_columns(frame)
    if columns:
        logger.warning(MESSAGES("personal_data", lang, path=path, columns=", ".join(columns)))


def sheet_name(text: str, used_names: set[str]) -> str:
    """Return a valid, unused Excel sheet name made from ``text``.

    Excel rejects the characters ``[]:*?/\\`` and names over 31 characters.
    """
    base = str(text).translate(_SHEET_NAME_FORBIDDEN)[:_EXCEL_SHEET_NAME_MAX] or "sheet"
    name, counter = base, 2
    while name.lower() in {item.lower() for item in used_names}:
        tail = f" ({counter})"
        name = base[: _EXCEL_SHEET_NAME_MAX - len(tail)] + tail
        counter += 1
    used_names.add(name)
    return name


def _for_spreadsheet(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    separator = "、" if lang == "zh" else ", "
    return neutralise_formulas(_text_of_lists(_naive_local_times(frame), separator))


def _write_sheet(writer: pd.ExcelWriter, frame: pd.DataFrame, name: str, lang: str) -> None:
    table = _for_spreadsheet(frame, lang)
    table.columns = [header(str(key), lang) for key in table.columns]
    table.to_excel(writer, sheet_name=name, index=False)
    sheet = writer.sheets[name]
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for index, (key, title) in enumerate(zip(frame.columns, table.columns), start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = min(max(len(str(title)) * 2, 10), 40)
        if key in PERCENT_COLUMNS:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "0.0%"


def write_csv(frame: pd.DataFrame, path: str | Path, lang: str = "zh") -> Path:
    """Write ``frame`` as UTF-8 CSV with a byte-order mark, formulas neutralised.

    ``lang`` sets the language of the personal-data warning and of list separators.
    """
    path = Path(path)
    _warn_if_personal(frame, path, lang)
    with atomic_path(path) as temporary:
        _for_spreadsheet(frame, lang).to_csv(temporary, index=False, encoding="utf-8-sig")
    return path


def write_parquet(frame: pd.DataFrame, path: str | Path, lang: str = "zh") -> Path:
    """Write ``frame`` as Parquet, values unchanged; ``lang`` sets the language of the personal-data warning."""
    path = Path(path)
    _warn_if_personal(frame, path, lang)
    with atomic_path(path) as temporary:
        frame.to_parquet(temporary, index=False)
    return path


def write_workbook(sheets: Mapping[str, pd.DataFrame], path: str | Path, lang: str = "zh") -> Path:
    """Write one XLSX sheet per entry, with translated headers, a frozen header row and an auto-filter.

    Parameters
    ----------
    sheets : mapping of str to DataFrame
        Sheet title -> table, in the order the sheets should appear. Titles
        are made valid Excel sheet names (see :func:`sheet_name`).
    path : str or Path
    lang : {"zh", "en"}
        Language of the column headers.
    """
    path = Path(path)
    for frame in sheets.values():
        _warn_if_personal(frame, path, lang)
    used_names: set[str] = set()
    with atomic_path(path) as temporary:
        with pd.ExcelWriter(temporary, engine="openpyxl") as writer:
            for title, frame in sheets.items():
                _write_sheet(writer, frame, sheet_name(title, used_names), lang)
    return path


def write_table(frame: pd.DataFrame, path: str | Path, *, sheet: str = "data", lang: str = "zh") -> Path:
    """Write one table in the format given by the extension of ``path``.

    Raises
    ------
    ParameterError
        If the extension is not ``.csv``, ``.xlsx`` or ``.parquet``.
    """
    suffix = output_format(path, lang)
    if suffix == ".csv":
        return write_csv(frame, path, lang)
    if suffix == ".parquet":
        return write_parquet(frame, path, lang)
    return write_workbook({sheet: frame}, path, lang)

