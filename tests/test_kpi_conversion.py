"""Tests of activation, upgrade and label migration over a quarter."""

from __future__ import annotations

import pandas as pd
import pytest

from segmentation.config import load_config
from segmentation.kpi_conversion import activation_section, migration_matrix, upgrade_section
from segmentation.kpi_quarter import QuarterData
from segmentation.schema import Tables

TZ = "Asia/Shanghai"

START = pd.DataFrame(
    [("A1", "to_activate", "low"), ("A2", "to_activate", "low"), ("A3", "to_activate", "low"),
     ("A4", "to_activate", "low"), ("A5", "to_activate", "low"), ("A6", "to_activate", "low"),
     ("M1", "regular", "mid"), ("M2", "regular", "mid"), ("M3", "regular", "mid"),
     ("M4", "regular", "mid"), ("M5", "regular", "mid"), ("H1", "vip", "high")],
    columns=["customer_id", "label", "value_tier"],
)
END = pd.DataFrame(
    [("A1", "regular", "low"), ("A2", "regular", "low"), ("A3", "to_activate", "low"),
     ("A4", "to_activate", "low"), ("A5", "to_activate", "low"),
     ("M1", "vip", "high"), ("M2", "regular", "mid"), ("M3", "regular", "mid"),
     ("M4", "vip", "high"), ("M5", "regular", "low"), ("H1", "vip", "high"), ("N1", "to_activate", "low")],
    columns=["customer_id", "label", "value_tier"],
)
ORDERS = pd.DataFrame(
    [("O1", "A1", "2024-04-10 10:00", 120.0, "paid"),
     ("O2", "A4", "2024-05-10 10:00", 80.0, "cancelled"),
     ("O3", "A5", "2024-07-02 10:00", 50.0, "paid"),
     ("O4", "A2", "2024-05-12 10:00", -30.0, "refunded"),
     ("O5", "M1", "2024-05-12 10:00", 9000.0, "paid")],
    columns=["order_id", "customer_id", "order_date", "amount", "status"],
)
TICKETS = pd.DataFrame(
    [("T1", "A3", "2024-06-01 10:00"), ("T2", "A2", "2024-06-30 23:59"), ("T3", "A6", "2024-03-31 23:59")],
    columns=["ticket_id", "customer_id", "created_at"],
)


def localised(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame.assign(**{column: pd.to_datetime(frame[column]).dt.tz_localize(TZ)})


def quarter(orders=ORDERS, tickets=TICKETS, start=START, end=END, config=None) -> QuarterData:
    tables = Tables(
        customers=START[["customer_id"]],
        orders=None if orders is None else localised(orders, "order_date"),
        tickets=None if tickets is None else localised(tickets, "created_at"),
    )
    return QuarterData(quarter="2024Q2", start=pd.Timestamp("2024-04-01", tz=TZ),
                       end=pd.Timestamp("2024-07-01", tz=TZ), tables=tables, config=config or load_config(),
                       labels_start=start, labels_end=end, label_sources={})


def test_activation_rates():
    table = activation_section(quarter(), None).table

    assert list(table.index) == ["left_to_activate", "ordered_or_contacted"]
    assert table["customers"].tolist() == [6, 6]
    assert table["count"].tolist() == [2, 3]
    assert table["rate"].tolist() == pytest.approx([2 / 6, 3 / 6])
    assert not table["suppressed"].any()
    assert table["previous_rate"].isna().all()


def test_activation_against_previous_quarter():
    previous_end = START.assign(label=START["label"].where(START["customer_id"] != "A1", "to_activate"))
    previous = quarter(start=START, end=previous_end)
    table = activation_section(quarter(), previous).table
    assert table.loc["left_to_activate", "previous_rate"] == pytest.approx(0.0)
    assert table.loc["left_to_activate", "change"] == pytest.approx(2 / 6)


def test_activation_orders_only():
    table = activation_section(quarter(tickets=None), None).table
    assert table.loc["ordered_or_contacted", "count"] == 1


def test_small_activation_group_is_suppressed():
    config = load_config(overrides={"review": {"min_group_size": 7}})
    table = activation_section(quarter(config=config), None).table
    assert table["suppressed"].all()
    assert table["rate"].isna().all()
    assert table["count"].tolist() == [2, 3]


def test_upgrade_rate():
    table = upgrade_section(quarter(), None).table
    assert table.loc["mid_to_high", "customers"] == 5
    assert table.loc["mid_to_high", "count"] == 2
    assert table.loc["mid_to_high", "rate"] == pytest.approx(0.4)
    assert not table.loc["mid_to_high", "suppressed"]


def test_upgrade_missing_for_tickets_only():
    labels = START.drop(columns=["value_tier"])
    section = upgrade_section(quarter(orders=None, start=labels, end=labels), None)
    assert section.missing == "no_orders"
    assert section.reason("en") == "missing, because the data has no orders, so there are no value tiers"
    assert section.reason("zh") == "缺失，原因：数据中没有订单，无法划分价值层级"


def test_migration_matrix():
    section = migration_matrix(quarter())
    expected = pd.DataFrame(
        [[1, 0, 0], [2, 3, 0], [0, 2, 3]],
        index=pd.Index(["vip", "regular", "to_activate"], name="start"),
        columns=pd.Index(["vip", "regular", "to_activate"], name="end"),
        dtype="int64",
    )
    pd.testing.assert_frame_equal(section.table, expected)
    assert section.notes == {"entered": 1, "left": 1}


def test_migration_matrix_without_customers_is_zero_filled():
    empty = START.iloc[0:0]
    table = migration_matrix(quarter(start=empty, end=empty)).table
    assert table.shape == (3, 3)
    assert int(table.to_numpy().sum()) == 0


def test_activation_missing_without_label():
    config = load_config(overrides={
        "labels": {"vip": {"zh": "VIP", "en": "VIP"}, "regular": {"zh": "常规", "en": "regular"}},
        "label_rules": [{"value": "high", "activity": "*", "need": "*", "label": "vip"},
                        {"value": ["mid", "low"], "activity": "*", "need": "*", "label": "regular"}],
        "strategies": {key: load_config().raw["strategies"][key] for key in ("vip", "regular")},
    })
    section = activation_section(quarter(config=config), None)
    assert section.reason("en") == "missing, because the configuration defines no label to_activate"
