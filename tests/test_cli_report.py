"""``segmentation report quarterly`` rejects bad sources, quarters and ``--out`` before any notebook runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from segmentation.cli import EXIT_DATA, EXIT_USAGE, main

CUSTOMERS_CSV = "customer_id,name\nC1,张三\nC2,李四\n"
ORDERS_CSV = ("order_id,customer_id,order_date,amount\n"
              "O1,C1,2024-01-05 10:00,100\n"
              "O2,C2,2024-05-20 18:30,250\n")


def write_source(folder: Path, customers: str = CUSTOMERS_CSV) -> Path:
    folder.mkdir()
    (folder / "customers.csv").write_text(customers, encoding="utf-8")
    (folder / "orders.csv").write_text(ORDERS_CSV, encoding="utf-8")
    return folder


def report(source: Path, quarter: str, out: Path, *options: str) -> int:
    return main(["--quiet", *options, "report", "quarterly", str(source), "--quarter", quarter, "--out", str(out)])


def test_missing_customer_id_column_exits_1(tmp_path, capsys):
    source = write_source(tmp_path / "export", customers="姓名,电话\n张三,13800000000\n")

    status = report(source, "2024Q1", tmp_path / "reports")

    captured = capsys.readouterr()
    assert status == EXIT_DATA
    assert "customer_id" in captured.err
    assert "customers.csv" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize(
    ("quarter", "lang", "expected"),
    [("2010Q1", "zh", "季度 2010Q1 没有数据：数据源的订单和工单从 2024-01-05 10:00 到 2024-05-20 18:30（Asia/Shanghai），"
                      "有数据的季度是 2024Q1 至 2024Q2。"),
     ("2099Q1", "en", "quarter 2099Q1 has no data: the source's orders and tickets run from 2024-01-05 10:00 "
                      "to 2024-05-20 18:30 (Asia/Shanghai), so the quarters with data are 2024Q1 to 2024Q2.")],
    ids=["before-first-record", "after-last-record"],
)
def test_quarter_outside_data_exits_2(tmp_path, capsys, quarter, lang, expected):
    source = write_source(tmp_path / "export")

    status = report(source, quarter, tmp_path / "reports", "--lang", lang)

    captured = capsys.readouterr()
    assert status == EXIT_USAGE
    assert expected in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "reports").exists()


def test_out_is_existing_file_exits_2(tmp_path, capsys):
    source = write_source(tmp_path / "export")
    out = tmp_path / "reports.txt"
    out.write_text("not a folder", encoding="utf-8")

    status = report(source, "2024Q1", out)

    captured = capsys.readouterr()
    assert status == EXIT_USAGE
    assert f"--out {out} 是一个已存在的文件，而不是文件夹" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert out.read_text(encoding="utf-8") == "not a folder"
