"""Latent customer segments of the sample data and the customers drawn from them.

The sample is a synthetic CRM export. Every customer belongs to one latent
segment, and the segment fixes the parameters its orders and service tickets
are drawn from (see :data:`SEGMENTS`). The segments are separable in the
per-customer feature space the workbench builds (log spend over the last
6 months, contacts per month, need-type shares, CSAT, recency), so clustering
can be checked against them.

Conventions that hold for the whole file:

* timestamps are ``numpy.datetime64[s]`` on the local wall clock of the
  sample (Asia/Shanghai, which has no daylight saving time since 1991, so a
  wall-clock second is a real second);
* rates are per calendar month. A customer's order rate at month ``m``
  (0-based from the period start) is ``order_rate * exp(trend * (m - ref))``,
  where ``ref`` is the middle of the last 6 months, so ``order_rate`` is the
  level that features over the last 6 months measure;
* money is CNY.

Every name, phone number and e-mail address is invented; e-mail domains are
the reserved ``example.*`` domains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ISSUE_TYPES = ("产品咨询", "使用咨询", "投诉", "故障", "退货", "退款", "升级", "续约", "加购", "建议")
CHANNELS = ("电话", "在线客服", "邮件")

# Spread of the per-customer log multipliers around the segment level.
RATE_SPREAD = 0.35
AMOUNT_SPREAD = 0.45
CONTACT_SPREAD = 0.30
TREND_SPREAD = 0.015


@dataclass(frozen=True)
class SegmentSpec:
    """Generating parameters of one latent segment.

    Attributes
    ----------
    key, name : str
        Stable English key and Chinese display name.
    share : float
        Expected fraction of customers, in [0, 1].
    orders_per_month, contacts_per_month : float
        Typical customer's rates in the last 6 months of the period.
    amount_median : float
        Typical customer's median order amount, CNY.
    trend_mean : float
        Mean monthly log change of the order rate (0.06 is about +6% a month).
    issue_mix, channel_mix : tuple of float
        Probabilities over :data:`ISSUE_TYPES` and :data:`CHANNELS`.
    csat_base : float
        Latent satisfaction in [0, 1] before the slow-response penalty.
    breach_rate : float
        Share of tickets whose first response misses the service target.
    resolution_hours : float
        Median hours from first response to resolution.
    vip_like : bool
        True when the service team responds around the clock within 15
        minutes; otherwise it responds within 2 working hours on Chinese
        workdays.
    dormant : bool
        All activity stops at a customer-specific date at least 3 months and
        10 days before the period end.
    """

    key: str
    name: str
    share: float
    orders_per_month: float
    amount_median: float
    contacts_per_month: float
    trend_mean: float
    issue_mix: tuple[float, ...]
    channel_mix: tuple[float, ...]
    csat_base: float
    breach_rate: float
    resolution_hours: float
    vip_like: bool = False
    dormant: bool = False


# Issue mixes follow ISSUE_TYPES:
#   产品咨询 使用咨询 投诉 故障 退货 退款 升级 续约 加购 建议
SEGMENTS: tuple[SegmentSpec, ...] = (
    SegmentSpec("key_account", "重点客户", 0.08, orders_per_month=2.0, amount_median=3500.0,
                contacts_per_month=3.3, trend_mean=0.0,
                issue_mix=(0.06, 0.05, 0.14, 0.30, 0.10, 0.08, 0.10, 0.10, 0.03, 0.04),
                channel_mix=(0.55, 0.35, 0.10), csat_base=0.86, breach_rate=0.08,
                resolution_hours=3.0, vip_like=True),
    SegmentSpec("regular", "常规客户", 0.35, orders_per_month=0.8, amount_median=450.0,
                contacts_per_month=1.25, trend_mean=0.0,
                issue_mix=(0.50, 0.22, 0.03, 0.03, 0.01, 0.01, 0.03, 0.03, 0.02, 0.12),
                channel_mix=(0.25, 0.60, 0.15), csat_base=0.78, breach_rate=0.10,
                resolution_hours=8.0),
    SegmentSpec("growth", "成长潜力客户", 0.17, orders_per_month=0.6, amount_median=350.0,
                contacts_per_month=0.9, trend_mean=0.06,
                issue_mix=(0.07, 0.03, 0.02, 0.04, 0.01, 0.01, 0.34, 0.26, 0.12, 0.10),
                channel_mix=(0.25, 0.60, 0.15), csat_base=0.80, breach_rate=0.10,
                resolution_hours=6.0),
    SegmentSpec("service_heavy", "高服务低消费客户", 0.15, orders_per_month=0.25, amount_median=120.0,
                contacts_per_month=2.4, trend_mean=-0.01,
                issue_mix=(0.06, 0.04, 0.36, 0.32, 0.06, 0.08, 0.01, 0.01, 0.00, 0.06),
                channel_mix=(0.45, 0.45, 0.10), csat_base=0.45, breach_rate=0.16,
                resolution_hours=30.0),
    SegmentSpec("dormant", "沉睡客户", 0.25, orders_per_month=0.5, amount_median=250.0,
                contacts_per_month=0.5, trend_mean=0.0,
                issue_mix=(0.30, 0.10, 0.08, 0.12, 0.04, 0.04, 0.04, 0.04, 0.02, 0.22),
                channel_mix=(0.30, 0.50, 0.20), csat_base=0.68, breach_rate=0.10,
                resolution_hours=10.0, dormant=True),
)
SEGMENT_KEYS = tuple(spec.key for spec in SEGMENTS)

_CITIES = ("上海", "北京", "广州", "深圳", "杭州", "南京", "苏州", "成都",
           "武汉", "西安", "重庆", "天津", "长沙", "郑州", "青岛", "厦门")
_CITY_WEIGHTS = (14, 12, 9, 9, 8, 6, 6, 7, 5, 4, 5, 4, 3, 3, 3, 2)
_BRANDS = ("澜启", "禾序", "朗拓", "岚峰", "晟沃", "溪柏", "铂岩", "卓屿", "翎川", "筑恒",
           "沐辰", "稷云", "榕信", "砚泽", "舜禾", "琢光", "霁川", "澄蔚", "栎桥", "芮衡")
# (industry, word in the company name)
_INDUSTRIES = (("制造业", "精密机械"), ("零售", "商贸"), ("教育", "教育科技"), ("医疗健康", "医疗器械"),
               ("金融", "投资咨询"), ("互联网", "网络科技"), ("物流", "供应链管理"), ("餐饮", "餐饮管理"),
               ("建筑", "建设工程"), ("能源", "新能源科技"))
_SURNAMES = tuple("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗")
_GIVEN_NAMES = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
                "明", "超", "秀英", "霞", "平", "刚", "晨", "宇", "欣", "怡", "浩然", "子涵", "梓萱")
_PHONE_PREFIXES = ("139", "138", "137", "136", "135", "150", "151", "152", "158", "159", "186", "187", "188")
_MAIL_DOMAINS = ("example.com", "example.net", "example.org")
PERSONAL_INDUSTRY = "个人"
PERSONAL_SHARE = 0.15
REGISTRATION_FIRST = np.datetime64("2018-01-01T00:00:00", "s")


@dataclass(frozen=True)
class Period:
    """The months the sample covers, on the local wall clock.

    Attributes
    ----------
    start : numpy.datetime64
        First second of the first day.
    end : numpy.datetime64
        First second after the last day (exclusive).
    """

    start: np.datetime64
    end: np.datetime64

    @property
    def month_edges(self) -> np.ndarray:
        """Month boundaries from ``start`` to ``end``, shape ``(months + 1,)``, datetime64[s]."""
        first = self.start.astype("datetime64[M]")
        last = (self.end - np.timedelta64(1, "s")).astype("datetime64[M]")
        months = np.arange(first, last + 2).astype("datetime64[s]")
        months[0] = self.start
        months[-1] = self.end
        return months

    @property
    def n_months(self) -> int:
        """Number of (possibly partial) calendar months."""
        return len(self.month_edges) - 1

    @property
    def reference_month(self) -> float:
        """0-based month position where the segment rates hold: the middle of the last 6 months."""
        return self.n_months - 3.5


@dataclass
class Population:
    """Customers of one chunk with their latent parameters, one array entry per customer.

    Timestamps are datetime64[s] on the local wall clock; ``active_from`` and
    ``active_to`` bound the customer's orders and tickets (``active_to`` is
    exclusive).
    """

    customer_id: np.ndarray
    segment: np.ndarray
    registered_at: np.ndarray
    active_from: np.ndarray
    active_to: np.ndarray
    propensity: np.ndarray
    trend: np.ndarray
    order_rate: np.ndarray
    contact_rate: np.ndarray
    mean_amount: np.ndarray
    status: np.ndarray
    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.customer_id)

    def spec_values(self, attribute: str) -> np.ndarray:
        """Return ``SegmentSpec.<attribute>`` for each customer, shape ``(n,)``."""
        values = np.array([getattr(spec, attribute) for spec in SEGMENTS])
        return values[self.segment]


def _uniform_times(rng: np.random.Generator, low: np.ndarray | np.datetime64,
                   high: np.ndarray | np.datetime64, size: int) -> np.ndarray:
    span = (np.asarray(high) - np.asarray(low)).astype(np.int64)
    offsets = (rng.random(size) * span).astype(np.int64)
    return np.asarray(low) + offsets.astype("timedelta64[s]")


def _registration_times(rng: np.random.Generator, segment: np.ndarray, period: Period) -> np.ndarray:
    """Most customers registered before the period; a quarter during its first year.

    A few growth customers are new in the first two months of the last six,
    so the monthly review has customers growing into their tier.
    """
    n = len(segment)
    first_year_end = min(period.start + np.timedelta64(365, "D"), period.end - np.timedelta64(200, "D"))
    before = _uniform_times(rng, REGISTRATION_FIRST, period.start, n)
    during = _uniform_times(rng, period.start, first_year_end, n)
    registered = np.where(rng.random(n) < 0.25, during, before)

    recent_start = period.month_edges[max(period.n_months - 6, 0)]
    recent = _uniform_times(rng, recent_start, recent_start + np.timedelta64(59, "D"), n)
    is_new = (segment == SEGMENT_KEYS.index("growth")) & (rng.random(n) < 0.15)
    return np.where(is_new, recent, registered)


def _activity_end(rng: np.random.Generator, segment: np.ndarray, registered: np.ndarray,
                  period: Period) -> np.ndarray:
    """End of activity: the period end, or for dormant customers a date long before it."""
    n = len(segment)
    latest = period.end - np.timedelta64(150, "D")
    earliest = np.minimum(period.start + np.timedelta64(60, "D"), latest)
    drawn = _uniform_times(rng, earliest, latest, n)
    dormant_end = np.clip(np.maximum(drawn, registered + np.timedelta64(60, "D")), None, latest)
    dormant_end = np.maximum(dormant_end, registered)
    is_dormant = np.array([SEGMENTS[code].dormant for code in range(len(SEGMENTS))])[segment]
    return np.where(is_dormant, dormant_end, period.end)


def _customer_ids(offset: int, n: int, legacy: np.ndarray) -> np.ndarray:
    """``C`` plus an 8-digit number; legacy customers keep an all-digit id with leading zeros."""
    digits = np.strings.zfill((np.arange(offset, offset + n) + 1).astype("U"), 8)
    return np.where(legacy, digits, np.strings.add("C", digits))


def _names(rng: np.random.Generator, city: np.ndarray, personal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Invented company names (city + brand + trade + suffix) or personal names, and industries."""
    n = len(city)
    industry_code = rng.integers(0, len(_INDUSTRIES), n)
    industry = np.array([item[0] for item in _INDUSTRIES])[industry_code]
    trade = np.array([item[1] for item in _INDUSTRIES])[industry_code]
    brand = np.array(_BRANDS)[rng.integers(0, len(_BRANDS), n)]
    suffix = np.where(rng.random(n) < 0.8, "有限公司", "股份有限公司")
    company = np.strings.add(np.strings.add(np.strings.add(city, brand), trade), suffix)

    person = np.strings.add(np.array(_SURNAMES)[rng.integers(0, len(_SURNAMES), n)],
                            np.array(_GIVEN_NAMES)[rng.integers(0, len(_GIVEN_NAMES), n)])
    return np.where(personal, person, company), np.where(personal, PERSONAL_INDUSTRY, industry)


