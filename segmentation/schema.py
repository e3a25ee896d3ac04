"""Canonical tables: the one schema every loader produces and every analysis reads.

Conventions that hold for every table:

* identifiers (``customer_id``, ``order_id``, ``ticket_id``) are strings,
  never numbers, so ``00123`` stays ``00123``;
* timestamps are timezone-aware, in the configured zone (default
  Asia/Shanghai);
* money is a float in the data's currency; a negative amount is a refund;
* satisfaction is stored raw (``csat``) with its declared scale
  (``csat_min``, ``csat_max``) and rescaled linearly to ``csat_100`` in [0, 100].

Header aliases below let a folder of exports with well-known Chinese or
English headers load without a source file; matching ignores case, spaces,
underscores and hyphens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

ColumnKind = Literal["id", "text", "datetime", "amount", "number", "category", "csat"]

CUSTOMER_STATUSES = ("active", "churned", "test")
ORDER_STATUSES = ("paid", "cancelled", "refunded", "unpaid")
TICKET_STATUSES = ("open", "pending", "resolved", "closed")


@dataclass(frozen=True)
class Column:
    """One canonical column.

    Attributes
    ----------
    name : str
        Canonical name.
    kind : str
        How values are parsed: ``id`` (string key), ``text``, ``datetime``,
        ``amount`` (money, may carry a currency sign), ``number``,
        ``category`` (one of ``allowed``), ``csat`` (score on a declared scale).
    required : bool
        A source without this column cannot be loaded.
    personal : bool
        Personal data (name, phone, e-mail): never shown in meeting reports.
    allowed : tuple of str
        Allowed values of a ``category`` column.
    aliases : tuple of str
        Other headers that mean this column.
    """

    name: str
    kind: ColumnKind
    required: bool = False
    personal: bool = False
    allowed: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSchema:
    """Canonical columns of one table and its unique key."""

    name: str
    key: str | None
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        """Canonical column names in schema order."""
        return [column.name for column in self.columns]

    @property
    def required(self) -> list[str]:
        """Names of the required columns."""
        return [column.name for column in self.columns if column.required]

    @property
    def personal(self) -> list[str]:
        """Names of the columns holding personal data."""
        return [column.name for column in self.columns if column.personal]

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name!r} has no column {name!r}; columns: {self.names}")


CUSTOMERS = TableSchema(
    name="customers",
    key="customer_id",
    columns=(
        Column("customer_id", "id", required=True,
               aliases=("客户ID", "客户编号", "客户号", "会员ID", "会员编号", "用户ID", "customer", "customerid",
                        "customer id", "client id", "emp_id")),
        Column("name", "text", personal=True,
               aliases=("客户名称", "客户姓名", "姓名", "名称", "customer name", "full name")),
        Column("phone", "text", personal=True, aliases=("电话", "手机", "手机号", "联系电话", "phone number", "mobile")),
        Column("email", "text", personal=True, aliases=("邮箱", "电子邮箱", "e-mail", "mail", "customer email")),
        Column("registered_at", "datetime",
               aliases=("注册时间", "注册日期", "开户日期", "registration date", "signup date", "created")),
        Column("industry", "text", aliases=("行业", "所属行业", "sector")),
        Column("region", "text", aliases=("地区", "区域", "城市", "省份", "city", "country", "area")),
        Column("status", "category", allowed=CUSTOMER_STATUSES, aliases=("状态", "客户状态", "customer status")),
        # A lifetime total some CRMs export with the master data. It is loaded and
        # shown, but value tiers use the orders table's amounts over the window.
        Column("total_spend", "amount", aliases=("累计消费", "累计消费金额", "消费总额", "total spend", "lifetime spend")),
    ),
)

ORDERS = TableSchema(
    name="orders",
    key="order_id",
    columns=(
        Column("order_id", "id", required=True,
               aliases=("订单号", "订单编号", "订单ID", "invoice", "invoiceno", "invoice no", "order number")),
        Column("customer_id", "id", required=True,
               aliases=("客户ID", "客户编号", "客户号", "会员ID", "customerid", "customer id", "customer")),
        Column("order_date", "datetime", required=True,
               aliases=("下单时间", "订单时间", "订单日期", "下单日期", "购买时间", "invoicedate", "invoice date",
                        "date", "order time", "purchase date")),
        Column("amount", "amount", required=True,
               aliases=("金额", "订单金额", "实付金额", "消费金额", "累计消费", "total", "order amount", "spend", "value")),
        Column("profit", "amount", aliases=("利润", "毛利", "margin")),
        Column("status", "category", allowed=ORDER_STATUSES, aliases=("订单状态", "状态", "order status")),
        Column("product", "text", aliases=("商品", "产品", "商品名称", "产品名称", "description", "stockcode", "sku")),
    ),
)

TICKETS = TableSchema(
    name="tickets",
    key="ticket_id",
    columns=(
        Column("ticket_id", "id", required=True,
               aliases=("工单号", "工单编号", "工单ID", "ticket", "ticket number", "case id")),
        Column("customer_id", "id", required=True,
               aliases=("客户ID", "客户编号", "客户号", "会员ID", "customerid", "customer id", "customer")),
        Column("created_at", "datetime", required=True,
               aliases=("创建时间", "提交时间", "来电时间", "受理时间", "created", "created time", "open time")),
        Column("first_response_at", "datetime",
               aliases=("首次响应时间", "首响时间", "首次回复时间", "first response", "first response time")),
        Column("resolved_at", "datetime",
               aliases=("解决时间", "结案时间", "关闭时间", "resolution time", "resolved", "closed at")),
        Column("channel", "text", aliases=("渠道", "来源渠道", "接入渠道", "ticket channel", "source")),
        Column("issue_type", "text", aliases=("问题类型", "工单类型", "咨询类型", "ticket type", "type", "category")),
        Column("csat", "csat", aliases=("满意度", "满意度评分", "评分", "customer satisfaction rating", "rating",
                                        "satisfaction")),
        Column("status", "category", allowed=TICKET_STATUSES,
               aliases=("工单状态", "状态", "ticket status")),
    ),
)

FOLLOWUPS = TableSchema(
    name="followups",
    key=None,
    columns=(
        Column("customer_id", "id", required=True, aliases=("客户ID", "客户编号", "customer id")),
        Column("followup_at", "datetime", required=True, aliases=("回访时间", "跟进时间", "followup date")),
        Column("agent", "text", aliases=("客服", "负责人", "坐席")),
        Column("purpose", "text", aliases=("目的", "回访目的", "跟进内容")),
        Column("note", "text", aliases=("备注",)),
    ),
)

OVERRIDES = TableSchema(
    name="overrides",
    key=None,
    columns=(
        Column("customer_id", "id", required=True, aliases=("客户ID", "客户编号", "customer id")),
        Column("label", "text", required=True, aliases=("标签", "调整后标签")),
        Column("reason", "text", required=True, aliases=("原因", "申诉原因")),
        Column("approved_by", "text", required=True, aliases=("审批人", "approver")),
        Column("requested_at", "datetime", required=True, aliases=("申请时间", "申诉时间")),
        Column("decided_at", "datetime", required=True, aliases=("审批时间", "决定时间")),
        Column("expires_at", "datetime", aliases=("失效时间", "到期时间")),
    ),
)

SCHEMAS: dict[str, TableSchema] = {
    schema.name: schema for schema in (CUSTOMERS, ORDERS, TICKETS, FOLLOWUPS, OVERRIDES)
}
CORE_TABLES = ("customers", "orders", "tickets")

_HEADER_NOISE = re.compile(r"[\s_\-\u3000（）()]+")


def normalise_header(header: object) -> str:
    """Return a header reduced for matching: lower case, no spaces, underscores or hyphens."""
    return _HEADER_NOISE.sub("", str(header)).strip().lower().lstrip("\ufeff")


def empty_table(name: str, tz: str = "Asia/Shanghai") -> pd.DataFrame:
    """Return an empty canonical table with the right dtypes."""
    schema = SCHEMAS[name]
    data = {column.name: pd.Series(dtype=_dtype(column, tz)) for column in schema.columns}
    if name == "tickets":
        data["csat_min"] = pd.Series(dtype="float64")
        data["csat_max"] = pd.Series(dtype="float64")
        data["csat_100"] = pd.Series(dtype="float64")
    return pd.DataFrame(data)


def _dtype(column: Column, tz: str) -> str:
    if column.kind == "datetime":
        return f"datetime64[ns, {tz}]"
    if column.kind in ("amount", "number", "csat"):
        return "float64"
    return "str"


@dataclass
class Tables:
    """The canonical tables of one data source after loading and cleaning.

    Attributes
    ----------
    customers : DataFrame
        Always present. When the source has no customer file, it is derived
        from the ids seen in orders and tickets (``customers_derived`` is True).
    orders, tickets, followups, overrides : DataFrame or None
        None when the source does not have the table.
    source : str
        Name of the data source (a folder or a source file).
    timezone : str
        Zone of every timestamp.
    customers_derived : bool
        True when ``customers`` was built from the ids in other tables.
    quality : object
        The data-quality report of the load (see :mod:`segmentation.quality`).
    files : dict
        Table name -> list of input file paths read, for hashes in run manifests.
    """

    customers: pd.DataFrame
    orders: pd.DataFrame | None = None
    tickets: pd.DataFrame | None = None
    followups: pd.DataFrame | None = None
    overrides: pd.DataFrame | None = None
    source: str = ""
    timezone: str = "Asia/Shanghai"
    customers_derived: bool = False
    quality: object | None = None
    files: dict[str, list[str]] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        """Return True if table ``name`` is present and has at least one row."""
        table = getattr(self, name)
        return table is not None and len(table) > 0

    @property
    def dimensions_available(self) -> dict[str, bool]:
        """Which classification dimensions this data supports.

        Value needs orders; need needs tickets; activity can run on contacts
        (tickets) or, failing that, on orders.
        """
        return {
            "value": self.has("orders"),
            "activity": self.has("tickets") or self.has("orders"),
            "need": self.has("tickets"),
        }
