"""Orders and service tickets of the sample customers, drawn in bulk.

Events are drawn per (customer, month) cell. The count is Poisson with the
customer's monthly rate, scaled by the trend and by the part of the month the
customer is active. The times are uniform over that active part, with a
daytime hour. Every step is vectorised over cells and rows, with no Python
loop per customer or per event.

Conventions that hold for the whole file:

* timestamps are ``numpy.datetime64[s]`` on the local wall clock
  (Asia/Shanghai), NaT where a value is missing;
* first responses follow the service strategies of the classification
  standard. VIP-like customers get a first response within 15 minutes
  around the clock, the others within 2 working hours. Working hours are
  09:00-18:00 on Chinese workdays (statutory holidays off, make-up workdays
  on, from the ``chinesecalendar`` package). The ``breach_rate`` of a
  segment is the share of its tickets that miss the target;
* CSAT is drawn on a latent [0, 1] satisfaction that drops for a breached
  first response or a resolution slower than 72 hours, then written on the
  channel's scale (:data:`CSAT_SCALES`).
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import numpy as np
import pandas as pd

from .errors import CalendarCoverageError
from .i18n import Catalog
from .sample_segments import CHANNELS, ISSUE_TYPES, SEGMENTS, Period, Population

CSAT_SCALES = {"电话": (1.0, 5.0), "在线客服": (0.0, 10.0), "邮件": (1.0, 5.0)}
CSAT_ANSWER_RATE = 0.45
ORDER_STATUS_SHARES = {"paid": 0.95, "cancelled": 0.035, "unpaid": 0.015}
REFUND_SHARE = 0.025
ORDER_AMOUNT_SPREAD = 0.5
VIP_TARGET = np.timedelta64(15 * 60, "s")
WORKING_TARGET_SECONDS = 120 * 60
OPEN_HOUR, CLOSE_HOUR = 9, 18
MESSAGES = Catalog({
    "not_covered": {
        "zh": "样例区间需要 {first} 至 {last} 的节假日日历，但 chinesecalendar 缺少其中部分年份（{error}）；"
              "请选择日历覆盖的年份，或升级 chinesecalendar。",
        "en": "the sample period needs the holiday calendar from {first} to {last}, but chinesecalendar "
              "lacks part of it ({error}); choose dates inside the covered years or upgrade chinesecalendar.",
    },
})
# (product, gross margin) by amount band, CNY upper bounds of the bands.
_PRODUCTS = (
    (300.0, (("配件耗材", 0.45), ("增值服务包", 0.55))),
    (1000.0, (("标准版年费", 0.40), ("上门安装服务", 0.30))),
    (5000.0, (("专业版年费", 0.35), ("扩容升级包", 0.40))),
    (np.inf, (("企业版年费", 0.30), ("定制开发服务", 0.20))),
)


def _daytime(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    """Put each day at a time of day: mostly 07:00-23:00 peaking mid-afternoon, 15 % at any hour."""
    n = len(day)
    hours = 7.0 + 16.0 * rng.beta(2.2, 2.0, n)
    hours = np.where(rng.random(n) < 0.15, rng.random(n) * 24.0, hours)
    seconds = np.minimum((hours * 3600).astype(np.int64), 86_399)
    return day.astype("datetime64[D]").astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def draw_event_times(rng: np.random.Generator, population: Population, period: Period,
                     rate: np.ndarray, trend: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Draw event times for every customer, month by month.

    Parameters
    ----------
    rate : ndarray, shape (n,)
        Events per month at the reference month.
    trend : ndarray, shape (n,)
        Monthly log change of the rate.

    Returns
    -------
    customer : ndarray of int, shape (rows,)
        Position of each event's customer in ``population``.
    times : ndarray of datetime64[s], shape (rows,)
        Event times, inside the customer's active range.
    """
    edges = period.month_edges
    cell_start = np.maximum(population.active_from[:, None], edges[None, :-1])
    cell_end = np.minimum(population.active_to[:, None], edges[None, 1:])
    active_seconds = np.clip((cell_end - cell_start).astype(np.int64), 0, None)
    month_seconds = np.diff(edges).astype(np.int64)
    position = np.arange(period.n_months) - period.reference_month
    expected = rate[:, None] * np.exp(trend[:, None] * position[None, :]) * active_seconds / month_seconds

    counts = rng.poisson(expected).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    customer = cell // period.n_months
    offsets = (rng.random(cell.size) * active_seconds.ravel()[cell]).astype(np.int64)
    times = _daytime(rng, cell_start.ravel()[cell] + offsets.astype("timedelta64[s]"))

    last_second = population.active_to[customer] - np.timedelta64(1, "s")
    times = np.clip(times, population.active_from[customer], last_second)
    order = np.argsort(times, kind="stable")
    return customer[order], times[order]


