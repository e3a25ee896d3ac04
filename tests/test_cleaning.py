"""Cleaning rules on tiny hand-written exports: what is set aside, repaired or counted, and why."""

from __future__ import annotations

import logging
import tempfile
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation.config import load_config
from segmentation.errors import DataValidationError
from segmentation.loading import load_source
from segmentation.overrides_check import check_loaded_overrides

TZ = "Asia/Shanghai"
NOW = pd.Timestamp("2024-07-01 00:00", tz=TZ)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(textwrap.dedent(text).lstrip("\n").encode(encoding))
    return path


def reasons(tables, table: str) -> list[tuple[int, str]]:
    frame = tables.quality.set_aside_frame(table)
    return list(zip(frame["line"].tolist(), frame["reason"].tolist()))


def rule_counts(tables, table: str) -> list[tuple[str, str, int]]:
    frame = tables.quality.to_frame()
    frame = frame[frame["table"] == table]
    return list(zip(frame["rule"], frame["action"], frame["rows"]))


@pytest.fixture
def orders_folder(tmp_path):
    write(tmp_path / "orders.csv", """
        order_id,customer_id,order_date,amount,status,product
        1,c1,2024-05-01,10,paid,A
        1,c1,2024-05-01,10,paid,A
        2,,2024-05-01,10,paid,A
        3,c1,2024-05-02,10,cancelled,A
        4,c1,2024-05-02,10,unpaid,A
        5,c1,2024-05-03,4,paid,POST
        6,c1,2024-05-03,0,paid,A
        7,c1,2024-05-04,-3,,A
        8,c1,2024-05-04,6,refunded,A
        9,c1,2024-05-05,20,paid,P2
        9,c1,2024-05-05,5,paid,P3
    """)
    return tmp_path


def test_order_rules_in_order(orders_folder):
    tables = load_source(orders_folder, now=NOW)

    assert reasons(tables, "orders") == [
        (3, "exact_duplicate"), (4, "missing_customer_id"), (5, "cancelled"), (6, "unpaid"),
        (7, "non_product_code"), (8, "zero_amount"),
    ]
    assert rule_counts(tables, "orders") == [
        ("exact_duplicate", "set_aside", 1), ("missing_customer_id", "set_aside", 1), ("cancelled", "set_aside", 1),
        ("unpaid", "set_aside", 1), ("non_product_code", "set_aside", 1), ("zero_amount", "set_aside", 1),
        ("refund_netted", "counted", 2), ("refund_netted", "repaired", 1),
    ]


def test_refunds_net_spend_and_order_lines_repeat(orders_folder):
    orders = load_source(orders_folder, now=NOW).orders

    assert orders[["order_id", "amount"]].to_dict("list") == {
        "order_id": ["1", "7", "8", "9", "9"], "amount": [10.0, -3.0, -6.0, 20.0, 5.0],
    }
    assert orders["amount"].sum() == 26.0


def test_invariant_read_equals_kept_plus_set_aside(orders_folder):
    tables = load_source(orders_folder, now=NOW)

    summary = tables.quality.summary_frame().set_index("table").loc["orders"]
    assert summary[["rows_read", "kept", "repaired", "set_aside"]].tolist() == [11, 5, 1, 6]
    assert len(tables.orders) == summary["kept"]


@pytest.mark.parametrize(
    ("switch", "expected_rule", "kept"),
    [
        pytest.param("drop_zero_amount_orders", ("zero_amount", "counted", 1), 6, id="zero-amount"),
        pytest.param("drop_cancelled_orders", ("unpaid", "counted", 1), 7, id="cancelled-and-unpaid"),
        pytest.param("drop_exact_duplicates", ("exact_duplicate", "counted", 1), 6, id="duplicates"),
    ],
)
def test_policy_switched_off_still_counts(orders_folder, switch, expected_rule, kept):
    config = load_config(overrides={"cleaning": {switch: False}})

    tables = load_source(orders_folder, config, now=NOW)

    assert expected_rule in rule_counts(tables, "orders")
    assert len(tables.orders) == kept


def test_refunds_set_aside_when_netting_is_off(orders_folder):
    config = load_config(overrides={"cleaning": {"net_refunds": False}})

    tables = load_source(orders_folder, config, now=NOW)

    assert ("refund", "set_aside", 2) in rule_counts(tables, "orders")
    assert (tables.orders["amount"] > 0).all()


@pytest.fixture
def linked_folder(tmp_path):
    write(tmp_path / "customers.csv", """
        customer_id,name,status,registered_at
        c1,Ann,active,2023-01-01
        c2,Bo,test,2023-01-01
        c3,Cy,churned,2023-01-01
        c1,Ann again,active,2023-02-01
        c4,Di,active,2030-01-01
    """)
    write(tmp_path / "orders.csv", """
        order_id,customer_id,order_date,amount
        1,c1,2024-05-01,10
        2,c2,2024-05-01,10
        3,c3,2024-05-01,10
        4,c9,2024-05-01,10
        5,c1,2025-01-01,10
    """)
    write(tmp_path / "tickets.csv", """
        ticket_id,customer_id,created_at,first_response_at,resolved_at
        t1,c1,2024-05-01 09:00,2024-05-01 08:00,2024-05-01 10:00
        t2,c1,2024-05-02 09:00,2024-05-02 09:30,2024-05-02 09:10
        t1,c1,2024-05-03 09:00,,
        t3,c2,2024-05-03 09:00,,
        t4,c1,2024-05-04 09:00,,2024-12-01 09:00
    """)
    write(tmp_path / "followups.csv", "customer_id,followup_at\nc3,2024-05-01\nc1,2024-05-02\n")
    return tmp_path


