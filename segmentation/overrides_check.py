"""Validation of label-override rows from the appeal channel (分类申诉通道).

Every override row is checked before it can change a label: the required
columns and values, a known customer, a known label, a decision no
earlier than its request, and an expiry no earlier than the decision. The
problems of all rows are collected and raised together as one
:class:`~segmentation.errors.DataValidationError`.
:mod:`segmentation.overrides` applies the rows that pass.

Conventions that hold for the whole file:

* the label of an override may be the key (``vip``) or its display name in
  either language (``VIP重点维护客户``, ``VIP key account``);
* naive timestamps are read in the configured time zone;
* rows are located for error messages by the ``source_row`` column when the
  loader provides one (1-based line of the file, header on line 1), else by
  their 1-based position in the frame.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .config import Config
from .errors import DataValidationError, Problem
from .i18n import Catalog
from .schema import Tables
from .windows import customer_codes

_REQUIRED_TEXT = ("customer_id", "label", "reason", "approved_by")
_REQUIRED_TIMES = ("requested_at", "decided_at")
# Reasons for which the loader sets an override row aside, reported as errors because a
# supervisor's decision must not vanish. Loading keeps overrides of unknown customers
# (cleaning.UNKNOWN_CUSTOMER_TABLES leaves them out), so no override row is set aside as
# "unknown_customer". It stays as a guard in case that changes, and it cannot report a row twice
# because override_problems checks only the rows that loading kept.
_REJECTED_WHEN_SET_ASIDE = ("unknown_customer", "missing_customer_id")

MESSAGES = Catalog({
    "where_line": {"zh": "覆盖文件 {file} 第 {row} 行", "en": "overrides file {file}, line {row}"},
    "where_position": {"zh": "覆盖表第 {row} 行", "en": "overrides row {row}"},
    "missing_column": {
        "zh": "覆盖表缺少列 {columns}；现有列：{present}。请补上这些列后重试。",
        "en": "the overrides table lacks column(s) {columns}; it has: {present}. Add them and retry.",
    },
    "missing_value": {
        "zh": "{where}：列 {column} 为空；每条覆盖都需要客户、标签、原因、审批人、申请时间和审批时间。",
        "en": "{where}: column {column} is empty; every override needs a customer, label, reason, "
              "approver, request time and decision time.",
    },
    "unknown_customer": {
        "zh": "{where}：客户 {value!r} 不在本次分类的客户中（可能不存在，或已作为测试/流失客户剔除）；"
              "请改正客户编号或删除该行。",
        "en": "{where}: customer {value!r} is not among the classified customers (unknown, or set aside "
              "as a test or churned account); correct the id or delete the row.",
    },
    "unknown_label": {
        "zh": "{where}：标签 {value!r} 未定义；可用标签：{allowed}。",
        "en": "{where}: label {value!r} is not defined; allowed labels: {allowed}.",
    },
    "decided_before_requested": {
        "zh": "{where}：审批时间 {decided} 早于申请时间 {requested}；请核对这两个时间。",
        "en": "{where}: decided_at {decided} is before requested_at {requested}; check both times.",
    },
    "expires_before_decided": {
        "zh": "{where}：失效时间 {expires} 早于审批时间 {decided}，该覆盖从未生效；请核对这两个时间。",
        "en": "{where}: expires_at {expires} is before decided_at {decided}, so the override never takes "
              "effect; check both times.",
    },
})


def _local_times(values: pd.Series, tz: str) -> pd.Series:
    times = pd.to_datetime(values)
    if times.dt.tz is None:
        return times.dt.tz_localize(tz)
    return times.dt.tz_convert(tz)


def _row_numbers(overrides: pd.DataFrame) -> pd.Series:
    if "source_row" in overrides.columns:
        return overrides["source_row"].astype("int64")
    return pd.Series(range(1, len(overrides) + 1), index=overrides.index, dtype="int64")


def _where(row: int, file: str | None, lang: str) -> str:
    if file:
        return MESSAGES("where_line", lang, file=file, row=row)
    return MESSAGES("where_position", lang, row=row)


def label_lookup(config: Config) -> dict[str, str]:
    """Return the map from label key and display names (any language) to the label key."""
    lookup: dict[str, str] = {}
    for key, names in config.labels.items():
        lookup[key] = key
        for name in (names.values() if isinstance(names, dict) else [names]):
            lookup[str(name).strip()] = key
    return lookup


def _check_columns(overrides: pd.DataFrame, file: str | None, lang: str) -> None:
    missing = [name for name in _REQUIRED_TEXT + _REQUIRED_TIMES if name not in overrides.columns]
    if missing:
        message = MESSAGES("missing_column", lang, columns=missing, present=list(overrides.columns))
        problem = Problem(table="overrides", kind="missing_column", message=message, file=file,
                          column=", ".join(missing), fatal=True)
        raise DataValidationError([problem])


def normalise_overrides(overrides: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Return a copy with string ids and labels, local timestamps and a ``source_row`` column.

    The label is stripped of surrounding spaces but not yet mapped to a key,
    so an unknown label is still visible for the error message.
    """
    frame = overrides.copy()
    frame["source_row"] = _row_numbers(overrides).to_numpy()
    for name in _REQUIRED_TEXT:
        text = frame[name].astype("str").str.strip()
        frame[name] = text.where(frame[name].notna() & (text != ""))
    if "expires_at" not in frame.columns:
        frame["expires_at"] = pd.NaT
    for name in _REQUIRED_TIMES + ("expires_at",):
        frame[name] = _local_times(frame[name], config.timezone)
    return frame


