"""Writing the sample tables as a Chinese CRM export, with known data problems planted.

The canonical tables of the generator are turned into text as a CRM would
export them: Chinese headers that :mod:`segmentation.schema` lists as
aliases, Chinese status words, naive Beijing timestamps ``YYYY-MM-DD
HH:MM:SS``, amounts with two decimals. Then, when asked, a small fixed
number of each problem the loader must handle is planted on distinct clean
rows, and every count goes into the problem manifest, so a test can check
that the loader reports exactly those numbers.

Conventions that hold for the whole file:

* export frames keep the canonical column names and hold text (``str``
  dtype, missing values as NA); headers are translated only when writing;
* copied rows (duplicates, rows without customer id, rows of unknown
  customers) are placed right after the row they copy, as an export would
  repeat them; rows that get an invented order or ticket id take it from
  ``O9...``/``T9...``, a range the generator never reaches below 900 million
  rows;
* the manifest is ``{table: {problem: count}}`` and counts rows as written.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CUSTOMER_STATUS_TEXT = {"active": "正常", "churned": "流失", "test": "测试"}
ORDER_STATUS_TEXT = {"paid": "已支付", "cancelled": "已取消", "refunded": "已退款", "unpaid": "未支付"}
TICKET_STATUS_TEXT = {"open": "待处理", "pending": "处理中", "resolved": "已解决", "closed": "已关闭"}

EXPORT_HEADERS: dict[str, dict[str, str]] = {
    "customers": {"customer_id": "客户编号", "name": "客户名称", "phone": "电话", "email": "邮箱",
                  "registered_at": "注册时间", "industry": "行业", "region": "地区", "status": "状态"},
    "orders": {"order_id": "订单号", "customer_id": "客户编号", "order_date": "下单时间", "amount": "金额",
               "profit": "利润", "status": "订单状态", "product": "产品"},
    "tickets": {"ticket_id": "工单号", "customer_id": "客户编号", "created_at": "创建时间",
                "first_response_at": "首次响应时间", "resolved_at": "解决时间", "channel": "渠道",
                "issue_type": "问题类型", "csat": "满意度", "status": "工单状态"},
    "followups": {"customer_id": "客户编号", "followup_at": "回访时间", "agent": "客服", "purpose": "回访目的",
                  "note": "备注"},
    "overrides": {"customer_id": "客户编号", "label": "标签", "reason": "原因", "approved_by": "审批人",
                  "requested_at": "申请时间", "decided_at": "审批时间", "expires_at": "失效时间"},
}

# Rows of each planted problem; fixed, so the numbers stay small and known at any size.
PLANTED: dict[str, dict[str, int]] = {
    "customers": {"missing_customer_id": 2, "exact_duplicate": 3},
    "orders": {"missing_customer_id": 3, "exact_duplicate": 5, "unknown_customer": 4, "impossible_date": 1,
               "future_date": 2, "amount_with_currency_sign": 15, "amount_with_yuan_suffix": 10},
    "tickets": {"missing_customer_id": 2, "exact_duplicate": 4, "unknown_customer": 3, "bad_date": 1,
                "resolved_before_created": 3, "csat_out_of_scale": 1},
}
UNKNOWN_CUSTOMER_PREFIX = "C98"
IMPOSSIBLE_DATE = "2023-02-29"
FUTURE_YEAR = "2042"
UNPARSEABLE_DATE = "2024-03-15 下午3点"
OUT_OF_SCALE_PHONE_SCORE = "7"
CSAT_OUT_OF_SCALE_CHANNEL = "电话"
UTC_CHANNEL = "在线客服"


def _time_text(values: pd.Series, fmt: str = "%Y-%m-%d %H:%M:%S") -> pd.Series:
    return pd.Series(pd.to_datetime(values).dt.strftime(fmt), index=values.index, dtype="str")


def _number_text(values: pd.Series, fmt: str = "{:.2f}") -> pd.Series:
    text = [fmt.format(value) if pd.notna(value) else None for value in values.to_numpy()]
    return pd.Series(text, index=values.index, dtype="str")


def to_text(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Format canonical tables with naive local datetime64 columns as export text.

    Parameters
    ----------
    tables : dict of DataFrame
        ``customers, orders, tickets, followups, overrides`` with naive
        datetime64 wall-clock times and canonical (English) status keys.

    Returns
    -------
    dict of DataFrame
        Same tables and columns, all ``str``; tickets lose the helper columns
        ``csat_min`` and ``csat_max``.
    """
    text = {}
    for name, frame in tables.items():
        columns = {}
        for column in EXPORT_HEADERS[name]:
            values = frame[column]
            if pd.api.types.is_datetime64_any_dtype(values):
                fmt = "%Y-%m-%d" if column == "registered_at" else "%Y-%m-%d %H:%M:%S"
                columns[column] = _time_text(values, fmt)
            elif column in ("amount", "profit"):
                columns[column] = _number_text(values)
            elif column == "csat":
                columns[column] = _number_text(values, "{:.0f}")
            else:
                columns[column] = values.astype("str")
        text[name] = pd.DataFrame(columns)
    text["customers"]["status"] = text["customers"]["status"].map(CUSTOMER_STATUS_TEXT).astype("str")
    text["orders"]["status"] = text["orders"]["status"].map(ORDER_STATUS_TEXT).astype("str")
    text["tickets"]["status"] = text["tickets"]["status"].map(TICKET_STATUS_TEXT).astype("str")
    return text


