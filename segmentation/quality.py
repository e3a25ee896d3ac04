"""The data-quality report of one load: what was read, kept, repaired and set aside, and why.

Conventions that hold for the whole file:

* every source row is either kept or set aside, so for each table
  ``rows_read == kept + set_aside``; a repaired row is a kept row whose value
  the cleaning changed (a cleared timestamp, say), so repairs are counted apart;
* a row is set aside once, for the first rule that matched it, in the order
  the rules ran (see :mod:`segmentation.cleaning`). The per-rule counts of set
  aside rows therefore add up to ``set_aside``;
* actions are ``set_aside``, ``repaired`` and ``counted`` (the rule only
  counts rows it keeps as they are, e.g. ``refund_netted``);
* row problems (bad dates, amounts out of range, duplicate ids, ...) are
  stored as a frame and turned into :class:`~segmentation.errors.Problem`
  objects, with their messages, only when asked for, so a file with many bad
  rows costs no Python loop until someone reads them;
* line numbers are 1-based lines of the source file with the header on line 1
  (for Excel, the sheet row; for Parquet, the row position plus one).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import Problem
from .export import neutralise_cell
from .i18n import Catalog

logger = logging.getLogger(__name__)

ACTIONS = ("set_aside", "repaired", "counted")
_PROBLEM_COLUMNS = ("table", "kind", "file", "line", "column", "value", "detail")
# A signed decimal number, which a spreadsheet reads as a number and never as a formula.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")

MESSAGES = Catalog({
    "quarantine_personal": {
        "zh": "隔离文件 {folder} 保留了源数据原文，可能含有客户个人信息（姓名、电话、电子邮箱），"
              "受《个人信息保护法》保护，仅供内部核对和修正数据源使用，不得外传。",
        "en": "the quarantine files in {folder} keep the source text, so they may carry customers' personal data "
              "(name, phone, e-mail), protected by China's Personal Information Protection Law; they are for "
              "internal use in fixing the source only and must not be shared.",
    },
    "where": {"zh": "{file} 第 {line} 行，列 {column}：", "en": "{file}, line {line}, column {column}: "},
    "bad_date": {"zh": "{where}{value!r} 不是可识别的日期时间；请改为 2024-05-10 09:30 这样的格式，"
                       "或在数据源文件的 date_formats 中声明格式。",
                 "en": "{where}{value!r} is not a readable date-time; write it like 2024-05-10 09:30, "
                       "or declare its format under date_formats in a source file."},
    "impossible_date": {"zh": "{where}日期 {value!r} 在日历上不存在；请改正该值。",
                        "en": "{where}date {value!r} does not exist in the calendar; correct the value."},
    "missing_date": {"zh": "{where}必需的日期为空；该行已搁置。",
                     "en": "{where}the required date is empty; the row is set aside."},
    "missing_id": {"zh": "{where}必需的编号为空；该行已搁置。",
                   "en": "{where}the required id is empty; the row is set aside."},
    "missing_amount": {"zh": "{where}必需的金额为空；该行已搁置。",
                       "en": "{where}the required amount is empty; the row is set aside."},
    "bad_amount": {"zh": "{where}{value!r} 不是有效的金额或数字；请写成 1234.50 这样的数字。",
                   "en": "{where}{value!r} is not a valid amount or number; write it like 1234.50."},
    "bad_id": {"zh": "{where}编号 {value!r} 是科学计数法，Excel 已丢失末尾数字；请把该列设为文本后重新导出。",
               "en": "{where}id {value!r} is in scientific notation, so Excel has lost its last digits; "
                     "format the column as text and export again."},
    "unknown_status": {"zh": "{where}值 {value!r} 无法识别；可选：{detail}。请在数据源文件的 values 中对应该值。",
                      "en": "{where}value {value!r} is not recognised; allowed: {detail}. "
                            "Map it under 'values' in a source file."},
    "csat_out_of_scale": {"zh": "{where}满意度 {value!r} 超出量表 {detail}；该评分已清空。"
                                "请改正该值，或在数据源文件的 csat_scale 中声明正确的量表。",
                          "en": "{where}CSAT {value!r} is outside its scale {detail}; the score was cleared. "
                                "Correct the value, or declare the right scale under csat_scale in a source file."},
    "duplicate_id": {"zh": "{where}编号 {value!r} 与第 {detail} 行重复；保留先出现的行，本行已搁置。",
                     "en": "{where}id {value!r} repeats line {detail}; the earlier row is kept and this one "
                           "set aside."},
    "negative_duration": {"zh": "{where}时间 {value!r} 早于 {detail}；该时间已清空。",
                          "en": "{where}time {value!r} is before {detail}; the time was cleared."},
    "future_date": {"zh": "{where}时间 {value!r} 晚于 {detail}，是未来时间；请检查导出的时区或该值。",
                    "en": "{where}time {value!r} is after {detail}, in the future; check the export's zone "
                          "or the value."},
})

# Display names of tables, rules and actions, for summaries shown to analysts.
LABELS = Catalog({
    "customers": {"zh": "客户", "en": "customers"},
    "orders": {"zh": "订单", "en": "orders"},
    "tickets": {"zh": "工单", "en": "tickets"},
    "followups": {"zh": "回访", "en": "follow-ups"},
    "overrides": {"zh": "人工调整", "en": "overrides"},
    "set_aside": {"zh": "搁置", "en": "set aside"},
    "repaired": {"zh": "修复", "en": "repaired"},
    "counted": {"zh": "计数（保留）", "en": "counted (kept)"},
    "empty_row": {"zh": "空行", "en": "empty row"},
    "bad_id": {"zh": "编号无效", "en": "invalid id"},
    "missing_id": {"zh": "缺少编号", "en": "missing id"},
    "bad_date": {"zh": "日期无法识别", "en": "unreadable date"},
    "impossible_date": {"zh": "日期不存在", "en": "impossible date"},
    "missing_date": {"zh": "缺少日期", "en": "missing date"},
    "bad_amount": {"zh": "金额无效", "en": "invalid amount"},
    "missing_amount": {"zh": "缺少金额", "en": "missing amount"},
    "unknown_status": {"zh": "状态无法识别", "en": "unknown status"},
    "csat_out_of_scale": {"zh": "满意度超出量表", "en": "CSAT out of scale"},
    "exact_duplicate": {"zh": "完全重复行", "en": "exact duplicate"},
    "missing_customer_id": {"zh": "缺少客户编号", "en": "missing customer id"},
    "cancelled": {"zh": "已取消订单", "en": "cancelled order"},
    "unpaid": {"zh": "未支付订单", "en": "unpaid order"},
    "non_product_code": {"zh": "非商品编码", "en": "non-product code"},
    "zero_amount": {"zh": "零金额", "en": "zero amount"},
    "refund_netted": {"zh": "退款（冲减消费）", "en": "refund netted"},
    "refund": {"zh": "退款", "en": "refund"},
    "duplicate_id": {"zh": "编号重复", "en": "duplicate id"},
    "test_account": {"zh": "测试账号", "en": "test account"},
    "churned_customer": {"zh": "已流失客户", "en": "churned customer"},
    "unknown_customer": {"zh": "客户不在客户表中", "en": "unknown customer"},
    "future_date": {"zh": "未来日期", "en": "future date"},
    "negative_duration": {"zh": "时间先后颠倒", "en": "negative duration"},
})


def label(key: str, lang: str = "zh") -> str:
    """Return the display name of a table, rule or action key; an unknown key is returned as is."""
    return LABELS(key, lang) if key in LABELS else key


class TableLedger:
    """Per-row bookkeeping of one table: the original rows, where they came from, and their fate.

    Parameters
    ----------
    table : str
        Canonical table name.
    raw : DataFrame
        The rows as read, one row per source record (index 0..n-1): all text,
        or the typed columns of Parquet files (see :mod:`segmentation.parquet_fast`).
    files : Series of str
        Source file of each row, stored as a categorical because it repeats
        one path over the rows of each file.
    lines : ndarray of int
        1-based line number of each row in its file.
    derived : bool
        True when the rows were derived from another table, not read from a file.

    Attributes
    ----------
    frame : DataFrame or None
        The parsed canonical columns, one row per raw row, set by the loader.
    headers : dict
        Canonical column -> source header, for locating problems.
    reason : Series
        Why each row was set aside; missing for kept rows. A categorical of
        rule names, so that millions of kept rows cost a byte each.

    Notes
    -----
    Once the loader has copied the kept rows into the canonical table, it
    calls :meth:`drop_kept_rows`, after which ``raw`` and ``frame`` hold the
    set-aside rows only. Counts, reasons, files and lines cover every row
    throughout, and their index is the row position in the source.
    """

    def __init__(self, table: str, raw: pd.DataFrame, files: pd.Series, lines: np.ndarray,
                 derived: bool = False) -> None:
        self.table = table
        self.raw = raw.reset_index(drop=True)
        self.files = pd.Series(files).astype("category").reset_index(drop=True)
        self.lines = np.asarray(lines, dtype="int64")
        self.derived = derived
        self.frame: pd.DataFrame | None = None
        self.headers: dict[str, str] = {}
        no_reason = pd.Categorical.from_codes(np.full(len(self.raw), -1, dtype=np.int8),
                                              categories=pd.Index([], dtype="str"))
        self.reason = pd.Series(no_reason, index=self.raw.index)
        self.repairs: dict[str, pd.Series] = {}
        self.counts: dict[str, pd.Series] = {}
        self.rules: list[str] = []  # in the order they first ran, for reports

    @property
    def kept(self) -> pd.Series:
        """Boolean mask of the rows not set aside."""
        return self.reason.isna()

    def set_aside(self, rule: str, mask: pd.Series) -> int:
        """Set aside the still-kept rows of ``mask`` with reason ``rule``; return how many."""
        hit = self.kept & mask.reindex(self.reason.index, fill_value=False).astype(bool)
        if rule not in self.reason.cat.categories:
            self.reason = self.reason.cat.add_categories([rule])
        self.reason[hit] = rule
        self._ran(rule)
        return int(hit.sum())

    def _ran(self, rule: str) -> None:
        if rule not in self.rules:
            self.rules.append(rule)

    def repair(self, rule: str, mask: pd.Series) -> None:
        """Record that ``rule`` changed a value in the rows of ``mask``."""
        self._accumulate(self.repairs, rule, mask)

    def count(self, rule: str, mask: pd.Series) -> None:
        """Record that ``rule`` matched the rows of ``mask`` and kept them unchanged."""
        self._accumulate(self.counts, rule, mask)

    def _accumulate(self, store: dict[str, pd.Series], rule: str, mask: pd.Series) -> None:
        mask = mask.reindex(self.reason.index, fill_value=False).astype(bool)
        store[rule] = store[rule] | mask if rule in store else mask
        self._ran(rule)

    def rule_counts(self) -> pd.DataFrame:
        """Return ``rule, action, rows`` for this table; repairs and counts only on kept rows."""
        records = [(str(rule), "set_aside", int(n)) for rule, n in self.reason.value_counts(sort=False).items()]
        for action, store in (("repaired", self.repairs), ("counted", self.counts)):
            records += [(rule, action, int((mask & self.kept).sum())) for rule, mask in store.items()]
        frame = pd.DataFrame(records, columns=["rule", "action", "rows"])
        order = {rule: position for position, rule in enumerate(self.rules)}
        frame = frame.assign(order=frame["rule"].map(order)).sort_values(["order", "action"], kind="stable")
        return frame.loc[frame["rows"] > 0, ["rule", "action", "rows"]]

    def summary(self) -> dict[str, object]:
        """Return rows read, kept, repaired and set aside."""
        repaired = pd.Series(False, index=self.reason.index)
        for mask in self.repairs.values():
            repaired |= mask
        kept = self.kept
        return {"table": self.table, "rows_read": len(self.reason), "kept": int(kept.sum()),
                "repaired": int((repaired & kept).sum()), "set_aside": int((~kept).sum()),
                "derived": self.derived}

    def drop_kept_rows(self) -> None:
        """Free the raw and parsed values of the kept rows, keeping those of the rows set aside.

        The loader calls this once it has taken the kept rows into the
        canonical table, so that a table of millions of rows is not kept in
        memory twice. No rule may set rows aside or repair them afterwards.
        """
        aside = ~self.kept.to_numpy()
        self.raw = self.raw[aside]
        if self.frame is not None:
            self.frame = self.frame[aside]


class QualityReport:
    """Data-quality report of one load: per table counts, per rule counts, row problems.

    Parameters
    ----------
    lang : {"zh", "en"}
        Language of the problem messages.
    """

    def __init__(self, lang: str = "zh") -> None:
        self.lang = lang
        self.ledgers: dict[str, TableLedger] = {}
        self._problems: list[pd.DataFrame] = []

    def add_ledger(self, ledger: TableLedger) -> None:
        """Register the ledger of one table."""
        self.ledgers[ledger.table] = ledger

    def add_problems(self, table: str, kind: str, rows: pd.Series, column: str,
                     values: pd.Series, detail: pd.Series | str = "") -> None:
        """Record a row problem ``kind`` for each row of the boolean mask ``rows``.

        ``values`` contains the offending text per row and ``detail`` the extra
        fact the message needs (the scale, the earlier line, the later time).
        """
        ledger = self.ledgers[table]
        rows = rows.reindex(ledger.reason.index, fill_value=False).astype(bool).to_numpy()
        if not rows.any():
            return
        # Only the rows reported are selected and written as text: a table may have millions of rows.
        labels = ledger.reason.index[rows]
        if isinstance(detail, str):
            details = np.full(len(labels), detail, dtype=object)
        else:
            details = detail.reindex(labels).astype("str").to_numpy()
        self._problems.append(pd.DataFrame({
            "table": table, "kind": kind, "file": ledger.files[rows].astype("str").to_numpy(),
            "line": ledger.lines[rows], "column": column,
            "value": values.reindex(labels).astype("str").to_numpy(), "detail": details,
        }))

    def problems_frame(self) -> pd.DataFrame:
        """Return the row problems as a frame: table, kind, file, line, column, value, detail."""
        if not self._problems:
            return pd.DataFrame({name: pd.Series(dtype="str") for name in _PROBLEM_COLUMNS})
        return pd.concat(self._problems, ignore_index=True).sort_values(["table", "file", "line"], kind="stable")

    @property
    def problems(self) -> list[Problem]:
        """Row problems as :class:`Problem` objects, with messages in the report's language."""
        return [self._problem(record) for record in self.problems_frame().itertuples(index=False)]

    def _problem(self, record) -> Problem:
        value = None if pd.isna(record.value) else record.value
        where = MESSAGES("where", self.lang, file=record.file, line=record.line, column=record.column)
        message = MESSAGES(record.kind, self.lang, where=where, value=value, detail=record.detail)
        return Problem(table=record.table, kind=record.kind, message=message, file=record.file,
                       row=int(record.line), column=record.column, value=value)

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy per-rule counts: ``table, rule, action, rows``."""
        frames = [ledger.rule_counts().assign(table=table) for table, ledger in self.ledgers.items()]
        columns = ["table", "rule", "action", "rows"]
        if not frames:
            return pd.DataFrame({column: pd.Series(dtype="int64" if column == "rows" else "str")
                                 for column in columns})
        return pd.concat(frames, ignore_index=True)[columns].astype({"rows": "int64"})

    def summary_frame(self) -> pd.DataFrame:
        """Return one row per table: ``table, rows_read, kept, repaired, set_aside, derived``."""
        return pd.DataFrame([ledger.summary() for ledger in self.ledgers.values()])

    def set_aside_frame(self, table: str) -> pd.DataFrame:
        """Return the original rows of ``table`` that were set aside, with ``file``, ``line`` and ``reason``.

        These three columns come first. Where the source has a header of the
        same name (overrides have a ``reason`` column), the source column keeps
        its name and the added one is called ``quarantine_<name>``.
        """
        ledger = self.ledgers[table]
        aside = ~ledger.kept
        # By label, because after drop_kept_rows the raw frame contains the set-aside rows only.
        frame = ledger.raw.loc[aside.index[aside.to_numpy()]].copy()
        headers = set(frame.columns)
        added = {"file": ledger.files[aside].astype("str"), "line": ledger.lines[aside.to_numpy()],
                 "reason": ledger.reason[aside].astype("str")}
        for position, (name, values) in enumerate(added.items()):
            frame.insert(position, _free_name(name, headers), values)
        return frame.reset_index(drop=True)

    def write_quarantine(self, folder: str | Path) -> list[Path]:
        """Write the set-aside rows of each table and the row problems as CSV files.

        Files are ``<table>.csv`` (only for tables with set-aside rows) and
        ``problems.csv``, in UTF-8 with a byte-order mark so Excel shows
        Chinese text correctly.

        The rows are the source text, personal columns included, because the
        files are meant for finding and fixing the rows in the source. One
        warning is logged that they may carry personal data. A text cell that
        starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
        gets a leading single quote, so a spreadsheet never runs it as a
        formula. Texts that are plain signed numbers (``-5.00``, ``+3``,
        ``1e3``) are the exception: a spreadsheet reads them as numbers, and
        a quote would make a refund amount look like a different value. Line
        numbers stay numbers.

        Returns
        -------
        list of Path
            The files written.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        logger.warning(MESSAGES("quarantine_personal", self.lang, folder=folder))
        written = []
        for table, ledger in self.ledgers.items():
            if ledger.kept.all():
                continue
            path = folder / f"{table}.csv"
            _neutralise_text(self.set_aside_frame(table)).to_csv(path, index=False, encoding="utf-8-sig")
            written.append(path)

        path = folder / "problems.csv"
        problems = pd.DataFrame([vars(problem) for problem in self.problems],
                                columns=["table", "kind", "file", "row", "column", "value", "message"])
        _neutralise_text(problems).to_csv(path, index=False, encoding="utf-8-sig")
        written.append(path)
        logger.info("wrote quarantine files to %s", folder)
        return written


def _free_name(name: str, headers: set[str]) -> str:
    while name in headers:
        name = "quarantine_" + name
    return name


def _neutralise_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells cannot start a spreadsheet formula, plain numbers excepted."""
    result = frame.copy()
    for name in result.columns:
        column = result[name]
        if pd.api.types.is_string_dtype(column.dtype) or column.dtype == object:
            result[name] = column.map(_neutralise_raw_cell, na_action="ignore").astype(column.dtype)
    return result


def _neutralise_raw_cell(value: object) -> object:
    if isinstance(value, str) and _PLAIN_NUMBER.fullmatch(value):
        return value
    return neutralise_cell(value)