def _row_problems(row: pd.Series, unknown_customer: bool, known_label: bool,
                  config: Config, file: str | None, lang: str) -> list[Problem]:
    where = _where(int(row["source_row"]), file, lang)
    located = {"table": "overrides", "file": file, "row": int(row["source_row"]), "fatal": True}
    problems = []
    for column in _REQUIRED_TEXT + _REQUIRED_TIMES:
        if pd.isna(row[column]):
            message = MESSAGES("missing_value", lang, where=where, column=column)
            problems.append(Problem(kind="missing_value", message=message, column=column, **located))
    if unknown_customer:
        message = MESSAGES("unknown_customer", lang, where=where, value=row["customer_id"])
        problems.append(Problem(kind="unknown_customer", message=message, column="customer_id",
                                value=row["customer_id"], **located))
    if pd.notna(row["label"]) and not known_label:
        message = MESSAGES("unknown_label", lang, where=where, value=row["label"],
                           allowed=_allowed_labels(config, lang))
        problems.append(Problem(kind="unknown_label", message=message, column="label",
                                value=row["label"], **located))
    if pd.notna(row["decided_at"]) and pd.notna(row["requested_at"]) and row["decided_at"] < row["requested_at"]:
        message = MESSAGES("decided_before_requested", lang, where=where,
                           decided=row["decided_at"], requested=row["requested_at"])
        problems.append(Problem(kind="decided_before_requested", message=message, column="decided_at",
                                value=str(row["decided_at"]), **located))
    if pd.notna(row["expires_at"]) and pd.notna(row["decided_at"]) and row["expires_at"] < row["decided_at"]:
        message = MESSAGES("expires_before_decided", lang, where=where,
                           expires=row["expires_at"], decided=row["decided_at"])
        problems.append(Problem(kind="expires_before_decided", message=message, column="expires_at",
                                value=str(row["expires_at"]), **located))
    return problems


def _allowed_labels(config: Config, lang: str) -> str:
    return ", ".join(f"{key} ({config.label_name(key, lang)})" for key in config.labels)


def validate_overrides(overrides: pd.DataFrame, customer_ids: pd.Series | list[str], config: Config,
                       *, file: str | None = None, lang: str = "zh") -> pd.DataFrame:
    """Check every override row and return them normalised, with labels mapped to keys.

    Parameters
    ----------
    overrides : DataFrame
        Columns of :data:`segmentation.schema.OVERRIDES`; an optional
        ``source_row`` column gives each row's line in the file.
    customer_ids : sequence of str
        The classified customers.
    config : Config
    file : str, optional
        Path of the overrides file, named in error messages.
    lang : {"zh", "en"}

    Returns
    -------
    DataFrame
        The rows of :func:`normalise_overrides`, ``label`` replaced by its key.

    Raises
    ------
    DataValidationError
        One problem per bad cell, all rows checked first: a missing column or
        value, an unknown customer, an unknown label, a decision before the
        request, or an expiry before the decision.
    """
    _check_columns(overrides, file, lang)
    frame = normalise_overrides(overrides, config)
    problems = override_problems(frame, customer_ids, config, file=file, lang=lang)
    if problems:
        raise DataValidationError(problems)

    frame["label"] = frame["label"].map(label_lookup(config))
    return frame