def test_customer_rules(linked_folder):
    tables = load_source(linked_folder, now=NOW)

    assert reasons(tables, "customers") == [(3, "test_account"), (4, "churned_customer"), (5, "duplicate_id")]
    assert tables.customers["customer_id"].tolist() == ["c1", "c4"]
    assert pd.isna(tables.customers["registered_at"][1])
    assert ("future_date", "repaired", 1) in rule_counts(tables, "customers")


def test_exclusions_reach_linked_rows(linked_folder):
    tables = load_source(linked_folder, now=NOW)

    assert reasons(tables, "orders") == [(3, "test_account"), (4, "churned_customer"), (5, "unknown_customer"),
                                         (6, "future_date")]
    assert reasons(tables, "tickets") == [(4, "duplicate_id"), (5, "test_account")]
    assert reasons(tables, "followups") == [(2, "churned_customer")]


def test_ticket_times_repaired(linked_folder):
    tables = load_source(linked_folder, now=NOW)

    tickets = tables.tickets.set_index("ticket_id")
    assert pd.isna(tickets.loc["t1", "first_response_at"])
    assert tickets.loc["t1", "resolved_at"] == pd.Timestamp("2024-05-01 10:00", tz=TZ)
    assert pd.isna(tickets.loc["t2", "resolved_at"])
    assert pd.isna(tickets.loc["t4", "resolved_at"])
    assert rule_counts(tables, "tickets") == [
        ("test_account", "set_aside", 1), ("duplicate_id", "set_aside", 1), ("future_date", "repaired", 1),
        ("negative_duration", "repaired", 2),
    ]


def test_problems_name_rows_and_details(linked_folder):
    tables = load_source(linked_folder, lang="en", now=NOW)

    problems = {(problem.table, problem.kind, problem.row): problem for problem in tables.quality.problems}
    assert sorted(problems) == [
        ("customers", "duplicate_id", 5), ("customers", "future_date", 6), ("orders", "future_date", 6),
        ("tickets", "duplicate_id", 4), ("tickets", "future_date", 6), ("tickets", "negative_duration", 2),
        ("tickets", "negative_duration", 3),
    ]
    assert "id 'c1' repeats line 2" in problems[("customers", "duplicate_id", 5)].message
    assert "time '2024-05-01 08:00' is before created_at 2024-05-01 09:00:00" in \
        problems[("tickets", "negative_duration", 2)].message
    assert "is after 2024-06-04 09:00:00+08:00" in problems[("tickets", "future_date", 6)].message


