"""Loading Parquet with its column types: same tables as from CSV, and text parsing where types differ."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation.cleaning import exact_duplicates
from segmentation.loading import load_source
from segmentation.quality import TableLedger

TZ = "Asia/Shanghai"
NOW = pd.Timestamp("2024-07-01 00:00", tz=TZ)


def beijing(*values: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(value, tz=TZ) if value else pd.NaT for value in values]


def canonical_tables() -> dict[str, pd.DataFrame]:
    """Return small canonical tables on which most cleaning rules fire once."""
    customers = pd.DataFrame({
        "customer_id": ["00123", "00124", "00125", "T-1", "00126"],
        "name": ["张三贸易", "李四商行", "王五", "测试", "赵六"],
        "phone": ["13800000001", "13800000002", None, "13800000004", "13800000005"],
        "email": ["a@example.com", None, "c@example.com", "t@example.com", "e@example.com"],
        "registered_at": pd.Series(beijing("2023-01-05 10:00", "2023-02-01", "", "2023-03-01", "2030-01-01")),
        "industry": ["零售", "制造", "零售", None, "能源"],
        "region": ["上海", "北京", "上海", "上海", "杭州"],
        "status": ["active", "active", "churned", "test", "active"],
    })
    orders = pd.DataFrame({
        "order_id": ["A1", "A2", "A3", "A4", "A5", "A6", "A6", "A7", "A8", "A9"],
        "customer_id": ["00123", "00124", "00125", "T-1", "00999",
                        "00123", "00123", "00124", "00123", "00124"],
        "order_date": pd.Series(beijing("2024-05-10 09:30", "2024-05-11 10:00", "2024-05-12", "2024-05-13",
                                        "2024-05-14", "2024-05-15", "2024-05-15", "2030-01-01", "2024-05-16",
                                        "2024-05-17")),
        "amount": [1200.5, 50.0, 10.0, 5.0, 7.0, 20.0, 20.0, 30.0, 0.0, 4.0],
        "profit": [300.0, np.nan, 1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 0.0, 1.0],
        "status": ["paid", "refunded", "paid", "paid", "paid", "paid", "paid", "paid", "paid", "cancelled"],
        "product": ["标准版年费", "配件耗材", "标准版年费", "测试商品", "标准版年费", "POST", "POST", "配件耗材",
                    "配件耗材", "标准版年费"],
    })
    tickets = pd.DataFrame({
        "ticket_id": ["K1", "K2", "K3", "K2", "K4"],
        "customer_id": ["00123", "00124", "00123", "00124", "00126"],
        "created_at": pd.Series(beijing("2024-05-01 09:00", "2024-05-02 09:00", "2024-05-03 09:00",
                                        "2024-05-04 09:00", "2024-05-05 09:00")),
        "first_response_at": pd.Series(beijing("2024-05-01 09:05", "2024-05-01 08:00", "", "2024-05-04 09:30",
                                               "2024-05-05 09:10")),
        "resolved_at": pd.Series(beijing("2024-05-01 10:00", "2024-05-02 12:00", "", "2024-05-04 11:00",
                                         "2024-05-05 10:00")),
        "channel": ["电话", "在线客服", "电话", "在线客服", "邮件"],
        "issue_type": ["故障", "退款", "使用咨询", "退款", "加购"],
        "csat": [4.0, 8.0, np.nan, 3.0, 5.0],
        "status": ["resolved", "closed", "open", "closed", "resolved"],
    })
    # A canonical export also carries the scale and the 0-100 score, which the loader recomputes.
    tickets["csat_min"], tickets["csat_max"] = 1.0, 5.0
    tickets["csat_100"] = (tickets["csat"] - 1.0) / 4.0 * 100.0
    return {"customers": customers, "orders": orders, "tickets": tickets}


def write_folder(folder: Path, tables: dict[str, pd.DataFrame], fmt: str) -> Path:
    folder.mkdir()
    for name, frame in tables.items():
        if fmt == "parquet":
            frame.to_parquet(folder / f"{name}.parquet", index=False)
        else:
            frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def with_text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    categorical = [name for name in frame.columns if isinstance(frame[name].dtype, pd.CategoricalDtype)]
    return frame.astype({name: "str" for name in categorical})


def categorical_columns(frame: pd.DataFrame) -> list[str]:
    return [name for name in frame.columns if isinstance(frame[name].dtype, pd.CategoricalDtype)]


def problem_keys(tables) -> list[tuple]:
    return [(problem.table, problem.kind, problem.row, problem.column) for problem in tables.quality.problems]


@pytest.fixture
def both_loaded(tmp_path):
    tables = canonical_tables()
    from_parquet = load_source(write_folder(tmp_path / "parquet", tables, "parquet"), now=NOW)
    from_csv = load_source(write_folder(tmp_path / "csv", tables, "csv"), now=NOW)
    return from_parquet, from_csv


@pytest.mark.parametrize("table", ["customers", "orders", "tickets"])
def test_parquet_tables_equal_csv_tables(both_loaded, table):
    from_parquet, from_csv = both_loaded

    pd.testing.assert_frame_equal(with_text_columns(getattr(from_parquet, table)), getattr(from_csv, table))


def test_parquet_quality_counts_equal_csv(both_loaded):
    from_parquet, from_csv = both_loaded

    pd.testing.assert_frame_equal(from_parquet.quality.summary_frame(), from_csv.quality.summary_frame())
    pd.testing.assert_frame_equal(from_parquet.quality.to_frame(), from_csv.quality.to_frame())
    assert problem_keys(from_parquet) == problem_keys(from_csv)


def test_parquet_cleaning_rules_fire(both_loaded):
    from_parquet, _ = both_loaded
    counts = from_parquet.quality.to_frame()

    assert list(counts.itertuples(index=False, name=None)) == [
        ("customers", "test_account", "set_aside", 1),
        ("customers", "churned_customer", "set_aside", 1),
        ("customers", "future_date", "repaired", 1),
        ("orders", "exact_duplicate", "set_aside", 1),
        ("orders", "cancelled", "set_aside", 1),
        ("orders", "non_product_code", "set_aside", 1),
        ("orders", "zero_amount", "set_aside", 1),
        ("orders", "refund_netted", "counted", 1),
        ("orders", "refund_netted", "repaired", 1),
        ("orders", "test_account", "set_aside", 1),
        ("orders", "churned_customer", "set_aside", 1),
        ("orders", "unknown_customer", "set_aside", 1),
        ("orders", "future_date", "set_aside", 1),
        ("tickets", "csat_out_of_scale", "repaired", 1),
        ("tickets", "duplicate_id", "set_aside", 1),
        ("tickets", "negative_duration", "repaired", 1),
    ]
    summary = from_parquet.quality.summary_frame().set_index("table")
    assert (summary["rows_read"] == summary["kept"] + summary["set_aside"]).all()


def test_parquet_keeps_leading_zeros_and_categoricals(both_loaded):
    from_parquet, _ = both_loaded

    assert from_parquet.customers["customer_id"].tolist() == ["00123", "00124", "00126"]
    assert from_parquet.orders["customer_id"].tolist() == ["00123", "00124"]
    assert str(from_parquet.customers["customer_id"].dtype) == "str"
    assert categorical_columns(from_parquet.orders) == ["customer_id", "status", "product"]
    assert categorical_columns(from_parquet.tickets) == ["customer_id", "channel", "issue_type", "status"]
    assert categorical_columns(from_parquet.customers) == []


def test_parquet_duplicate_id_names_first_line(both_loaded):
    from_parquet, _ = both_loaded
    duplicates = [problem for problem in from_parquet.quality.problems if problem.kind == "duplicate_id"]

    assert [(problem.row, problem.value) for problem in duplicates] == [(5, "K2")]
    assert "第 3 行" in duplicates[0].message


def test_parquet_quarantine_after_load(both_loaded):
    from_parquet, _ = both_loaded
    aside = from_parquet.quality.set_aside_frame("orders")

    assert list(zip(aside["line"], aside["reason"])) == [
        (4, "churned_customer"), (5, "test_account"), (6, "unknown_customer"), (7, "non_product_code"),
        (8, "exact_duplicate"), (9, "future_date"), (10, "zero_amount"), (11, "cancelled"),
    ]
    assert aside.loc[0, "customer_id"] == "00125"


def test_computed_ticket_columns_not_read(both_loaded):
    from_parquet, from_csv = both_loaded

    assert "csat_100" not in from_parquet.quality.ledgers["tickets"].raw.columns
    assert "csat_100" in from_csv.quality.ledgers["tickets"].raw.columns
    assert from_parquet.tickets["csat_100"].fillna(-1.0).tolist() == [75.0, -1.0, -1.0, 100.0]


def test_string_date_column_parsed_as_text(tmp_path):
    pd.DataFrame({
        "order_id": ["A1", "A2", "A3"],
        "customer_id": ["00123", "00123", "00124"],
        "order_date": ["2024-05-10 09:30", "not a date", "2024年5月12日"],
        "amount": [10.0, 20.0, 30.0],
    }).to_parquet(tmp_path / "orders.parquet", index=False)

    tables = load_source(tmp_path, lang="en", now=NOW)

    assert tables.orders["customer_id"].tolist() == ["00123", "00124"]
    assert tables.orders["order_date"].tolist() == beijing("2024-05-10 09:30", "2024-05-12")
    problems = tables.quality.problems
    assert [(problem.kind, problem.row, problem.column, problem.value) for problem in problems] == [
        ("bad_date", 3, "order_date", "not a date")]
    assert "line 3" in problems[0].message


def test_numeric_ids_parsed_as_text(tmp_path):
    pd.DataFrame({
        "order_id": [1, 2],
        "customer_id": [17850.0, 123.0],
        "order_date": pd.Series(beijing("2024-05-10", "2024-05-11")),
        "amount": [10, 20],
    }).to_parquet(tmp_path / "orders.parquet", index=False)

    orders = load_source(tmp_path, now=NOW).orders

    assert orders["order_id"].tolist() == ["1", "2"]
    assert orders["customer_id"].tolist() == ["17850", "123"]
    assert orders["amount"].dtype == "float64"


def test_categorical_ids_merge_after_parsing(tmp_path):
    pd.DataFrame({
        "order_id": ["A1", "A2", "A3", "A4", "A5"],
        "customer_id": [" 00123", "00123", "17850.0", "17850", "NA"],
        "order_date": pd.Series(beijing(*["2024-05-10"] * 5)),
        "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
    }).to_parquet(tmp_path / "orders.parquet", index=False)

    tables = load_source(tmp_path, now=NOW)

    assert tables.orders["customer_id"].tolist() == ["00123", "00123", "17850", "17850"]
    assert sorted(tables.orders["customer_id"].cat.categories) == ["00123", "17850"]
    assert tables.quality.set_aside_frame("orders")["reason"].tolist() == ["missing_customer_id"]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_naive_timestamps_read_in_source_zone(tmp_path, fmt):
    frame = pd.DataFrame({
        "ticket_id": ["K1", "K2", "K3"],
        "customer_id": ["c1", "c1", "c2"],
        # 2024-10-27 01:30 happens twice in London and 2024-03-31 01:30 not at all.
        "created_at": pd.to_datetime(["2024-05-10 01:30", "2024-10-27 01:30", "2024-03-31 01:30"]),
    })
    write_folder(tmp_path / "data", {"tickets": frame}, fmt)
    (tmp_path / "data" / "source.yaml").write_text(textwrap.dedent(f"""
        timezone: Europe/London
        tables:
          tickets: {{file: tickets.{fmt}}}
    """), encoding="utf-8")

    tickets = load_source(tmp_path / "data" / "source.yaml", now=pd.Timestamp("2025-01-01", tz=TZ)).tickets

    # The summer-time reading of the repeated hour, and the skipped hour moved forward.
    assert tickets["created_at"].tolist() == beijing("2024-05-10 08:30", "2024-10-27 08:30", "2024-03-31 09:00")


def test_timestamp_outside_parser_range_is_bad_date(tmp_path):
    dates = pd.Series(np.array(["2024-05-10", "2300-01-01"], dtype="datetime64[us]")).dt.tz_localize(TZ)
    pd.DataFrame({"order_id": ["A1", "A2"], "customer_id": ["c1", "c1"], "order_date": dates,
                  "amount": [1.0, 2.0]}).to_parquet(tmp_path / "orders.parquet", index=False)

    tables = load_source(tmp_path, now=NOW)

    assert tables.orders["order_date"].tolist() == beijing("2024-05-10")
    assert str(tables.orders["order_date"].dtype) == f"datetime64[ns, {TZ}]"
    assert [(problem.kind, problem.row) for problem in tables.quality.problems] == [("bad_date", 3)]


def test_infinite_amount_is_bad_amount(tmp_path):
    pd.DataFrame({"order_id": ["A1", "A2", "A3"], "customer_id": ["c1", "c1", "c1"],
                  "order_date": pd.Series(beijing(*["2024-05-10"] * 3)),
                  "amount": [1.0, np.inf, np.nan]}).to_parquet(tmp_path / "orders.parquet", index=False)

    tables = load_source(tmp_path, now=NOW)

    assert tables.orders["amount"].tolist() == [1.0]
    assert [(problem.kind, problem.row) for problem in tables.quality.problems] == [
        ("bad_amount", 3), ("missing_amount", 4)]


def test_several_parquet_files_concatenated(tmp_path):
    for name, ids in (("may.parquet", ["c1", "c2"]), ("june.parquet", ["c2", "c3"])):
        pd.DataFrame({"order_id": [f"{name}-{i}" for i in range(2)], "customer_id": ids,
                      "order_date": pd.Series(beijing("2024-05-10", "2024-05-11")),
                      "amount": [1.0, 2.0]}).to_parquet(tmp_path / name, index=False)
    (tmp_path / "source.yaml").write_text(textwrap.dedent("""
        tables:
          orders: {file: [may.parquet, june.parquet]}
    """), encoding="utf-8")

    tables = load_source(tmp_path / "source.yaml", now=NOW)

    assert tables.orders["customer_id"].tolist() == ["c1", "c2", "c2", "c3"]
    assert isinstance(tables.orders["customer_id"].dtype, pd.CategoricalDtype)
    assert tables.customers["customer_id"].tolist() == ["c1", "c2", "c3"]
    assert [Path(file).name for file in tables.files["orders"]] == ["june.parquet", "may.parquet"]


def ledger_of(raw: pd.DataFrame) -> TableLedger:
    return TableLedger("orders", raw, pd.Series("orders.parquet", index=raw.index), np.arange(len(raw)) + 2)


@pytest.mark.parametrize("raw", [
    pd.DataFrame({"a": [0.0, -0.0, np.nan, np.nan, 1.0], "b": ["x", "x", None, None, "x"]}),
    pd.DataFrame({"a": pd.Categorical(["p", "q", "p", None, None]), "b": [1, 2, 1, 3, 3]}),
    pd.DataFrame({"a": ["1", "1", "2", "1"], "b": ["x", "y", "x", "x"]}, dtype="str"),
    pd.DataFrame({"a": pd.Series(beijing("2024-05-10", "", "2024-05-10", "")), "b": [1.5, 2.5, 1.5, 2.5]}),
], ids=["signed-zero-and-nan", "categorical-and-int", "text-only", "aware-timestamps"])
def test_exact_duplicates_match_pandas(raw):
    assert exact_duplicates(ledger_of(raw)).tolist() == raw.duplicated(keep="first").tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["x", "y", None]), st.sampled_from([0.0, -0.0, 1.0, float("nan")]),
                          st.integers(0, 2)), min_size=0, max_size=12))
def test_exact_duplicates_property(rows):
    raw = pd.DataFrame(rows, columns=["text", "number", "code"]).astype({"text": "str"})
    raw["code"] = raw["code"].astype("category")

    assert exact_duplicates(ledger_of(raw)).tolist() == raw.duplicated(keep="first").tolist()