def override_problems(frame: pd.DataFrame, customer_ids: pd.Series | list[str], config: Config, *,
                      file: str | None = None, lang: str = "zh") -> list[Problem]:
    """Return the problems of every row of a normalised override frame; see :func:`validate_overrides`.

    The checks run on whole columns because the customer list can hold
    millions of ids. Only the rows with a problem are visited one by one.
    """
    customers = frame["customer_id"]
    # customer_codes uses Arrow's hash lookup, because Series.isin on pandas 3.1 string data is
    # many times slower for a million ids.
    known_ids = pd.Index(pd.Series(customer_ids, dtype="str"))
    unknown_customer = customers.notna().to_numpy() & (customer_codes(customers, known_ids) < 0)
    known_label = frame["label"].isin(list(label_lookup(config))).to_numpy()
    missing = frame[list(_REQUIRED_TEXT + _REQUIRED_TIMES)].isna().any(axis=1).to_numpy()
    reversed_times = ((frame["decided_at"] < frame["requested_at"])
                      | (frame["expires_at"] < frame["decided_at"])).to_numpy()

    problems: list[Problem] = []
    for position in np.flatnonzero(unknown_customer | ~known_label | missing | reversed_times):
        problems.extend(_row_problems(frame.iloc[position], bool(unknown_customer[position]),
                                      bool(known_label[position]), config, file, lang))
    return problems


def loaded_override_problems(tables: Tables, lang: str = "zh") -> list[Problem]:
    """Return the problems of override rows that loading cleared or set aside.

    The loader sets aside rows with an unreadable date and, while
    ``cleaning.drop_missing_customer_id`` is on, rows without a customer id.
    It also clears an unreadable ``expires_at``. For an override each of these
    would silently change a supervisor's decision, so every one is returned
    as a fatal problem naming the file and line. Rows set aside because the
    customer is a test or churned account are not problems. The loader keeps
    an override of an unknown customer, so this function does not return it.
    :func:`override_problems` reports it with its line instead.
    """
    report = tables.quality
    if report is None or "overrides" not in getattr(report, "ledgers", {}):
        return []
    problems = [replace(problem, fatal=True) for problem in report.problems if problem.table == "overrides"]

    ledger = report.ledgers["overrides"]
    rejected = ledger.reason.isin(_REJECTED_WHEN_SET_ASIDE).to_numpy()
    for index in np.flatnonzero(rejected):
        file, line = str(ledger.files.iloc[index]), int(ledger.lines[index])
        where = _where(line, file, lang)
        value = ledger.frame["customer_id"].iloc[index]
        if pd.isna(value):
            message = MESSAGES("missing_value", lang, where=where, column="customer_id")
        else:
            message = MESSAGES("unknown_customer", lang, where=where, value=value)
        problems.append(Problem(table="overrides", kind=str(ledger.reason.iloc[index]), message=message, file=file,
                                row=line, column="customer_id", value=None if pd.isna(value) else str(value),
                                fatal=True))
    return problems


def check_loaded_overrides(tables: Tables, config: Config, lang: str = "zh") -> None:
    """Raise if any override row of a loaded source is invalid, before anything is classified.

    Collects the rows that loading set aside or changed (see
    :func:`loaded_override_problems`) and the problems of the kept rows (see
    :func:`validate_overrides`), so one run lists all of them.

    Raises
    ------
    DataValidationError
        With one problem per bad cell or row.
    """
    problems = loaded_override_problems(tables, lang)
    if tables.has("overrides"):
        files = tables.files.get("overrides") or [None]
        _check_columns(tables.overrides, files[0], lang)
        frame = normalise_overrides(tables.overrides, config)
        problems += override_problems(frame, tables.customers["customer_id"], config, file=files[0], lang=lang)
    if problems:
        raise DataValidationError(sorted(problems, key=lambda problem: problem.row or 0))