def test_write_quarantine(linked_folder, tmp_path_factory):
    tables = load_source(linked_folder, now=NOW)
    folder = tmp_path_factory.mktemp("quarantine")

    written = tables.quality.write_quarantine(folder)

    assert sorted(path.name for path in written) == ["customers.csv", "followups.csv", "orders.csv", "problems.csv",
                                                     "tickets.csv"]
    raw = (folder / "customers.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    quarantined = pd.read_csv(folder / "customers.csv", encoding="utf-8-sig", dtype=str)
    assert list(quarantined.columns) == ["file", "line", "reason", "customer_id", "name", "status", "registered_at"]
    assert quarantined["reason"].tolist() == ["test_account", "churned_customer", "duplicate_id"]
    assert len(pd.read_csv(folder / "problems.csv", encoding="utf-8-sig")) == 7


@pytest.fixture
def formula_folder(tmp_path):
    write(tmp_path / "customers.csv", """
        customer_id,name,status
        c1,Ann,active
        c2,"=HYPERLINK(""x"")",test
    """)
    write(tmp_path / "orders.csv", """
        order_id,customer_id,order_date,amount,product
        1,c1,2024-05-01,10,A
        2,c1,2024-05-01,-5.00,=1+1
        3,c1,=NOW(),@SUM(A1),+cmd
    """)
    return tmp_path


def test_quarantine_neutralises_formulas(formula_folder, tmp_path_factory):
    config = load_config(overrides={"cleaning": {"net_refunds": False}})
    tables = load_source(formula_folder, config, now=NOW)
    folder = tmp_path_factory.mktemp("quarantine")

    tables.quality.write_quarantine(folder)

    customers = pd.read_csv(folder / "customers.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    orders = pd.read_csv(folder / "orders.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert customers["name"].tolist() == ["'=HYPERLINK(\"x\")"]
    assert orders[["line", "reason", "order_date", "amount", "product"]].to_dict("list") == {
        "line": ["3", "4"], "reason": ["refund", "bad_date"], "order_date": ["2024-05-01", "'=NOW()"],
        "amount": ["-5.00", "'@SUM(A1)"], "product": ["'=1+1", "'+cmd"],
    }


def test_quarantine_problems_neutralised(formula_folder, tmp_path_factory):
    tables = load_source(formula_folder, lang="en", now=NOW)
    folder = tmp_path_factory.mktemp("quarantine")

    tables.quality.write_quarantine(folder)

    problems = pd.read_csv(folder / "problems.csv", encoding="utf-8-sig", dtype=str)
    assert problems[["kind", "row", "value"]].values.tolist() == [["bad_date", "4", "'=NOW()"]]
    assert problems["message"].str.contains("'=NOW()' is not a readable date-time", regex=False).all()


def test_quarantine_warns_of_personal_data(formula_folder, tmp_path_factory, caplog):
    tables = load_source(formula_folder, lang="en", now=NOW)
    folder = tmp_path_factory.mktemp("quarantine")

    with caplog.at_level(logging.WARNING, logger="segmentation.quality"):
        tables.quality.write_quarantine(folder)

    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert f"the quarantine files in {folder} keep the source text" in warnings[0]
    assert "personal data (name, phone, e-mail)" in warnings[0]


@pytest.fixture
def overrides_folder(tmp_path):
    write(tmp_path / "customers.csv", "customer_id,status\nc1,active\nc2,churned\n")
    write(tmp_path / "orders.csv", """
        order_id,customer_id,order_date,amount
        1,c1,2024-05-01,10
        2,c9,2024-05-01,10
    """)
    write(tmp_path / "overrides.csv", """
        customer_id,label,reason,approved_by,requested_at,decided_at
        c1,vip,r,A,2024-06-01 09:00,2024-06-01 10:00
        c9,vip,r,A,2024-06-01 09:00,2024-06-01 10:00
        c1,vip,r,A,2024-06-01 09:00,tomorrow
        c2,vip,r,A,2024-06-01 09:00,2024-06-01 10:00
    """)
    return tmp_path


def test_unknown_customer_keeps_overrides(overrides_folder):
    tables = load_source(overrides_folder, now=NOW)

    assert reasons(tables, "orders") == [(3, "unknown_customer")]
    assert tables.overrides["customer_id"].tolist() == ["c1", "c9"]
    assert tables.overrides["source_row"].tolist() == [2, 3]
    aside = tables.quality.set_aside_frame("overrides")
    assert aside[["line", "quarantine_reason", "reason"]].values.tolist() == [
        [4, "bad_date", "r"], [5, "churned_customer", "r"]]


def test_quarantine_of_overrides_keeps_reason_column(overrides_folder, tmp_path_factory):
    tables = load_source(overrides_folder, now=NOW)
    folder = tmp_path_factory.mktemp("quarantine")

    tables.quality.write_quarantine(folder)

    quarantined = pd.read_csv(folder / "overrides.csv", encoding="utf-8-sig", dtype=str)
    assert list(quarantined.columns) == ["file", "line", "quarantine_reason", "customer_id", "label", "reason",
                                         "approved_by", "requested_at", "decided_at"]
    assert quarantined["decided_at"].tolist() == ["tomorrow", "2024-06-01 10:00"]


def test_override_with_bad_date_reported(overrides_folder):
    tables = load_source(overrides_folder, lang="en", now=NOW)

    problems = [(problem.table, problem.kind, problem.row, problem.value) for problem in tables.quality.problems]
    assert problems == [("overrides", "bad_date", 4, "tomorrow")]


def test_loaded_overrides_rejected_by_check(overrides_folder):
    config = load_config()
    tables = load_source(overrides_folder, config, lang="en", now=NOW)

    with pytest.raises(DataValidationError, match=r"line 3: customer 'c9' is not among the classified") as caught:
        check_loaded_overrides(tables, config, "en")

    assert [(problem.row, problem.kind) for problem in caught.value.problems] == [
        (3, "unknown_customer"), (4, "bad_date")]


ROW = st.tuples(
    st.sampled_from(["c1", "c2", "", "NA"]),
    st.sampled_from(["2024-05-01", "2024-02-30", "2030-01-01", ""]),
    st.sampled_from(["10", "0", "-5", "abc", ""]),
    st.sampled_from(["paid", "cancelled", "refunded", "unpaid", "", "??"]),
    st.sampled_from(["A", "POST"]),
)


@settings(max_examples=12, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=30))
def test_every_row_is_kept_or_set_aside_once(rows):
    lines = ["order_id,customer_id,order_date,amount,status,product"]
    lines += [",".join(("o", *row)) for row in rows]

    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "orders.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        tables = load_source(folder, now=NOW)

    summary = tables.quality.summary_frame().set_index("table").loc["orders"]
    counts = tables.quality.to_frame()
    aside = counts[(counts["table"] == "orders") & (counts["action"] == "set_aside")]["rows"].sum()
    assert summary["rows_read"] == len(rows)
    assert summary["rows_read"] == summary["kept"] + summary["set_aside"]
    assert aside == summary["set_aside"]
    assert len(tables.orders) == summary["kept"]
    assert not tables.orders["amount"].isna().any()
    assert (tables.orders["amount"] != 0).all()