def _sequence_ids(prefix: str, offset: int, n: int, width: int = 9) -> np.ndarray:
    return np.strings.add(prefix, np.strings.zfill((np.arange(offset, offset + n) + 1).astype("U"), width))


def _categorical(rng: np.random.Generator, segment: np.ndarray, attribute: str) -> np.ndarray:
    """Draw one category code per row from the row's segment mix (``issue_mix`` or ``channel_mix``)."""
    cumulative = np.cumsum([getattr(spec, attribute) for spec in SEGMENTS], axis=1)
    cumulative[:, -1] = 1.0
    draws = rng.random(len(segment))
    codes = np.zeros(len(segment), dtype=np.int64)
    for column in range(cumulative.shape[1] - 1):
        codes += draws >= cumulative[segment, column]
    return codes


def _append_sorted(frame: pd.DataFrame, extra: pd.DataFrame | None, time_column: str) -> pd.DataFrame:
    if extra is not None and len(extra):
        frame = pd.concat([frame, extra[list(frame.columns)]], ignore_index=True)
    return frame.sort_values(time_column, kind="stable", ignore_index=True)


def draw_orders(rng: np.random.Generator, population: Population, period: Period, *,
                extra: pd.DataFrame | None = None, id_offset: int = 0) -> pd.DataFrame:
    """Draw the order lines: sales, cancelled and unpaid orders, and negative refund lines.

    Parameters
    ----------
    extra : DataFrame, optional
        Further orders (e.g. of test accounts) in the same columns, without
        ``order_id``; they are merged in by time before ids are given.
    id_offset : int
        Number of order ids used by earlier chunks.

    Returns
    -------
    DataFrame
        Canonical order columns with datetime64[s] local ``order_date``,
        sorted by time. Ids are ``O`` plus 9 digits; a refund line has the id
        of the refunded order plus ``-R``. ``attrs["ids_used"]`` is the
        number of ids given, for the next chunk's ``id_offset``.
    """
    customer, times = draw_event_times(rng, population, period, population.order_rate, population.trend)
    n = len(customer)
    amount = population.mean_amount[customer] * np.exp(
        ORDER_AMOUNT_SPREAD * rng.standard_normal(n) - ORDER_AMOUNT_SPREAD**2 / 2)
    amount = np.round(np.maximum(amount, 1.0), 2)
    product, margin = _products(rng, amount)
    statuses = np.array(list(ORDER_STATUS_SHARES))
    status = statuses[rng.choice(len(statuses), size=n, p=list(ORDER_STATUS_SHARES.values()))]
    orders = pd.DataFrame({
        "customer_id": population.customer_id[customer],
        "order_date": times,
        "amount": amount,
        "profit": np.round(amount * margin, 2),
        "status": status,
        "product": product,
    })

    orders = _append_sorted(orders, extra, "order_date")
    orders.insert(0, "order_id", _sequence_ids("O", id_offset, len(orders)))
    ids_used = len(orders)
    orders = _with_refunds(rng, orders, period)
    orders.attrs["ids_used"] = ids_used
    return orders


