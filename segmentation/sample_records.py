"""Follow-up calls, label overrides and test accounts of the sample data.

* Follow-ups: the classification standard requires a proactive call to
  every VIP customer each month. VIP-like customers (the ``key_account`` segment) get one call
  in most months of their active range; ``FOLLOWUP_RATE`` of the months
  have one, so the rest are missing, as in a real call log.
* Overrides: rows of the appeal channel, decided by a supervisor. The first
  row was decided more than 24 hours after the request (late under the
  standard) and the second had expired before the period end.
* Test accounts: accounts with status ``test``, with a few orders of 0.01
  CNY and one ticket each, which cleaning must set aside.

Conventions that hold for the whole file: timestamps are
``numpy.datetime64[s]`` on the local wall clock (Asia/Shanghai); every
name is invented.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .sample_segments import SEGMENT_KEYS, Period, Population

FOLLOWUP_RATE = 0.85
TEST_ACCOUNT_PREFIX = "C99"
N_TEST_ACCOUNTS = 5
_AGENTS = ("林晓雯", "赵一鸣", "孙佳琪", "周子航", "吴思远", "郑可欣", "冯睿", "陈书瑶")
_PURPOSES = ("月度主动回访", "月度主动回访", "月度主动回访", "故障处理回访", "续约沟通")
_NOTES = ("客户对响应速度满意", "反馈的故障已解决", "有扩容意向，已转销售", "提醒续约时间", "", "")
_APPROVERS = ("许晴", "韩立", "周敏")
# (segment, label key, reason): the appeal cases of the sample, in file order.
_OVERRIDE_CASES = (
    ("growth", "vip", "战略合作客户，主管核实后上调为重点维护"),
    ("dormant", "regular", "客户申诉：近期已恢复采购，主管核实"),
    ("growth", "vip", "集团总部指定供应商，享受重点维护"),
    ("dormant", "regular", "客户申诉：季节性采购，不应视为沉睡"),
    ("service_heavy", "regular", "客户申诉：投诉均已妥善处理"),
    ("regular", "vip", "年度框架协议客户，主管核实"),
    ("key_account", "regular", "客户要求降低回访频率"),
    ("regular", "to_activate", "客户长期未下单，主管确认转为待激活"),
)


def _hours(values: np.ndarray) -> np.ndarray:
    return (np.asarray(values) * 3600).astype(np.int64).astype("timedelta64[s]")


def draw_followups(rng: np.random.Generator, population: Population, period: Period) -> pd.DataFrame:
    """Draw the monthly follow-up calls of VIP-like customers, with some months missing.

    Returns
    -------
    DataFrame
        Columns ``customer_id, followup_at, agent, purpose, note``, sorted by
        time; ``attrs["eligible_months"]`` is the number of customer-months
        that should have had a call.
    """
    chosen = np.flatnonzero(population.spec_values("vip_like").astype(bool))
    edges = period.month_edges
    starts = np.maximum(population.active_from[chosen, None], edges[None, :-1])
    ends = np.minimum(population.active_to[chosen, None], edges[None, 1:])
    eligible = (ends - starts).astype(np.int64) > 86_400
    called = eligible & (rng.random(eligible.shape) < FOLLOWUP_RATE)

    row, month = np.nonzero(called)
    span = (ends[row, month] - starts[row, month]).astype(np.int64) - 86_400
    day = starts[row, month] + (rng.random(len(row)) * span).astype(np.int64).astype("timedelta64[s]")
    at = day.astype("datetime64[D]").astype("datetime64[s]") + _hours(rng.uniform(10.0, 17.0, len(row)))
    agent = np.array(_AGENTS)[rng.integers(0, len(_AGENTS), len(chosen))]
    frame = pd.DataFrame({
        "customer_id": population.customer_id[chosen][row],
        "followup_at": np.maximum(at, starts[row, month]),
        "agent": agent[row],
        "purpose": np.array(_PURPOSES)[rng.integers(0, len(_PURPOSES), len(row))],
        "note": np.array(_NOTES)[rng.integers(0, len(_NOTES), len(row))],
    })
    frame = frame.sort_values("followup_at", kind="stable", ignore_index=True)
    frame.attrs["eligible_months"] = int(eligible.sum())
    return frame


def _override_customers(rng: np.random.Generator, population: Population) -> list[tuple[str, str, str]]:
    """Pick a distinct active customer of the right segment for each appeal case."""
    used: set[int] = set()
    rows = []
    active = population.status == "active"
    for segment, label, reason in _OVERRIDE_CASES:
        pool = np.flatnonzero(active & (population.segment == SEGMENT_KEYS.index(segment)))
        pool = np.setdiff1d(pool, list(used))
        if len(pool) == 0:
            continue
        position = int(rng.choice(pool))
        used.add(position)
        rows.append((str(population.customer_id[position]), label, reason))
    return rows


def draw_overrides(rng: np.random.Generator, population: Population, period: Period) -> pd.DataFrame:
    """Draw the appeal-channel overrides of the last quarter of the period.

    Requests fall 5 to 90 days before the period end and are decided 1 to 8
    hours later, except the first row (30 to 40 hours: a late decision). The
    second row was requested 60 to 90 days before the end and expired 30 days
    after its decision. The others expire 180 days after the end or never.

    Returns
    -------
    DataFrame
        Columns ``customer_id, label, reason, approved_by, requested_at,
        decided_at, expires_at`` in the order of the appeal cases.
    """
    cases = _override_customers(rng, population)
    n = len(cases)
    day = np.timedelta64(86_400, "s")
    requested = period.end - day * 90 + (rng.random(n) * 85 * 86_400).astype(np.int64).astype("timedelta64[s]")
    if n > 1:
        requested[1] = period.end - day * 90 + np.timedelta64(int(rng.random() * 30 * 86_400), "s")
    requested = requested.astype("datetime64[D]").astype("datetime64[s]") + _hours(rng.uniform(9.0, 17.0, n))

    delay = rng.uniform(1.0, 8.0, n)
    delay[:1] = rng.uniform(30.0, 40.0, min(n, 1))
    decided = requested + _hours(delay)
    expires = np.where(rng.random(n) < 0.5, period.end + day * 180, np.datetime64("NaT"))
    if n > 1:
        expires[1] = decided[1] + day * 30

    return pd.DataFrame({
        "customer_id": [case[0] for case in cases],
        "label": [case[1] for case in cases],
        "reason": [case[2] for case in cases],
        "approved_by": np.array(_APPROVERS)[rng.integers(0, len(_APPROVERS), n)],
        "requested_at": requested,
        "decided_at": decided,
        "expires_at": expires.astype("datetime64[s]"),
    })


def draw_test_accounts(rng: np.random.Generator, period: Period,
                       n: int = N_TEST_ACCOUNTS) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Draw test accounts with two 0.01 CNY orders and one ticket each.

    Returns
    -------
    customers, orders, tickets : DataFrame
        Canonical columns; orders and tickets have no ids yet.
    """
    ids = np.strings.add(TEST_ACCOUNT_PREFIX, np.strings.zfill((np.arange(n) + 1).astype("U"), 6))
    span = (period.end - period.start).astype(np.int64) - 86_400
    customers = pd.DataFrame({
        "customer_id": ids,
        "name": np.strings.add("测试账号", np.strings.zfill((np.arange(n) + 1).astype("U"), 2)),
        "phone": np.strings.add("1390000000", (np.arange(n) % 10).astype("U")),
        "email": np.strings.add(np.strings.add("qa", (np.arange(n) + 1).astype("U")), "@example.com"),
        "registered_at": np.full(n, period.start),
        "industry": "内部测试",
        "region": "上海",
        "status": "test",
    })
    order_times = period.start + (rng.random(2 * n) * span).astype(np.int64).astype("timedelta64[s]")
    orders = pd.DataFrame({
        "customer_id": np.repeat(ids, 2), "order_date": order_times, "amount": 0.01, "profit": 0.0,
        "status": "paid", "product": "测试商品",
    })
    created = period.start + (rng.random(n) * span).astype(np.int64).astype("timedelta64[s]")
    tickets = pd.DataFrame({
        "customer_id": ids, "created_at": created, "first_response_at": created + _hours(np.full(n, 0.05)),
        "resolved_at": created + _hours(np.full(n, 0.2)), "channel": "在线客服", "issue_type": "建议",
        "status": "closed", "csat": np.nan, "csat_min": 0.0, "csat_max": 10.0,
    })
    return customers, orders, tickets
