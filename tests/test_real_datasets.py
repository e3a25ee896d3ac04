"""The four real public datasets load through their source files with the expected counts.

These read the shared datasets next to the repository (``../shared/data``) and take
a few seconds each, so they are marked slow.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from segmentation.classification import classify
from segmentation.cli import EXIT_OK, main
from segmentation.encoding import detect_encoding, read_file_bytes, read_records
from segmentation.loading import load_source
from segmentation.review import existing_customers
from segmentation.sources import TableSpec

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "sources"
DATA = REPO.parent / "shared" / "data"

if not DATA.is_dir():
    pytest.skip(f"shared datasets not found at {DATA}", allow_module_level=True)


def summary(tables) -> dict[str, list[int]]:
    frame = tables.quality.summary_frame().set_index("table")
    return {table: frame.loc[table, ["rows_read", "kept", "repaired", "set_aside"]].tolist() for table in frame.index}


def rules(tables) -> list[tuple[str, str, str, int]]:
    frame = tables.quality.to_frame()
    return list(zip(frame["table"], frame["rule"], frame["action"], frame["rows"]))


@pytest.fixture(scope="module")
def online_retail():
    return load_source(SOURCES / "online_retail.yaml")


def test_online_retail_counts(online_retail):
    assert summary(online_retail) == {"orders": [541_909, 399_790, 0, 142_119], "customers": [4_372, 4_372, 0, 0]}
    assert rules(online_retail) == [
        ("orders", "exact_duplicate", "set_aside", 5_268),
        ("orders", "missing_customer_id", "set_aside", 135_037),
        ("orders", "non_product_code", "set_aside", 1_781),
        ("orders", "zero_amount", "set_aside", 33),
        ("orders", "refund_netted", "counted", 8_507),
    ]
    assert online_retail.customers_derived is True


def test_online_retail_values(online_retail):
    orders = online_retail.orders

    first = orders.iloc[0]
    assert (first["order_id"], first["customer_id"], first["product"]) == ("536365", "17850", "85123A")
    assert first["amount"] == pytest.approx(15.3)
    assert first["order_date"] == pd.Timestamp("2010-12-01 16:26", tz="Asia/Shanghai")  # 08:26 in London
    assert orders["customer_id"].str.fullmatch(r"\d{5}").all()
    assert (orders.loc[orders["order_id"].str.startswith("C"), "status"] == "refunded").all()
    # The 80,995-unit order and its credit note, minutes later, net to zero.
    assert orders.loc[orders["order_id"].isin(["581483", "C581484"]), "amount"].sum() == pytest.approx(0.0)


def test_online_retail_raw_quirks():
    frame, _ = read_records(DATA / "online_retail" / "online_retail.csv.gz",
                            TableSpec(table="orders", files=()))

    assert len(frame) == 541_909
    assert int((frame["CustomerID"] == "").sum()) == 135_080
    assert int(frame["InvoiceNo"].str.startswith("C").sum()) == 9_288
    assert int((frame["UnitPrice"].astype(float) == 0).sum()) == 2_515
    assert int(frame.duplicated().sum()) == 5_268


def test_cdnow_counts():
    tables = load_source(SOURCES / "cdnow.yaml")

    assert summary(tables) == {"orders": [69_659, 69_324, 0, 335], "customers": [23_570, 23_570, 0, 0]}
    assert rules(tables) == [("orders", "exact_duplicate", "set_aside", 255), ("orders", "zero_amount", "set_aside", 80)]
    first = tables.orders.iloc[0]
    assert (first["order_id"], first["customer_id"], first["amount"]) == ("CDNOW_master:2", "00001", 11.77)
    assert tables.orders["order_date"].max() == pd.Timestamp("1998-06-30 12:00", tz="Asia/Shanghai")


def test_support_tickets_counts():
    tables = load_source(SOURCES / "support_tickets.yaml")

    assert summary(tables) == {"tickets": [8_469, 5_650, 1_365, 2_819], "customers": [8_320, 8_320, 0, 0]}
    assert rules(tables) == [("tickets", "missing_date", "set_aside", 2_819),
                             ("tickets", "negative_duration", "repaired", 1_365)]
    tickets = tables.tickets
    assert tickets["first_response_at"].isna().all()
    assert tickets["csat"].notna().sum() == 2_769
    assert set(tickets.loc[tickets["csat"].notna(), "status"]) == {"closed"}
    assert sorted(tables.customers.columns[tables.customers.notna().any()]) == [
        "customer_id", "email", "name", "registered_at"]
    assert tables.customers["registered_at"].notna().sum() == 5_589


def test_support_tickets_classify_agrees_with_review():
    tables = load_source(SOURCES / "support_tickets.yaml")

    result = classify(tables, lang="en")

    assert len(result.labels) == 5_589
    assert len(existing_customers(result.labels, result.features)) == 5_589
    assert result.notes[0].startswith("2731 customer(s) derived from orders and tickets had every record set aside")


def test_support_tickets_ids_are_pseudonyms():
    tables = load_source(SOURCES / "support_tickets.yaml")

    tickets, customers = tables.tickets, tables.customers
    assert not tickets["customer_id"].str.contains("@", regex=False).any()
    assert not customers["customer_id"].str.contains("@", regex=False).any()
    assert tickets["customer_id"].str.fullmatch(r"P-[0-9a-f]{12}").all()
    assert tickets["customer_id"].isin(customers["customer_id"]).all()
    assert customers["email"].str.contains("@", regex=False).all()
    # f42a1ee595df: the first 12 hex digits of SHA-256 of "kaggle-support-tickets" + the first e-mail.
    first = customers.iloc[0]
    assert (first["customer_id"], first["email"]) == ("P-f42a1ee595df", "carrollallison@example.com")


def test_support_ticket_lines_match_csv_module():
    path = DATA / "support_tickets_kaggle" / "customer_support_tickets.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        expected = []
        start = reader.line_num + 1
        for _ in reader:
            expected.append(start)
            start = reader.line_num + 1

    _, lines = read_records(path, TableSpec(table="tickets", files=(path,)))

    assert lines.tolist() == expected


def test_restaurant_counts():
    tables = load_source(SOURCES / "cn_restaurant.yaml")

    assert summary(tables) == {"orders": [945, 933, 0, 12], "customers": [473, 473, 0, 0]}
    assert rules(tables) == [("orders", "cancelled", "set_aside", 3), ("orders", "unpaid", "set_aside", 9)]
    first = tables.orders.iloc[0]
    assert (first["order_id"], first["customer_id"], first["amount"]) == ("417", "1442", 165.0)
    assert first["order_date"] == pd.Timestamp("2016-08-01 11:05", tz="Asia/Shanghai")
    assert tables.customers.loc[0, "name"] == "顾客0001"


def test_restaurant_files_encodings():
    folder = DATA / "cn_restaurant_orders_gbk"

    assert detect_encoding(read_file_bytes(folder / "meal_order_info.csv")) == "gbk"
    assert detect_encoding(read_file_bytes(folder / "meal_order_detail.csv")) == "utf-8-sig"
    detail, lines = read_records(folder / "meal_order_detail.csv", TableSpec(table="orders", files=()))
    assert len(detail) == 10_037
    assert detail.columns[0] == "detail_id"
    assert (detail["dishes_name"].str.contains("\r\n", regex=False)).any()
    assert lines[-1] > len(detail) + 1  # dish names with line breaks push later records down


@pytest.mark.parametrize(
    ("source", "expected_row"),
    [
        pytest.param("online_retail.yaml", ["orders", "541909", "399790", "0", "142119"], id="online-retail"),
        pytest.param("cdnow.yaml", ["orders", "69659", "69324", "0", "335"], id="cdnow"),
        pytest.param("support_tickets.yaml", ["tickets", "8469", "5650", "1365", "2819"], id="support-tickets"),
        pytest.param("cn_restaurant.yaml", ["orders", "945", "933", "0", "12"], id="restaurant"),
    ],
)
def test_validate_prints_counts(capsys, source, expected_row):
    status = main(["-q", "--lang", "en", "validate", str(SOURCES / source)])

    lines = capsys.readouterr().out.splitlines()
    assert status == EXIT_OK
    assert lines[3].split() == expected_row