def _contacts(rng: np.random.Generator, offset: int, personal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Invented mobile numbers and ``example.*`` e-mail addresses, one per customer."""
    n = len(personal)
    prefix = np.array(_PHONE_PREFIXES)[rng.integers(0, len(_PHONE_PREFIXES), n)]
    phone = np.strings.add(prefix, np.strings.zfill(rng.integers(0, 10**8, n).astype("U"), 8))

    handle = np.where(personal, "user", np.array(("service", "contact", "purchase"))[rng.integers(0, 3, n)])
    number = (np.arange(offset, offset + n) + 1).astype("U")
    domain = np.array(_MAIL_DOMAINS)[rng.integers(0, len(_MAIL_DOMAINS), n)]
    email = np.strings.add(np.strings.add(np.strings.add(handle, number), "@"), domain)
    return phone, email


def _pick(rng: np.random.Generator, candidates: np.ndarray, count: int) -> np.ndarray:
    return rng.choice(candidates, size=min(count, len(candidates)), replace=False)


def draw_population(rng: np.random.Generator, n: int, period: Period, *, offset: int = 0,
                    n_legacy_ids: int = 0, n_churned: int = 0) -> Population:
    """Draw ``n`` customers: latent segment and parameters, and the customer-table fields.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of all randomness.
    n : int
        Number of customers.
    period : Period
        Months the sample covers.
    offset : int
        Global index of the first customer, so ids stay unique across chunks.
    n_legacy_ids : int
        Customers given an all-digit id with leading zeros (e.g. ``00000123``).
    n_churned : int
        Dormant customers marked churned, taken from those whose activity
        ended earliest.

    Returns
    -------
    Population
    """
    segment = rng.choice(len(SEGMENTS), size=n, p=[spec.share for spec in SEGMENTS])
    registered = _registration_times(rng, segment, period)
    active_to = _activity_end(rng, segment, registered, period)
    active_from = np.maximum(registered, period.start)

    propensity = rng.standard_normal(n)
    values = {key: np.array([getattr(spec, key) for spec in SEGMENTS])[segment]
              for key in ("orders_per_month", "amount_median", "contacts_per_month", "trend_mean")}
    order_rate = values["orders_per_month"] * np.exp(RATE_SPREAD * propensity)
    mean_amount = values["amount_median"] * np.exp(AMOUNT_SPREAD * rng.standard_normal(n))
    contact_rate = values["contacts_per_month"] * np.exp(CONTACT_SPREAD * rng.standard_normal(n))
    trend = values["trend_mean"] + TREND_SPREAD * rng.standard_normal(n)

    legacy = np.zeros(n, dtype=bool)
    legacy[_pick(rng, np.arange(n), n_legacy_ids)] = True
    status = np.full(n, "active", dtype=object)
    dormant_codes = np.flatnonzero(segment == SEGMENT_KEYS.index("dormant"))
    status[dormant_codes[np.argsort(active_to[dormant_codes], kind="stable")[:n_churned]]] = "churned"

    customer_id = _customer_ids(offset, n, legacy)
    frame = _customer_frame(rng, customer_id, registered, status, offset)
    return Population(customer_id, segment, registered, active_from, active_to, propensity, trend,
                      order_rate, contact_rate, mean_amount, status, frame)


def _customer_frame(rng: np.random.Generator, customer_id: np.ndarray, registered: np.ndarray,
                    status: np.ndarray, offset: int) -> pd.DataFrame:
    n = len(customer_id)
    weights = np.array(_CITY_WEIGHTS, dtype=float)
    city = np.array(_CITIES)[rng.choice(len(_CITIES), size=n, p=weights / weights.sum())]
    personal = rng.random(n) < PERSONAL_SHARE
    name, industry = _names(rng, city, personal)
    phone, email = _contacts(rng, offset, personal)
    return pd.DataFrame({
        "customer_id": pd.array(customer_id, dtype="str"),
        "name": pd.array(name, dtype="str"),
        "phone": pd.array(phone, dtype="str"),
        "email": pd.array(email, dtype="str"),
        "registered_at": registered,
        "industry": pd.array(industry, dtype="str"),
        "region": pd.array(city, dtype="str"),
        "status": pd.array(status.astype(str), dtype="str"),
    })