def _products(rng: np.random.Generator, amount: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    band = np.searchsorted([upper for upper, _ in _PRODUCTS], amount, side="left")
    choice = rng.integers(0, 2, len(amount))
    names = np.array([[name for name, _ in options] for _, options in _PRODUCTS])
    margins = np.array([[margin for _, margin in options] for _, options in _PRODUCTS])
    margin = margins[band, choice] * np.exp(0.15 * rng.standard_normal(len(amount)))
    return names[band, choice], np.clip(margin, 0.02, 0.9)


def _with_refunds(rng: np.random.Generator, orders: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Append a negative refund line for some paid orders, dated 1 to 20 days later.

    A refund is full or partial (10-50 %). Refunds that would fall after the
    period end are left out, because the export would not contain them yet.
    """
    paid = orders[(orders["status"] == "paid").to_numpy() & (rng.random(len(orders)) < REFUND_SHARE)]
    n = len(paid)
    share = np.where(rng.random(n) < 0.6, 1.0, rng.uniform(0.1, 0.5, n))
    delay = rng.integers(86_400, 20 * 86_400, n).astype("timedelta64[s]")
    refunds = pd.DataFrame({
        "order_id": np.strings.add(paid["order_id"].to_numpy(dtype="U"), "-R"),
        "customer_id": paid["customer_id"].to_numpy(),
        "order_date": paid["order_date"].to_numpy() + delay,
        "amount": -np.round(paid["amount"].to_numpy() * share, 2),
        "profit": -np.round(paid["profit"].to_numpy() * share, 2),
        "status": "refunded",
        "product": paid["product"].to_numpy(),
    })
    refunds = refunds[refunds["order_date"].to_numpy() < period.end]
    merged = pd.concat([orders, refunds], ignore_index=True)
    return merged.sort_values("order_date", kind="stable", ignore_index=True)


class WorkingClock:
    """Working seconds on Chinese workdays between ``OPEN_HOUR`` and ``CLOSE_HOUR``.

    ``to_working`` maps a wall-clock time to the working seconds elapsed
    since the first day's opening. ``from_working`` is its inverse: it returns
    the earliest time at which that much working time has elapsed.

    Raises
    ------
    CalendarCoverageError
        If a day lies outside the years the ``chinesecalendar`` package covers.
    """

    def __init__(self, first_day: dt.date, last_day: dt.date, lang: str = "zh") -> None:
        try:
            workdays = chinese_calendar.get_workdays(first_day, last_day)
        except NotImplementedError as error:
            message = MESSAGES("not_covered", lang, first=first_day, last=last_day, error=error)
            raise CalendarCoverageError(message) from None
        days = np.array(workdays, dtype="datetime64[D]").astype("datetime64[s]")
        self.opens = days + np.timedelta64(OPEN_HOUR * 3600, "s")
        self.day_seconds = (CLOSE_HOUR - OPEN_HOUR) * 3600
        self.before = np.arange(len(days), dtype=np.int64) * self.day_seconds

    def to_working(self, times: np.ndarray) -> np.ndarray:
        """Return working seconds before each time, shape like ``times``."""
        day = np.searchsorted(self.opens, times, side="right") - 1
        into_day = (times - self.opens[np.maximum(day, 0)]).astype(np.int64)
        elapsed = self.before[np.maximum(day, 0)] + np.clip(into_day, 0, self.day_seconds)
        return np.where(day >= 0, elapsed, 0)

    def from_working(self, seconds: np.ndarray) -> np.ndarray:
        """Return the wall-clock time at which ``seconds`` working seconds have elapsed."""
        day = np.clip(np.searchsorted(self.before, seconds, side="left") - 1, 0, len(self.before) - 1)
        return self.opens[day] + (seconds - self.before[day]).astype("timedelta64[s]")


def _first_response_delay(rng: np.random.Generator, breach: np.ndarray, target_seconds: float,
                          median_seconds: float, late_max_seconds: float) -> np.ndarray:
    """Seconds to the first response: lognormal inside the target, uniform beyond it when breached."""
    n = len(breach)
    fast = np.clip(median_seconds * np.exp(0.6 * rng.standard_normal(n)), 30, target_seconds - 30)
    slow = rng.uniform(target_seconds + 60, late_max_seconds, n)
    return np.where(breach, slow, fast).astype(np.int64)


def _first_responses(rng: np.random.Generator, created: np.ndarray, vip_like: np.ndarray,
                     breach: np.ndarray, clock: WorkingClock) -> np.ndarray:
    vip_delay = _first_response_delay(rng, breach, VIP_TARGET.astype(np.int64), 5 * 60, 120 * 60)
    work_delay = _first_response_delay(rng, breach, WORKING_TARGET_SECONDS, 35 * 60, 900 * 60)
    around_the_clock = created + vip_delay.astype("timedelta64[s]")
    working = clock.from_working(clock.to_working(created) + work_delay)
    return np.where(vip_like, around_the_clock, working)


def draw_tickets(rng: np.random.Generator, population: Population, period: Period,
                 clock: WorkingClock, *, extra: pd.DataFrame | None = None,
                 id_offset: int = 0) -> pd.DataFrame:
    """Draw the service tickets with first response, resolution, channel, issue type and CSAT.

    Tickets whose resolution falls after the period end are still open or
    pending and have no resolution time. Those without a first response by
    the period end have no first response time either. Only resolved and closed tickets can
    carry a CSAT score, and about ``CSAT_ANSWER_RATE`` of them do.

    Parameters
    ----------
    extra : DataFrame, optional
        Further tickets in the same columns, without ``ticket_id``.
    id_offset : int
        Number of ticket ids used by earlier chunks.

    Returns
    -------
    DataFrame
        Canonical ticket columns with datetime64[s] local times and
        ``csat_min``, ``csat_max``, sorted by creation time; ids are ``T``
        plus 9 digits.
    """
    customer, created = draw_event_times(rng, population, period, population.contact_rate,
                                         population.trend / 2)
    n = len(customer)
    segment = population.segment[customer]
    breach = rng.random(n) < population.spec_values("breach_rate")[customer]
    first = _first_responses(rng, created, population.spec_values("vip_like")[customer], breach, clock)
    hours = population.spec_values("resolution_hours")[customer] * np.exp(rng.standard_normal(n))
    resolved = first + (hours * 3600).astype(np.int64).astype("timedelta64[s]")

    status = np.where(rng.random(n) < 0.75, "resolved", "closed").astype(object)
    unresolved = resolved >= period.end
    status[unresolved] = np.where(first[unresolved] >= period.end, "open", "pending")
    resolved = np.where(unresolved, np.datetime64("NaT"), resolved)
    first = np.where(first >= period.end, np.datetime64("NaT"), first)

    tickets = pd.DataFrame({
        "customer_id": population.customer_id[customer],
        "created_at": created,
        "first_response_at": first,
        "resolved_at": resolved,
        "channel": np.array(CHANNELS)[_categorical(rng, segment, "channel_mix")],
        "issue_type": np.array(ISSUE_TYPES)[_categorical(rng, segment, "issue_mix")],
        "status": status.astype(str),
    })
    satisfaction = _satisfaction(rng, population.spec_values("csat_base")[customer], breach, hours)
    tickets = _with_csat(rng, tickets, satisfaction)

    tickets = _append_sorted(tickets, extra, "created_at")
    tickets.insert(0, "ticket_id", _sequence_ids("T", id_offset, len(tickets)))
    return tickets


def _satisfaction(rng: np.random.Generator, base: np.ndarray, breach: np.ndarray,
                  resolution_hours: np.ndarray) -> np.ndarray:
    latent = base + 0.12 * rng.standard_normal(len(base)) - 0.30 * breach - 0.10 * (resolution_hours > 72)
    return np.clip(latent, 0.0, 1.0)


def _with_csat(rng: np.random.Generator, tickets: pd.DataFrame, satisfaction: np.ndarray) -> pd.DataFrame:
    """Write the latent satisfaction on each channel's scale for the tickets whose customer returned the survey."""
    low = tickets["channel"].map({name: scale[0] for name, scale in CSAT_SCALES.items()}).to_numpy(float)
    high = tickets["channel"].map({name: scale[1] for name, scale in CSAT_SCALES.items()}).to_numpy(float)
    finished = tickets["status"].isin(["resolved", "closed"]).to_numpy()
    answered = finished & (rng.random(len(tickets)) < CSAT_ANSWER_RATE)
    tickets["csat"] = np.where(answered, np.round(low + satisfaction * (high - low)), np.nan)
    tickets["csat_min"] = low
    tickets["csat_max"] = high
    return tickets


def expected_spend(population: Population, period: Period, months: int = 6) -> np.ndarray:
    """Expected net spend of each customer in the ``months`` after the period, CNY.

    This is the generating process carried forward: the order rate with its
    trend, times the mean amount, times the paid share of orders, less the
    expected refunds. Dormant customers, whose activity has stopped, expect 0.

    Returns
    -------
    ndarray of float, shape (n,)
    """
    position = period.n_months + np.arange(months) - period.reference_month
    orders = (population.order_rate[:, None] * np.exp(population.trend[:, None] * position[None, :])).sum(axis=1)
    refund_loss = REFUND_SHARE * (0.6 + 0.4 * 0.3)
    per_order = population.mean_amount * ORDER_STATUS_SHARES["paid"] * (1 - refund_loss)
    still_active = population.active_to >= period.end
    return np.where(still_active, orders * per_order, 0.0)
