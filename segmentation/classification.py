"""Classification: features, the three dimension tiers, composite labels and overrides in one call.

Conventions that hold for the whole file:

* ``as_of`` defaults to the end of the local day of the latest order or
  ticket in the data, never today. An old data set is thus classified as of
  its own last day, and the same data always gives the same labels.
* A dimension the data cannot support is stated in ``Classification.notes``
  (in the requested language) and never guessed silently: without orders the
  value tier is ``unavailable`` and the rule table uses ``mid`` instead.
* A customer registered after ``as_of`` does not exist yet at that time, so
  it is left out of features and labels and cannot shift the value tiers of
  others. ``notes`` gives the count. A customer without ``registered_at`` stays,
  unless the customers were derived from orders and tickets: such a customer
  had every record set aside, so it is left out too, with its own note.
* ``labels`` has one row per customer, sorted by ``customer_id``, with the
  columns of :data:`LABEL_COLUMNS` followed by ``rule_label`` and
  ``override_decided_at``, which ``apply_overrides`` adds.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .config import VALUE_TIERS, Config, load_config
from .errors import DataValidationError, ParameterError, Problem
from .features import build_features
from .i18n import Catalog, check_lang
from .labels import UNAVAILABLE, apply_label_rules, flag_columns, strategy_columns
from .overrides import apply_overrides
from .overrides_check import check_loaded_overrides
from .schema import Tables
from .tiers import activity_tiers, need_types, resolve_activity_basis, tier_categorical
from .tiers_value import ValueTierer, format_share, value_contribution
from .windows import NO_TIME, customer_codes, resolve_as_of, to_epoch_ns

logger = logging.getLogger(__name__)

LABEL_COLUMNS = (
    "customer_id", "value_tier", "activity_tier", "need_type", "need_share", "label", "label_rule",
    "flags", "churn_risk", "upsell", "near_boundary", "contribution", "spend", "contacts_per_month",
    "orders_per_month", "overridden", "override_reason", "override_by",
    "first_response_minutes", "clock", "dedicated_agent", "follow_up_days",
)
# Value tier used in the rule table when the data has no orders.
VALUE_FALLBACK = "mid"

MESSAGES = Catalog({
    "value_unavailable": {
        "zh": "无法计算价值维度：数据中没有订单。所有客户的价值层级记为“unavailable”，组合标签按中价值确定。",
        "en": "the value dimension could not be computed because the data has no orders; every value tier "
              "is 'unavailable' and the composite labels treat value as mid.",
    },
    "profit_missing": {
        "zh": "配置要求按 {contribution} 计算贡献，但订单数据没有利润，已改用消费金额（spend）。",
        "en": "the configuration asks for contribution '{contribution}', but the orders carry no profit; "
              "spend was used instead.",
    },
    "value_off_quota": {
        "zh": "价值层级的实际占比因并列值偏离目标：{details}。",
        "en": "ties moved value tiers off their intended shares: {details}.",
    },
    "value_share_item": {
        "zh": "{tier} 实际 {actual}，{customers} 人（目标 {intended}，{quota} 人）",
        "en": "{tier} {actual}, {customers} customers (intended {intended}, a quota of {quota})",
    },
    "activity_on_orders": {
        "zh": "数据中没有服务工单，活跃维度按每月订单数计算。",
        "en": "activity was measured on orders per month because the data has no service contacts.",
    },
    "activity_no_contacts": {
        "zh": "活跃维度配置为按服务工单计算，但数据中没有工单，所有客户均为低活跃。",
        "en": "activity is configured on service contacts, but the data has no tickets, "
              "so every customer is low activity.",
    },
    "activity_unavailable": {
        "zh": "数据中既没有工单也没有订单，无法衡量活跃度，所有客户均为低活跃。",
        "en": "the data has neither tickets nor orders, so activity cannot be measured "
              "and every customer is low activity.",
    },
    "need_unavailable": {
        "zh": "数据中没有服务工单，无法判断需求类型，所有客户的需求类型为“none”（无需求信号）。",
        "en": "the data has no service contacts, so the need type cannot be determined "
              "and every customer has need type 'none'.",
    },
    "no_timestamps": {
        "zh": "数据中没有订单或工单时间，无法推断截止日期；请传入 as_of（命令行为 --as-of），例如 2024-06-30。",
        "en": "the data has no order or ticket timestamps to infer as_of from; pass as_of (--as-of on the "
              "command line), e.g. 2024-06-30.",
    },
    "no_customers": {
        "zh": "没有可分类的客户：客户表为空。请检查数据源和清洗规则（例如被排除的客户状态）。",
        "en": "no customers to classify: the customer table is empty. Check the source and the cleaning rules "
              "(e.g. excluded customer statuses).",
    },
    "no_customers_yet": {
        "zh": "没有可分类的客户：全部 {count} 位客户的注册时间都晚于分类时点 {as_of}。"
              "数据的时间范围是 {first} 至 {last}，请在此范围内选择 as_of（或复核月份）。",
        "en": "no customers to classify: all {count} customers registered after as_of ({as_of}). "
              "The data runs from {first} to {last}; choose an as_of (or review month) inside that range.",
    },
    "no_usable_records": {
        "zh": "没有可分类的客户：全部 {count} 位客户都是从订单和工单中派生的，但他们的记录都被搁置了。"
              "请用 segmentation validate 查看被搁置的行。",
        "en": "no customers to classify: all {count} customers were derived from orders and tickets, "
              "but every one of their records was set aside. Run segmentation validate to see those rows.",
    },
    "without_records": {
        "zh": "有 {count} 位客户是从订单和工单中派生的，但他们的记录都被搁置了（例如缺少日期或金额为零），"
              "没有可用记录，未参与本次分类。",
        "en": "{count} customer(s) derived from orders and tickets had every record set aside "
              "(a missing date or a zero amount, say), so they have no usable record "
              "and were left out of this classification.",
    },
    "not_yet_registered": {
        "zh": "有 {count} 位客户的注册时间晚于分类时点 {as_of}，在该时点尚不存在，未参与本次分类。",
        "en": "{count} customer(s) registered after as_of ({as_of}) did not exist yet at that time "
              "and were left out of this classification.",
    },
    "separator": {"zh": "；", "en": "; "},
})


@dataclass
class Classification:
    """The result of :func:`classify`.

    Attributes
    ----------
    labels : DataFrame
        One row per customer with the columns of :data:`LABEL_COLUMNS`, then
        ``rule_label`` (the label before overrides) and ``override_decided_at``.
    features : DataFrame
        The per-customer features behind the tiers, index ``customer_id``.
    value_shares : DataFrame
        ``tier``, ``intended`` and ``actual`` share, and ``customers``, per value tier.
    notes : list of str
        Statements about dimensions the data could not fully support, in the requested language.
    as_of : Timestamp
        End of the window, timezone-aware.
    window : str
        Window length such as ``"6M"``.
    config : Config
        The configuration used.
    """

    labels: pd.DataFrame
    features: pd.DataFrame
    value_shares: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    as_of: pd.Timestamp | None = None
    window: str = "6M"
    config: Config | None = None


def default_as_of(tables: Tables, timezone: str, lang: str = "zh") -> pd.Timestamp:
    """Return the end of the local day of the latest order or ticket timestamp.

    Raises
    ------
    DataValidationError
        If neither orders nor tickets carry a timestamp.
    """
    latest = NO_TIME
    for name, column in (("orders", "order_date"), ("tickets", "created_at")):
        table = getattr(tables, name)
        if table is not None and len(table) and column in table.columns:
            latest = max(latest, int(to_epoch_ns(table[column]).max()))
    if latest == NO_TIME:
        raise DataValidationError([Problem("source", "no_timestamps", MESSAGES("no_timestamps", lang), fatal=True)])
    day = pd.Timestamp(latest, unit="ns", tz="UTC").tz_convert(timezone).strftime("%Y-%m-%d")
    return resolve_as_of(day, timezone, lang)


def classify(tables: Tables, config: Config | None = None, as_of: object = None, *, window: str | None = None,
             overrides: pd.DataFrame | None = None, lang: str = "zh") -> Classification:
    """Classify every customer by value, activity and need, and assign each one composite label.

    Parameters
    ----------
    tables : Tables
        Canonical tables, e.g. from ``load_source``. Customers registered
        after ``as_of``, and derived customers without ``registered_at``, are
        left out, and ``notes`` gives their counts.
    config : Config, optional
        Defaults to :func:`~segmentation.config.load_config`.
    as_of : str, date or Timestamp, optional
        End of the window; a date means the end of that local day. Defaults
        to the end of the day of the latest order or ticket.
    window : str, optional
        ``"<n>M"`` or ``"<n>D"``; defaults to ``config.window``.
    overrides : DataFrame, optional
        Approved label overrides in the ``schema.OVERRIDES`` layout; defaults
        to ``tables.overrides``. They are applied by
        ``segmentation.overrides.apply_overrides``, which rejects invalid rows
        with a ``DataValidationError``.
    lang : {"zh", "en"}, default "zh"
        Language of notes, warnings and errors.

    Returns
    -------
    Classification

    Raises
    ------
    ParameterError
        No customer registered by ``as_of``. The message names the first and
        last day of the data.
    DataValidationError
        No customer to classify (an empty customer table, or derived customers
        whose records were all set aside), no ``as_of`` and no order or ticket
        timestamp to infer it from, invalid override rows, or override rows
        that loading set aside (see
        :func:`~segmentation.overrides_check.check_loaded_overrides`), each named
        by file and line in ``lang``.
    ValueError
        An unreadable ``as_of`` or tables that break the canonical layout (see
        :func:`~segmentation.features.build_features`).

    Warns
    -----
    UserWarning
        When ties move a value tier more than one customer off its intended share.
    """
    check_lang(lang)
    config = config or load_config()
    window = str(window or config.window).upper()
    as_of = default_as_of(tables, config.timezone, lang) if as_of is None else resolve_as_of(as_of, config.timezone, lang)
    notes: list[str] = []
    existing, left_out = _registered_by(tables, as_of)
    if len(left_out):
        notes.append(MESSAGES("not_yet_registered", lang, count=len(left_out), as_of=f"{as_of:%Y-%m-%d %H:%M:%S}"))
    existing, without_records = _with_records(existing)
    if len(without_records):
        notes.append(MESSAGES("without_records", lang, count=len(without_records)))
    features = build_features(existing, as_of, window, config, lang=lang)
    if features.empty:
        _raise_no_customers(tables, left_out, without_records, as_of, config.timezone, lang)

    value_tier, near_boundary, contribution, value_shares = _value_dimension(features, config, lang, notes)
    activity_tier = _activity_dimension(features, tables, config, lang, notes)
    need = need_types(features, config.need.tie_break)
    if not tables.has("tickets"):
        notes.append(MESSAGES("need_unavailable", lang))

    tiers = pd.DataFrame({"value_tier": value_tier, "activity_tier": activity_tier,
                          "need_type": need["need_type"]}, index=features.index)
    labels = _label_frame(features, tiers, need["need_share"], near_boundary, contribution, config, lang)
    labels = _apply_overrides(labels, tables, overrides, left_out.append(without_records), config, as_of, lang)

    logger.info("classified %d customers as of %s over %s", len(labels), as_of, window)
    return Classification(labels=labels, features=features, value_shares=value_shares, notes=notes,
                          as_of=as_of, window=window, config=config)


def _value_dimension(features: pd.DataFrame, config: Config, lang: str,
                     notes: list[str]) -> tuple[pd.Categorical, np.ndarray, np.ndarray, pd.DataFrame]:
    """Return value tiers, near-boundary flags, contributions and the share table."""
    n = len(features)
    if not features.attrs["dimensions_available"]["value"]:
        notes.append(MESSAGES("value_unavailable", lang))
        tiers = tier_categorical([UNAVAILABLE] * n, (*VALUE_TIERS, UNAVAILABLE))
        shares = pd.DataFrame({"tier": tier_categorical(VALUE_TIERS, VALUE_TIERS),
                               "intended": [config.value.shares[tier] for tier in VALUE_TIERS],
                               "actual": np.nan, "customers": np.zeros(len(VALUE_TIERS), dtype="int64")})
        return tiers, np.zeros(n, dtype=bool), np.full(n, np.nan), shares

    value = config.value
    if value.contribution != "spend" and features["profit"].isna().all():
        notes.append(MESSAGES("profit_missing", lang, contribution=value.contribution))
        value = dataclasses.replace(value, contribution="spend")
    contribution = value_contribution(features, value)
    tierer = ValueTierer(shares=dict(value.shares), boundary_margin=value.boundary_margin, lang=lang)
    # fit, then transform, so a tie warning points at classify rather than into scikit-learn.
    keys = tierer.fit(contribution.to_frame()).transform(contribution.to_frame()).ravel()
    if tierer.off_quota_:
        notes.append(_off_quota_note(tierer.shares_, tierer.quota_, tierer.off_quota_, config, lang))
    tiers = tier_categorical(keys, VALUE_TIERS)
    return tiers, tierer.near_boundary(contribution.to_frame()), contribution.to_numpy(), tierer.shares_


def _off_quota_note(shares: pd.DataFrame, quota: dict[str, int], off_quota: list[str], config: Config,
                    lang: str) -> str:
    table = shares.set_index("tier", drop=False)
    items = []
    for tier in off_quota:
        row = table.loc[tier]
        items.append(MESSAGES("value_share_item", lang, tier=config.tier_name("value", tier, lang),
                              actual=format_share(row["actual"]), customers=int(row["customers"]),
                              intended=format_share(row["intended"]), quota=quota[tier]))
    return MESSAGES("value_off_quota", lang, details=MESSAGES("separator", lang).join(items))


def _activity_dimension(features: pd.DataFrame, tables: Tables, config: Config, lang: str,
                        notes: list[str]) -> pd.Series:
    has_tickets, has_orders = tables.has("tickets"), tables.has("orders")
    basis = resolve_activity_basis(config.activity.basis, has_tickets, lang)
    if not has_tickets and not has_orders:
        notes.append(MESSAGES("activity_unavailable", lang))
    elif basis == "contacts" and not has_tickets:
        notes.append(MESSAGES("activity_no_contacts", lang))
    elif basis == "orders" and config.activity.basis == "auto":
        notes.append(MESSAGES("activity_on_orders", lang))
    return activity_tiers(features, config.activity, basis=basis)


def _label_frame(features: pd.DataFrame, tiers: pd.DataFrame, need_share: pd.Series, near_boundary: np.ndarray,
                 contribution: np.ndarray, config: Config, lang: str) -> pd.DataFrame:
    rule_tiers = tiers.copy()
    if (tiers["value_tier"] == UNAVAILABLE).any():
        rule_tiers["value_tier"] = tiers["value_tier"].astype("str").where(
            tiers["value_tier"] != UNAVAILABLE, VALUE_FALLBACK)
    ruled = apply_label_rules(rule_tiers, config, lang=lang)
    flags = flag_columns(tiers, near_boundary, config.flags)
    strategy = strategy_columns(ruled["label"], config.strategies)

    no_text = pd.array([pd.NA] * len(features), dtype="str")
    labels = pd.concat([
        tiers, need_share.rename("need_share"), ruled, flags,
        pd.DataFrame({
            "contribution": contribution,
            "spend": features["spend"].to_numpy(),
            "contacts_per_month": features["contacts_per_month"].to_numpy(),
            "orders_per_month": features["orders_per_month"].to_numpy(),
            "overridden": np.zeros(len(features), dtype=bool),
            "override_reason": no_text,
            "override_by": no_text.copy(),
        }, index=features.index),
        strategy,
    ], axis=1)
    labels.insert(0, "customer_id", pd.array(features.index.to_numpy(), dtype="str"))
    return labels.reset_index(drop=True)[list(LABEL_COLUMNS)]


def _registered_by(tables: Tables, as_of: pd.Timestamp) -> tuple[Tables, pd.Index]:
    """Return the tables without customers registered after ``as_of``, and the ids left out.

    Their orders and tickets stay in the tables, and ``build_features`` leaves
    them out as rows of unknown customers. Timezone-naive registration times
    are kept for ``build_features`` to reject with its message.
    """
    customers = tables.customers
    if "registered_at" not in customers.columns or getattr(customers["registered_at"].dtype, "tz", None) is None:
        return tables, pd.Index([], dtype="str")
    later = to_epoch_ns(customers["registered_at"]) > as_of.value
    if not later.any():
        return tables, pd.Index([], dtype="str")
    left_out = pd.Index(customers.loc[later, "customer_id"].astype("str"))
    return dataclasses.replace(tables, customers=customers.loc[~later]), left_out


def _with_records(tables: Tables) -> tuple[Tables, pd.Index]:
    """Return the tables without derived customers that have no ``registered_at``, and the ids left out.

    The loader dates a derived customer by their first kept order or ticket
    (see :func:`~segmentation.loading.date_derived_customers`), so a derived
    customer without a date had every row set aside and has no usable record.
    A customer read from a customer file stays even without ``registered_at``.
    """
    customers = tables.customers
    if not tables.customers_derived or "registered_at" not in customers.columns:
        return tables, pd.Index([], dtype="str")
    undated = customers["registered_at"].isna().to_numpy()
    if not undated.any():
        return tables, pd.Index([], dtype="str")
    left_out = pd.Index(customers.loc[undated, "customer_id"].astype("str"))
    return dataclasses.replace(tables, customers=customers.loc[~undated]), left_out


def _raise_no_customers(tables: Tables, left_out: pd.Index, without_records: pd.Index, as_of: pd.Timestamp,
                        timezone: str, lang: str) -> None:
    """Raise the error that explains why no customer is left to classify.

    An ``as_of`` before every customer's registration is a run parameter to
    change, so it raises ``ParameterError``. The other causes are in the data
    and raise ``DataValidationError``.
    """
    if len(left_out):
        first, last = _data_span(tables, timezone)
        raise ParameterError(MESSAGES("no_customers_yet", lang, count=len(left_out),
                                      as_of=f"{as_of:%Y-%m-%d %H:%M:%S}", first=first, last=last))
    if len(without_records):
        message = MESSAGES("no_usable_records", lang, count=len(without_records))
        raise DataValidationError([Problem("customers", "no_usable_records", message, fatal=True)])
    raise DataValidationError([Problem("customers", "no_customers", MESSAGES("no_customers", lang), fatal=True)])


def _data_span(tables: Tables, timezone: str) -> tuple[str, str]:
    """Return the first and last local day of the order, ticket and registration times."""
    stamps: list[int] = []
    for name, column in (("orders", "order_date"), ("tickets", "created_at"), ("customers", "registered_at")):
        table = getattr(tables, name)
        if table is None or column not in table.columns or getattr(table[column].dtype, "tz", None) is None:
            continue
        values = to_epoch_ns(table[column])
        values = values[values != NO_TIME]
        if len(values):
            stamps += [int(values.min()), int(values.max())]
    days = [pd.Timestamp(stamp, unit="ns", tz="UTC").tz_convert(timezone).strftime("%Y-%m-%d")
            for stamp in (min(stamps), max(stamps))]
    return days[0], days[1]


def _apply_overrides(labels: pd.DataFrame, tables: Tables, overrides: pd.DataFrame | None, left_out: pd.Index,
                     config: Config, as_of: pd.Timestamp, lang: str) -> pd.DataFrame:
    """Check the loaded override rows, then apply the overrides in force to ``labels``.

    Raises the same ``DataValidationError`` as the CLI for rows that are
    invalid or that loading set aside, in ``lang``, naming file and line. It
    runs even without overrides, so the label columns never depend on the data.
    """
    check_loaded_overrides(tables, config, lang)
    from_tables = overrides is None
    frame = tables.overrides if from_tables else overrides
    file = (tables.files.get("overrides") or [None])[0] if from_tables else None
    return apply_overrides(labels, _without_customers(frame, left_out), config, as_of, file=file, lang=lang)


def _without_customers(frame: pd.DataFrame | None, customer_ids: pd.Index) -> pd.DataFrame | None:
    """Drop the override rows of ``customer_ids``, keeping each remaining row's line for error messages."""
    if frame is None or not len(customer_ids) or "customer_id" not in frame.columns:
        return frame
    if "source_row" not in frame.columns:
        frame = frame.assign(source_row=np.arange(1, len(frame) + 1))
    dropped = customer_codes(frame["customer_id"].astype("str").str.strip(), customer_ids) >= 0
    return frame[~dropped]