def _utc_text(local: pd.Series) -> pd.Series:
    """Rewrite naive Beijing times (UTC+8, no daylight saving) as UTC with a ``Z``, as the chat tool exports them."""
    utc = pd.to_datetime(local) - pd.Timedelta(hours=8)
    return pd.Series(utc.dt.strftime("%Y-%m-%dT%H:%M:%SZ"), index=local.index, dtype="str")


def _copies(frame: pd.DataFrame, rows: np.ndarray, position: pd.Series, step: float) -> tuple[pd.DataFrame, pd.Series]:
    copied = frame.loc[rows].copy()
    return copied, position.loc[rows] + step


class Planter:
    """Plants problems in one export table and counts them.

    Rows are drawn without replacement from the table's clean rows, so no
    row carries two planted problems and every count is exact.
    """

    def __init__(self, rng: np.random.Generator, name: str, frame: pd.DataFrame, clean: np.ndarray) -> None:
        self.rng = rng
        self.name = name
        self.frame = frame.reset_index(drop=True)
        self.position = pd.Series(np.arange(len(self.frame), dtype=float))
        self.pool = rng.permutation(np.flatnonzero(clean))
        self.added: list[tuple[pd.DataFrame, pd.Series]] = []
        self.counts: dict[str, int] = {}
        self.next_id = 900_000_001

    def take(self, problem: str, count: int, among: np.ndarray | None = None) -> np.ndarray:
        """Reserve ``count`` clean rows (restricted to the mask ``among``) for ``problem``."""
        candidates = self.pool if among is None else self.pool[among[self.pool]]
        rows = candidates[:count]
        if len(rows) < count:
            raise ValueError(f"the {self.name} table has only {len(rows)} clean rows for {problem!r}, "
                             f"{count} needed; generate more customers")
        self.pool = self.pool[~np.isin(self.pool, rows)]
        self.counts[problem] = self.counts.get(problem, 0) + len(rows)
        return rows

    def add_copies(self, problem: str, count: int, changes: dict[str, object] | None = None,
                   id_column: str | None = None, id_prefix: str = "") -> None:
        """Append altered copies of clean rows next to their originals."""
        copied, position = _copies(self.frame, self.take(problem, count), self.position, 0.5)
        for column, value in (changes or {}).items():
            copied[column] = value
        if id_column is not None:
            copied[id_column] = [f"{id_prefix}{self.next_id + i}" for i in range(len(copied))]
            self.next_id += len(copied)
        self.added.append((copied, position))

    def result(self) -> pd.DataFrame:
        """Return the table with the copies in place, in export order."""
        frames = [self.frame] + [frame for frame, _ in self.added]
        positions = pd.concat([self.position] + [position for _, position in self.added], ignore_index=True)
        merged = pd.concat(frames, ignore_index=True)
        order = np.argsort(positions.to_numpy(), kind="stable")
        return merged.iloc[order].reset_index(drop=True)


def _unknown_ids(count: int) -> list[str]:
    return [f"{UNKNOWN_CUSTOMER_PREFIX}{i + 1:06d}" for i in range(count)]


