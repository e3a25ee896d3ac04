"""The ``validate`` command: summary in Chinese or English, exit status, quarantine files, strict mode."""

from __future__ import annotations

import textwrap

import pytest

from segmentation.cli import EXIT_DATA, EXIT_OK, main


@pytest.fixture
def export_folder(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "orders.csv").write_text(textwrap.dedent("""\
        订单号,客户编号,下单时间,金额,订单状态
        A1,00123,2024-05-10 09:30,"￥1,200.50",已支付
        A1,00123,2024-05-10 09:30,"￥1,200.50",已支付
        A2,,2024-05-11 10:00,80,已支付
        A3,00124,2024-05-12 10:00,0,已支付
        A4,00124,2024-02-30 10:00,50,已支付
    """), encoding="gbk")
    return folder


def test_summary_in_chinese(export_folder, capsys):
    status = main(["-q", "validate", str(export_folder)])

    output = capsys.readouterr().out
    assert status == EXIT_OK
    lines = output.splitlines()
    assert lines[2].split() == ["表", "读取", "保留", "修复", "搁置"]
    assert lines[3].split() == ["订单", "5", "1", "0", "4"]
    assert any(line.split() == ["订单", "完全重复行", "(exact_duplicate)", "搁置", "1"] for line in lines)
    assert any(line.split() == ["订单", "缺少客户编号", "(missing_customer_id)", "搁置", "1"] for line in lines)
    assert any(line.split() == ["订单", "零金额", "(zero_amount)", "搁置", "1"] for line in lines)
    assert "行级问题共 1 个" in output
    assert "第 6 行，列 下单时间：日期 '2024-02-30 10:00' 在日历上不存在" in output


def test_summary_in_english(export_folder, capsys):
    status = main(["-q", "--lang", "en", "validate", str(export_folder)])

    lines = capsys.readouterr().out.splitlines()
    assert status == EXIT_OK
    assert lines[2].split() == ["table", "read", "kept", "repaired", "set", "aside"]
    assert lines[3].split() == ["orders", "5", "1", "0", "4"]
    assert any(line.split() == ["orders", "impossible", "date", "(impossible_date)", "set", "aside", "1"]
               for line in lines)


def test_quarantine_files_are_written(export_folder, tmp_path, capsys):
    target = tmp_path / "quarantine"

    status = main(["-q", "--lang", "en", "validate", str(export_folder), "--quarantine", str(target)])

    output = capsys.readouterr().out
    assert status == EXIT_OK
    assert f"wrote {target / 'orders.csv'}" in output
    assert (target / "orders.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (target / "problems.csv").is_file()


def test_strict_mode_exits_with_data_error(export_folder, capsys):
    status = main(["-q", "--lang", "en", "validate", str(export_folder), "--strict"])

    error = capsys.readouterr().err
    assert status == EXIT_DATA
    assert "the data has 2 fatal problem(s)" in error
    assert "strict mode: the data has 1 row problem(s)" in error


def test_missing_column_exits_with_data_error(tmp_path, capsys):
    (tmp_path / "tickets.csv").write_text("ticket_id,customer_id\nT1,c1\n", encoding="utf-8")

    status = main(["-q", "validate", str(tmp_path)])

    error = capsys.readouterr().err
    assert status == EXIT_DATA
    assert "数据存在 1 个致命问题" in error
    assert "缺少必需列 created_at" in error
    assert "文件中的列：ticket_id, customer_id" in error


def test_unknown_source_exits_with_data_error(tmp_path, capsys):
    status = main(["-q", "--lang", "en", "validate", str(tmp_path / "nowhere.yaml")])

    assert status == EXIT_DATA
    assert "nowhere.yaml not found" in capsys.readouterr().err


def test_help_is_localised(capsys):
    with pytest.raises(SystemExit):
        main(["validate", "--help"])

    output = capsys.readouterr().out
    assert "检查数据源并输出数据质量摘要" in output
    assert "--quarantine DIR" in output


def write_overrides_source(folder, override_lines: str):
    folder.mkdir()
    (folder / "customers.csv").write_text("customer_id\nC1\nC2\n", encoding="utf-8")
    (folder / "orders.csv").write_text("order_id,customer_id,order_date,amount\nO1,C1,2024-06-01,10\n"
                                       "O2,C2,2024-06-02,20\n", encoding="utf-8")
    (folder / "overrides.csv").write_text(
        "customer_id,label,reason,approved_by,requested_at,decided_at,expires_at\n" + override_lines,
        encoding="utf-8")
    return folder


def test_invalid_overrides_fail_as_in_classify(tmp_path, capsys):
    folder = write_overrides_source(tmp_path / "data", textwrap.dedent("""\
        C1,vip,r,A,2024-06-01 09:00,2024-06-01 10:00,
        C999,vip,r,A,2024-06-01 09:00,2024-06-01 10:00,
        C2,super_vip,r,A,2024-06-01 09:00,2024-06-01 10:00,
        C2,vip,r,A,2024-06-01 09:00,2024-06-01 10:00,2024-06-01 08:00
    """))

    status = main(["-q", "--lang", "en", "validate", str(folder)])
    validate_error = capsys.readouterr().err
    classify_status = main(["-q", "--lang", "en", "classify", str(folder), "--as-of", "2024-06-30",
                            "--out", str(tmp_path / "labels.csv")])
    classify_error = capsys.readouterr().err

    assert status == EXIT_DATA
    assert classify_status == EXIT_DATA
    assert "the data has 3 fatal problem(s)" in validate_error
    assert "overrides.csv, line 3: customer 'C999' is not among the classified customers" in validate_error
    assert "overrides.csv, line 4: label 'super_vip' is not defined" in validate_error
    assert ("overrides.csv, line 5: expires_at 2024-06-01 08:00:00+08:00 is before decided_at "
            "2024-06-01 10:00:00+08:00") in validate_error
    assert validate_error == classify_error
    assert "Traceback" not in validate_error


def test_valid_overrides_pass(tmp_path, capsys):
    folder = write_overrides_source(tmp_path / "data", "C1,vip,r,A,2024-06-01 09:00,2024-06-01 10:00,\n")

    status = main(["-q", "validate", str(folder)])

    assert status == EXIT_OK
    assert capsys.readouterr().err == ""
