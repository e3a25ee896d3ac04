"""Loading folders and source files into canonical tables: headers, layouts, source-file keys, errors."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from segmentation.errors import DataValidationError
from segmentation.loading import load_source

TZ = "Asia/Shanghai"


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(textwrap.dedent(text).lstrip("\n").encode(encoding))
    return path


def beijing(*values: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(value, tz=TZ) if value else pd.NaT for value in values]


@pytest.fixture
def crm_folder(tmp_path):
    write(tmp_path / "customers.csv", """
        客户编号,客户名称,注册日期,城市,状态
        00123,张三贸易,2023/1/5,上海,正常
        00124,李四商行,2023年2月1日,北京,active
    """, encoding="gbk")
    write(tmp_path / "orders.csv", """
        订单号,客户编号,下单时间,金额,订单状态
        A1,00123,2024-05-10 09:30,"¥1,200.50",已支付
        A2,00124,2024-05-11 10:00,-50,已退款
    """, encoding="utf-8-sig")
    write(tmp_path / "tickets.csv", """
        工单号,客户编号,创建时间,首次响应时间,渠道,问题类型,满意度
        T1,00123,2024-04-01 09:00:00,2024-04-01T01:10:00Z,电话,投诉,4
    """)
    (tmp_path / "_truth").mkdir()
    write(tmp_path / "_truth" / "customers.csv", "not,a,table\n")
    write(tmp_path / "README.txt", "notes\n")
    return tmp_path


def test_folder_with_chinese_headers(crm_folder):
    tables = load_source(crm_folder)

    expected_customers = pd.DataFrame({
        "customer_id": ["00123", "00124"],
        "name": ["张三贸易", "李四商行"],
        "registered_at": beijing("2023-01-05", "2023-02-01"),
        "region": ["上海", "北京"],
        "status": ["active", "active"],
    })
    pd.testing.assert_frame_equal(tables.customers[list(expected_customers)], expected_customers,
                                  check_dtype=False)
    assert tables.customers["customer_id"].dtype == "str"
    assert tables.customers_derived is False


def test_folder_orders_and_tickets(crm_folder):
    tables = load_source(crm_folder)

    assert tables.orders[["order_id", "customer_id", "amount", "status"]].to_dict("list") == {
        "order_id": ["A1", "A2"], "customer_id": ["00123", "00124"], "amount": [1200.5, -50.0],
        "status": ["paid", "refunded"],
    }
    assert tables.orders["order_date"].tolist() == beijing("2024-05-10 09:30", "2024-05-11 10:00")
    ticket = tables.tickets.iloc[0]
    assert ticket["first_response_at"] - ticket["created_at"] == pd.Timedelta(minutes=10)
    assert (ticket["issue_type"], ticket["channel"], ticket["csat"], ticket["csat_100"]) == ("投诉", "电话", 4.0, 75.0)


def test_folder_reports_files_and_quality(crm_folder):
    tables = load_source(crm_folder)

    assert tables.files == {table: [str(crm_folder / f"{table}.csv")] for table in ("customers", "orders", "tickets")}
    summary = tables.quality.summary_frame().set_index("table")
    assert summary.loc["orders", ["rows_read", "kept", "repaired", "set_aside"]].tolist() == [2, 2, 0, 0]
    assert tables.quality.to_frame().to_dict("list") == {
        "table": ["orders"], "rule": ["refund_netted"], "action": ["counted"], "rows": [1],
    }


def test_missing_required_column_names_columns_and_closest(tmp_path):
    write(tmp_path / "orders.csv", "订单号,客户编号,下单时间,金額\nA1,1,2024-05-10,5\n")

    with pytest.raises(DataValidationError) as caught:
        load_source(tmp_path, lang="en")

    (problem,) = caught.value.problems
    assert problem.kind == "missing_column"
    assert problem.column == "amount"
    assert "lacks the required column amount" in problem.message
    assert "Columns in the file: 订单号, 客户编号, 下单时间, 金額" in problem.message
    assert "The closest is '金額'" in problem.message


def test_fatal_problems_collected_over_tables(tmp_path):
    write(tmp_path / "orders.csv", "order_id,customer_id,amount\nA1,1,5\n")
    (tmp_path / "tickets.csv").write_bytes(b"ticket_id\n\xff\n")

    with pytest.raises(DataValidationError) as caught:
        load_source(tmp_path)

    assert sorted(problem.kind for problem in caught.value.problems) == ["encoding", "missing_column"]
    assert all(problem.fatal for problem in caught.value.problems)


def test_two_files_for_one_table_are_rejected(tmp_path):
    write(tmp_path / "orders.csv", "order_id\n")
    write(tmp_path / "orders.txt", "order_id\n")

    with pytest.raises(DataValidationError, match=r"several files for table orders: \['orders.csv', 'orders.txt'\]"):
        load_source(tmp_path, lang="en")


def test_source_file_unknown_key_names_allowed_keys(tmp_path):
    write(tmp_path / "orders.csv", "order_id\n")
    source = write(tmp_path / "source.yaml", """
        tables:
          orders:
            file: orders.csv
            colums: {order_id: 单号}
    """)

    with pytest.raises(DataValidationError, match=r"unknown key 'colums' in tables.orders; allowed keys: file, "
                                                  r"derive_from, format"):
        load_source(source, lang="en")


def test_source_file_lists_every_problem(tmp_path):
    source = write(tmp_path / "source.yaml", """
        timezone: Beijing
        tables:
          orders:
            file: missing.csv
            format: json
          clients:
            file: x.csv
    """)

    with pytest.raises(DataValidationError) as caught:
        load_source(source, lang="en")

    messages = [problem.message for problem in caught.value.problems]
    assert len(messages) == 4
    assert any("timezone is 'Beijing', not an IANA time zone" in message for message in messages)
    assert any("unknown table 'clients'" in message for message in messages)
    assert any("missing.csv of table orders does not exist" in message for message in messages)
    assert any("tables.orders.format is 'json'; allowed: csv, whitespace" in message for message in messages)


def test_source_file_amount_prefix_and_zone(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write(data / "retail.csv", """
        InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID
        536365,85123A,6.0,2010-12-01 08:26:00,2.55,17850.0
        C536379,22633,-1.0,2010-12-01 09:41:00,27.5,14527.0
        536370,22728,24.0,2011-06-01 08:45:00,3.75,12583.0
    """)
    (tmp_path / "sources").mkdir()
    source = write(tmp_path / "sources" / "retail.yaml", """
        timezone: Europe/London
        tables:
          orders:
            file: ../data/retail.csv
            columns: {order_id: InvoiceNo, product: StockCode}
            amount_from: {quantity: Quantity, unit_price: UnitPrice}
            status_from_prefix: {column: InvoiceNo, prefix: C, status: refunded}
    """)

    orders = load_source(source).orders

    assert orders["customer_id"].tolist() == ["17850", "14527", "12583"]
    assert orders["amount"].tolist() == pytest.approx([15.3, -27.5, 90.0])
    assert orders["status"].tolist()[1] == "refunded"
    assert pd.isna(orders["status"][0])
    assert orders["order_date"].tolist() == beijing("2010-12-01 16:26", "2010-12-01 17:41", "2011-06-01 15:45")


def test_whitespace_file_with_line_ids(tmp_path):
    (tmp_path / "cd.txt").write_bytes(b" customer_id  date number_of_cds  dollar_value\r\n"
                                      b" 00001 19970101  1   11.77\r\n\r\n 00002 19970112  5   77.00\r\n")
    source = write(tmp_path / "cd.yaml", """
        tables:
          orders:
            file: cd.txt
            format: whitespace
            id_from_line: true
            columns: {amount: dollar_value}
            date_formats: {order_date: ["%Y%m%d"]}
    """)

    orders = load_source(source).orders

    assert orders[["order_id", "customer_id", "amount"]].to_dict("list") == {
        "order_id": ["cd:2", "cd:4"], "customer_id": ["00001", "00002"], "amount": [11.77, 77.0],
    }
    assert orders["order_date"].tolist() == beijing("1997-01-01", "1997-01-12")


def test_fixed_width_file(tmp_path):
    write(tmp_path / "orders.dat", """
        ORDER CUST  DATE       AMOUNT
        A0001 00042 2024-05-10 120.5
        A0002 00043 2024-05-11  80.0
    """)
    source = write(tmp_path / "fw.yaml", """
        tables:
          orders:
            file: orders.dat
            format: fixed_width
            widths: [6, 6, 11, 6]
            columns: {order_id: ORDER, customer_id: CUST, order_date: DATE, amount: AMOUNT}
    """)

    orders = load_source(source).orders

    assert orders[["order_id", "customer_id", "amount"]].to_dict("list") == {
        "order_id": ["A0001", "A0002"], "customer_id": ["00042", "00043"], "amount": [120.5, 80.0],
    }


def test_excel_file_with_serial_dates(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["订单号", "客户编号", "下单时间", "金额"])
    sheet.append(["A1", "00123", dt.datetime(2024, 5, 10, 9, 30), 1200.5])
    sheet.append([])
    sheet.append(["A2", 17850, 45422, "３０"])
    workbook.save(tmp_path / "orders.xlsx")

    tables = load_source(tmp_path)

    orders = tables.orders
    assert orders[["order_id", "customer_id", "amount"]].to_dict("list") == {
        "order_id": ["A1", "A2"], "customer_id": ["00123", "17850"], "amount": [1200.5, 30.0],
    }
    assert orders["order_date"].tolist() == beijing("2024-05-10 09:30", "2024-05-10")
    assert tables.quality.set_aside_frame("orders")[["line", "reason"]].to_dict("list") == {
        "line": [3], "reason": ["empty_row"],
    }


def test_parquet_file(tmp_path):
    pd.DataFrame({
        "order_id": ["A1", "A2"],
        "customer_id": [17850.0, 12583.0],
        "order_date": pd.to_datetime(["2024-05-10 01:30", "2024-05-11 02:00"]).tz_localize("UTC"),
        "amount": [10.0, None],
    }).to_parquet(tmp_path / "orders.parquet")

    tables = load_source(tmp_path)

    assert tables.orders["customer_id"].tolist() == ["17850"]
    assert tables.orders["order_date"].tolist() == beijing("2024-05-10 09:30")
    problems = tables.quality.problems
    assert [(problem.kind, problem.row, problem.column) for problem in problems] == [("missing_amount", 3, "amount")]


@pytest.fixture
def csat_source(tmp_path):
    write(tmp_path / "tickets.csv", """
        ticket_id,customer_id,created_at,channel,csat
        1,c1,2024-04-01 09:00,A,5
        2,c1,2024-04-02 09:00,A,4
        3,c2,2024-04-03 09:00,A,2
        4,c2,2024-04-04 09:00,B,9
        5,c3,2024-04-05 09:00,B,10
        6,c3,2024-04-06 09:00,B,3
        7,c3,2024-04-07 09:00,A,6
    """)
    return write(tmp_path / "csat.yaml", """
        tables:
          tickets:
            file: tickets.csv
            csat_scale: {default: [1, 5], B: [0, 10]}
    """)


def test_csat_case_scales_by_channel(csat_source):
    tickets = load_source(csat_source).tickets

    assert tickets["csat_100"].tolist()[:6] == [100.0, 75.0, 25.0, 90.0, 100.0, 30.0]
    assert np.isnan(tickets["csat_100"][6])
    assert tickets["csat_100"].mean() == pytest.approx(70.0)
    assert tickets["csat_max"].tolist() == [5.0, 5.0, 5.0, 10.0, 10.0, 10.0, 5.0]
    assert tickets["csat_min"].tolist() == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0]


def test_csat_out_of_scale_names_the_row(csat_source):
    tables = load_source(csat_source, lang="en")

    (problem,) = tables.quality.problems
    assert (problem.kind, problem.row, problem.column, problem.value) == ("csat_out_of_scale", 8, "csat", "6")
    assert "line 8, column csat: CSAT '6' is outside its scale 1-5" in problem.message
    assert tables.quality.summary_frame()["repaired"].tolist()[0] == 1


def test_strict_mode_makes_row_problems_fatal(csat_source):
    with pytest.raises(DataValidationError, match="strict mode: the data has 1 row problem") as caught:
        load_source(csat_source, lang="en", strict=True)

    assert [problem.kind for problem in caught.value.problems] == ["strict", "csat_out_of_scale"]


def test_bad_date_located_after_multiline_field(tmp_path):
    write(tmp_path / "tickets.csv", """
        ticket_id,customer_id,note,created_at
        1,c1,"line one
        line two",2024-04-01 09:00
        2,c2,plain,2018-02-29 10:00
        3,c3,ok,yesterday
    """)

    tables = load_source(tmp_path)

    located = [(problem.kind, problem.row, problem.column, problem.value) for problem in tables.quality.problems]
    assert located == [("impossible_date", 4, "created_at", "2018-02-29 10:00"),
                       ("bad_date", 5, "created_at", "yesterday")]
    assert tables.tickets["ticket_id"].tolist() == ["1"]


def test_derived_customers_from_ticket_columns(tmp_path):
    write(tmp_path / "t.csv", """
        Ticket ID,Customer Name,Customer Email,First Response Time
        1,Ann Lee,ann@example.com,2023-06-01 12:00:00
        2,Ann L.,ann@example.com,2023-06-01 13:00:00
        3,Bo Wu,bo@example.com,2023-06-01 14:00:00
    """)
    source = write(tmp_path / "t.yaml", """
        tables:
          tickets:
            file: t.csv
            columns: {ticket_id: Ticket ID, customer_id: Customer Email, created_at: First Response Time}
          customers:
            derive_from: tickets
            columns: {name: Customer Name, email: Customer Email}
    """)

    tables = load_source(source)

    assert tables.customers_derived is True
    assert tables.customers[["customer_id", "name", "email"]].to_dict("list") == {
        "customer_id": ["ann@example.com", "bo@example.com"], "name": ["Ann Lee", "Bo Wu"],
        "email": ["ann@example.com", "bo@example.com"],
    }
    assert pd.isna(tables.tickets["first_response_at"]).all()


def test_customers_derived_from_ids(tmp_path):
    write(tmp_path / "orders.csv", "order_id,customer_id,order_date,amount\nA1,c2,2024-01-01,5\nA2,c1,2024-01-02,0\n")
    write(tmp_path / "tickets.csv", "ticket_id,customer_id,created_at\nT1,c3,2024-01-03\nT2,c2,2024-01-04\n")

    tables = load_source(tmp_path)

    assert tables.customers_derived is True
    assert tables.customers["customer_id"].tolist() == ["c2", "c1", "c3"]
    assert tables.orders["customer_id"].tolist() == ["c2"]


def test_derived_customers_registered_at_first_kept_row(tmp_path):
    write(tmp_path / "orders.csv", """
        order_id,customer_id,order_date,amount
        A1,c1,2024-05-20 10:00,5
        A2,c1,2024-02-01 09:00,0
        A3,c1,2024-03-01 08:00,7
        A4,c2,2024-04-01 10:00,0
        A5,c3,2024-06-01 10:00,9
    """)
    write(tmp_path / "tickets.csv", """
        ticket_id,customer_id,created_at
        T1,c3,2024-01-05 09:30
        T2,c4,
    """)

    tables = load_source(tmp_path, now=pd.Timestamp("2025-01-01", tz=TZ))

    assert tables.customers["customer_id"].tolist() == ["c1", "c2", "c3", "c4"]
    assert tables.customers["registered_at"].tolist() == beijing("2024-03-01 08:00", "", "2024-01-05 09:30", "")


def test_derived_customers_keep_mapped_registered_at(tmp_path):
    write(tmp_path / "t.csv", """
        Ticket ID,Customer Email,Created,Signed Up
        1,ann@example.com,2024-06-01 12:00,2023-01-01 08:00
        2,bo@example.com,2024-06-02 12:00,
    """)
    source = write(tmp_path / "t.yaml", """
        tables:
          tickets:
            file: t.csv
            columns: {ticket_id: Ticket ID, customer_id: Customer Email, created_at: Created}
          customers:
            derive_from: tickets
            columns: {registered_at: Signed Up}
    """)

    tables = load_source(source, now=pd.Timestamp("2025-01-01", tz=TZ))

    assert tables.customers["registered_at"].tolist() == beijing("2023-01-01 08:00", "2024-06-02 12:00")


@pytest.mark.parametrize(
    ("na_values", "expected_region"),
    [
        pytest.param(None, [None, "NA-East"], id="default-tokens"),
        pytest.param(["-"], ["NA", "NA-East"], id="custom-tokens-keep-NA"),
    ],
)
def test_na_values_of_source_file(tmp_path, na_values, expected_region):
    write(tmp_path / "c.csv", "customer_id,region\n1,NA\n2,NA-East\n3,-\n")
    source = tmp_path / "c.yaml"
    source.write_text("tables:\n  customers:\n    file: c.csv\n" + (f"na_values: {na_values}\n" if na_values else ""),
                      encoding="utf-8")

    regions = load_source(source).customers["region"].tolist()

    assert [None if pd.isna(value) else value for value in regions[:2]] == expected_region
    assert (regions[2] == "-") is (na_values is None)


def test_values_map_codes(tmp_path):
    write(tmp_path / "o.csv", "order_id,emp_id,use_start_time,accounts_payable,order_status\n"
                              "1,7,2016/8/1 11:05,165,1\n2,7,2016/8/1 12:00,80,2\n3,8,2016/8/2 9:00,50,9\n")
    source = write(tmp_path / "o.yaml", """
        tables:
          orders:
            file: o.csv
            columns: {customer_id: emp_id, order_date: use_start_time, amount: accounts_payable, status: order_status}
            values:
              status: {"1": paid, "0": unpaid, "2": cancelled}
    """)

    tables = load_source(source, lang="en")

    assert tables.orders["order_id"].tolist() == ["1"]
    reasons = tables.quality.set_aside_frame("orders")[["line", "reason"]].to_dict("list")
    assert reasons == {"line": [3, 4], "reason": ["cancelled", "unknown_status"]}
    (problem,) = tables.quality.problems
    assert "value '9' is not recognised; allowed: paid, cancelled, refunded, unpaid" in problem.message


@pytest.mark.slow
def test_sample_source_loads_and_ignores_truth():
    tables = load_source("sample")

    assert tables.has("orders")
    assert tables.has("tickets")
    assert all("_truth" not in path for paths in tables.files.values() for path in paths)
    summary = tables.quality.summary_frame()
    assert (summary["rows_read"] == summary["kept"] + summary["set_aside"]).all()


@pytest.mark.parametrize("doc", ["sources.md", "sources.zh-CN.md"])
def test_documented_example_uses_valid_keys(tmp_path, doc):
    text = (Path(__file__).resolve().parents[1] / "docs" / doc).read_text("utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    source = tmp_path / "my_crm.yaml"
    source.write_text(example, encoding="utf-8")

    with pytest.raises(DataValidationError) as caught:
        load_source(source)

    assert {problem.kind for problem in caught.value.problems} == {"file_missing"}
    assert len(caught.value.problems) == 4


def test_source_file_lists_must_be_lists(tmp_path):
    write(tmp_path / "x.txt", "a\n")
    source = write(tmp_path / "lists.yaml", """
        na_values: NA
        tables:
          orders:
            file: x.txt
            format: fixed_width
            widths: [3, a]
    """)

    with pytest.raises(DataValidationError) as caught:
        load_source(source, lang="en")

    messages = sorted(problem.message for problem in caught.value.problems)
    assert len(messages) == 2
    assert "na_values must be a list" in messages[0]
    assert "tables.orders.widths must be a list (for widths, of positive whole numbers), got [3, 'a']" in messages[1]


def pseudonym_source(folder: Path, salt: str = "s1") -> Path:
    folder.mkdir(exist_ok=True)
    write(folder / "t.csv", """
        Ticket ID,Customer Name,Customer Email,First Response Time
        1,Ann Lee,ann@example.com,2023-06-01 12:00:00
        2,Ann Lee,ann@example.com,2023-06-01 13:00:00
        3,Bo Wu,bo@example.com,2023-06-01 14:00:00
    """)
    return write(folder / "t.yaml", f"""
        pseudonym_salt: "{salt}"
        tables:
          tickets:
            file: t.csv
            columns: {{ticket_id: Ticket ID, customer_id: Customer Email, created_at: First Response Time}}
            pseudonymise: [customer_id]
          customers:
            derive_from: tickets
            pseudonymise: [customer_id]
            columns: {{name: Customer Name, email: Customer Email}}
    """)


def test_pseudonymised_customer_id_links_tables(tmp_path):
    tables = load_source(pseudonym_source(tmp_path / "data"))

    assert tables.tickets["customer_id"].tolist() == ["P-265c8a70e452", "P-265c8a70e452", "P-8804f4793c1c"]
    assert tables.customers[["customer_id", "name", "email"]].to_dict("list") == {
        "customer_id": ["P-265c8a70e452", "P-8804f4793c1c"], "name": ["Ann Lee", "Bo Wu"],
        "email": ["ann@example.com", "bo@example.com"],
    }


def test_pseudonyms_stable_per_salt(tmp_path):
    first = load_source(pseudonym_source(tmp_path / "first"))
    again = load_source(pseudonym_source(tmp_path / "again"))
    other = load_source(pseudonym_source(tmp_path / "other", salt="s2"))

    assert first.tickets["customer_id"].tolist() == again.tickets["customer_id"].tolist()
    assert other.tickets["customer_id"].tolist() == ["P-48419bc1a2da", "P-48419bc1a2da", "P-3b420ebfde18"]


def test_pseudonymise_needs_salt_and_all_linked_tables(tmp_path):
    write(tmp_path / "o.csv", "order_id,customer_id,order_date,amount\n1,a@example.com,2024-01-01,5\n")
    source = write(tmp_path / "s.yaml", """
        tables:
          orders:
            file: o.csv
            pseudonymise: [customer_id, order_date, region]
          customers:
            derive_from: orders
    """)

    with pytest.raises(DataValidationError) as caught:
        load_source(source, lang="en")

    messages = {problem.kind: problem.message for problem in caught.value.problems}
    assert len(caught.value.problems) == 4
    assert sorted(messages) == ["needs_salt", "not_id_column", "partial_pseudonyms", "unknown_column"]
    assert "table orders has no canonical column 'region' (in pseudonymise)" in messages["unknown_column"]
    assert "tables.orders.pseudonymise may list id columns only (order_id, customer_id), not 'order_date'" \
        in messages["not_id_column"]
    assert "table(s) orders pseudonymise customer_id but customers do not" in messages["partial_pseudonyms"]
    assert "table(s) orders use pseudonymise, which needs a top-level pseudonym_salt" in messages["needs_salt"]


def test_pseudonym_salt_must_be_text(tmp_path):
    source = pseudonym_source(tmp_path / "data")
    source.write_text(source.read_text("utf-8").replace('pseudonym_salt: "s1"', "pseudonym_salt: 42"), "utf-8")

    with pytest.raises(DataValidationError, match="pseudonym_salt must be a non-empty text \\(quote it\\), got 42"):
        load_source(source, lang="en")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param("pseudonym_salt:", "pseudonym_seed:", "unknown key 'pseudonym_seed' in the top level",
                     id="top-level"),
        pytest.param("    pseudonymise: [customer_id]\n  customers", "    pseudonymize: [customer_id]\n  customers",
                     "unknown key 'pseudonymize' in tables.tickets", id="table"),
    ],
)
def test_misspelt_pseudonym_keys_rejected(tmp_path, old, new, expected):
    source = pseudonym_source(tmp_path / "data")
    source.write_text(source.read_text("utf-8").replace(old, new), "utf-8")

    with pytest.raises(DataValidationError, match=expected):
        load_source(source, lang="en")