def plant_customer_problems(rng: np.random.Generator, customers: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Plant customer rows without id and exact duplicates."""
    clean = (customers["status"] == CUSTOMER_STATUS_TEXT["active"]).to_numpy()
    planter = Planter(rng, "customers", customers, clean)
    planned = PLANTED["customers"]
    planter.add_copies("missing_customer_id", planned["missing_customer_id"], {"customer_id": pd.NA})
    planter.add_copies("exact_duplicate", planned["exact_duplicate"])
    return planter.result(), planter.counts


def plant_order_problems(rng: np.random.Generator, orders: pd.DataFrame,
                         clean_customers: set[str]) -> tuple[pd.DataFrame, dict]:
    """Plant order problems: copies, impossible and future dates, amounts with ``¥`` or ``元``."""
    clean = (orders["customer_id"].isin(clean_customers) & (orders["status"] == ORDER_STATUS_TEXT["paid"])
             & ~orders["order_id"].str.endswith("-R")).to_numpy()
    planter = Planter(rng, "orders", orders, clean)
    planned = PLANTED["orders"]
    planter.add_copies("missing_customer_id", planned["missing_customer_id"], {"customer_id": pd.NA}, "order_id", "O")
    planter.add_copies("exact_duplicate", planned["exact_duplicate"])
    planter.add_copies("unknown_customer", planned["unknown_customer"],
                       {"customer_id": _unknown_ids(planned["unknown_customer"])}, "order_id", "O")

    frame = planter.frame
    rows = planter.take("impossible_date", planned["impossible_date"])
    frame.loc[rows, "order_date"] = IMPOSSIBLE_DATE + frame.loc[rows, "order_date"].str.slice(10)
    rows = planter.take("future_date", planned["future_date"])
    frame.loc[rows, "order_date"] = FUTURE_YEAR + frame.loc[rows, "order_date"].str.slice(4)

    rows = planter.take("amount_with_currency_sign", planned["amount_with_currency_sign"])
    frame.loc[rows, "amount"] = ["¥" + f"{float(value):,.2f}" for value in frame.loc[rows, "amount"]]
    rows = planter.take("amount_with_yuan_suffix", planned["amount_with_yuan_suffix"])
    frame.loc[rows, "amount"] = [f"{float(value):g}元" for value in frame.loc[rows, "amount"]]
    return planter.result(), planter.counts


def plant_ticket_problems(rng: np.random.Generator, tickets: pd.DataFrame,
                          clean_customers: set[str]) -> tuple[pd.DataFrame, dict]:
    """Plant ticket problems: copies, a bad date, resolution before creation, an out-of-scale CSAT.

    Chat tickets are never planted on, because their first responses are
    rewritten in UTC by :func:`write_chat_responses_in_utc`.
    """
    finished = tickets["status"].isin([TICKET_STATUS_TEXT["resolved"], TICKET_STATUS_TEXT["closed"]])
    clean = (tickets["customer_id"].isin(clean_customers) & finished & (tickets["channel"] != UTC_CHANNEL)
             & tickets["first_response_at"].notna()).to_numpy()
    planter = Planter(rng, "tickets", tickets, clean)
    planned = PLANTED["tickets"]
    planter.add_copies("missing_customer_id", planned["missing_customer_id"], {"customer_id": pd.NA}, "ticket_id", "T")
    planter.add_copies("exact_duplicate", planned["exact_duplicate"])
    planter.add_copies("unknown_customer", planned["unknown_customer"],
                       {"customer_id": _unknown_ids(planned["unknown_customer"])}, "ticket_id", "T")

    frame = planter.frame
    rows = planter.take("bad_date", planned["bad_date"])
    frame.loc[rows, "created_at"] = UNPARSEABLE_DATE
    rows = planter.take("resolved_before_created", planned["resolved_before_created"])
    earlier = pd.to_datetime(frame.loc[rows, "created_at"]) - pd.Timedelta(hours=2)
    frame.loc[rows, "resolved_at"] = earlier.dt.strftime("%Y-%m-%d %H:%M:%S")

    phone_scored = (frame["channel"] == CSAT_OUT_OF_SCALE_CHANNEL).to_numpy() & frame["csat"].notna().to_numpy()
    rows = planter.take("csat_out_of_scale", planned["csat_out_of_scale"], among=phone_scored)
    frame.loc[rows, "csat"] = OUT_OF_SCALE_PHONE_SCORE
    return planter.result(), planter.counts


def write_chat_responses_in_utc(tickets: pd.DataFrame, since: pd.Timestamp) -> tuple[pd.DataFrame, int]:
    """Rewrite the first responses of chat tickets created from ``since`` in UTC with ``Z``.

    The chat tool that replaced the old one on ``since`` exports UTC, while
    every other column stays naive Beijing time.

    Returns
    -------
    tickets : DataFrame
    count : int
        Rows rewritten.
    """
    created = pd.to_datetime(tickets["created_at"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    rows = ((tickets["channel"] == UTC_CHANNEL) & (created >= since) & tickets["first_response_at"].notna()).to_numpy()
    tickets = tickets.copy()
    tickets.loc[rows, "first_response_at"] = _utc_text(tickets.loc[rows, "first_response_at"])
    return tickets, int(rows.sum())


def with_headers(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with its Chinese export headers."""
    return frame.rename(columns=EXPORT_HEADERS[name])
