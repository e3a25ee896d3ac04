"""Encoding detection and record reading: GBK/GB18030/UTF-8 exports, line numbers of records."""

from __future__ import annotations

import gzip
import logging

import numpy as np
import pytest

from segmentation.encoding import detect_encoding, read_file_bytes, read_records, record_lines
from segmentation.errors import DataValidationError, EncodingDetectionError
from segmentation.loading import load_source
from segmentation.sources import TableSpec

HEADER = "客户编号,客户名称,城市,累计消费\n"
ROW = "00123,张三贸易,上海,1200.5\n"
RARE_NAME_ROW = "00123,王𬍤,上海,1200.5\n"

ENCODED_FILES = [
    pytest.param((HEADER + ROW).encode("gbk"), "gbk", "张三贸易", id="gbk"),
    pytest.param(b"\xef\xbb\xbf" + (HEADER + ROW).encode("utf-8"), "utf-8-sig", "张三贸易", id="utf8-bom"),
    pytest.param((HEADER + RARE_NAME_ROW).encode("gb18030"), "gb18030", "王𬍤", id="gb18030-four-byte"),
    pytest.param((HEADER + ROW).encode("utf-8"), "utf-8", "张三贸易", id="utf8"),
]


@pytest.mark.parametrize(("data", "expected", "name"), ENCODED_FILES)
def test_detect_encoding_of_each_export(data, expected, name):
    assert detect_encoding(data, "customers.csv") == expected


@pytest.mark.parametrize(("data", "expected", "name"), ENCODED_FILES)
def test_customers_load_in_each_encoding(tmp_path, data, expected, name):
    (tmp_path / "customers.csv").write_bytes(data)

    tables = load_source(tmp_path)

    customers = tables.customers
    assert list(customers["customer_id"]) == ["00123"]
    assert list(customers["name"]) == [name]
    assert list(customers["region"]) == ["上海"]
    assert list(customers["total_spend"]) == [1200.5]
    assert customers["customer_id"].dtype == "str"


def test_rare_name_not_in_gbk():
    # The reason GB18030 is tried after GBK: the rare name has no GBK code.
    with pytest.raises(UnicodeEncodeError):
        "王𬍤".encode("gbk")


def test_utf8_never_decoded_as_gb18030():
    data = (HEADER + ROW).encode("utf-8")
    # GB18030 would accept these bytes and produce mojibake; detection must not.
    assert data.decode("gb18030") != data.decode("utf-8")

    assert detect_encoding(data) == "utf-8"


def test_encoding_is_logged(caplog):
    with caplog.at_level(logging.INFO, logger="segmentation.encoding"):
        detect_encoding((HEADER + ROW).encode("gbk"), "export.csv")

    assert "decoded export.csv as gbk" in caplog.text


def test_undecodable_file_names_file_and_offsets(tmp_path):
    data = HEADER.encode("utf-8") + b"00123,\xff\xfe\n"
    offset = len(HEADER.encode("utf-8")) + 6

    with pytest.raises(EncodingDetectionError, match=rf"bad\.csv.*offset {offset} \(0xff\).*UTF-8") as caught:
        detect_encoding(data, tmp_path / "bad.csv", lang="en")

    assert caught.value.offset == offset
    assert caught.value.file.endswith("bad.csv")


def test_undecodable_file_message_in_chinese(tmp_path):
    data = b"id\n\xff\n"

    with pytest.raises(EncodingDetectionError, match="第 3 字节.*请用 UTF-8 编码重新保存"):
        detect_encoding(data, "bad.csv")


def test_undecodable_file_is_fatal_problem_of_load(tmp_path):
    (tmp_path / "customers.csv").write_bytes(b"customer_id\n\xff\xfe1\n")

    with pytest.raises(DataValidationError, match="customers.csv.*offset 12") as caught:
        load_source(tmp_path, lang="en")

    assert [problem.kind for problem in caught.value.problems] == ["encoding"]


def test_gzip_file_is_decompressed(tmp_path):
    path = tmp_path / "orders.csv.gz"
    path.write_bytes(gzip.compress((HEADER + ROW).encode("gbk")))

    assert read_file_bytes(path).decode("gbk") == HEADER + ROW
    assert detect_encoding(read_file_bytes(path)) == "gbk"


def test_declared_encoding_mismatch_is_reported(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes((HEADER + ROW).encode("gbk"))
    spec = TableSpec(table="customers", files=(path,), encoding="utf-8")

    with pytest.raises(EncodingDetectionError, match="declared as utf-8.*offset 0"):
        read_records(path, spec, lang="en")


def test_record_lines_skip_quoted_newlines():
    data = b'id,text\n1,"two\nlines"\n2,plain\n3,"three\n\nlines"\n4,x'

    assert record_lines(data).tolist() == [2, 4, 5, 8]


def test_record_lines_skip_blank_lines_and_crlf():
    data = b"id,x\r\n1,a\r\n\r\n   \r\n2,b\r\n\n3,c\r\n"

    assert record_lines(data).tolist() == [2, 5, 7]


def test_record_lines_without_header():
    assert record_lines(b"1,a\n2,b\n", header=False).tolist() == [1, 2]


def test_record_lines_fall_back_to_positions_on_mismatch(caplog):
    # A stray quote inside an unquoted field hides the following newlines from the scan.
    data = b'id,x\n1,5" screen\n2,b\n3,c\n'

    with caplog.at_level(logging.WARNING, logger="segmentation.encoding"):
        lines = record_lines(data, expected=3)

    assert lines.tolist() == [2, 3, 4]
    assert "numbering them by position" in caplog.text


def test_read_records_keeps_text_and_lines(tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text('ticket_id ,note\n007,"a\nb"\n\n008,NA\n', encoding="utf-8")

    frame, lines = read_records(path, TableSpec(table="tickets", files=(path,)))

    assert list(frame.columns) == ["ticket_id", "note"]
    assert frame.to_dict("list") == {"ticket_id": ["007", "008"], "note": ["a\nb", "NA"]}
    assert np.array_equal(lines, [2, 5])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a;b\n1;2\n", {"a": ["1"], "b": ["2"]}, id="semicolon"),
        pytest.param("a\tb\n1\t2\n", {"a": ["1"], "b": ["2"]}, id="tab"),
        pytest.param("a|b\n1|2\n", {"a": ["1"], "b": ["2"]}, id="pipe"),
        pytest.param("a,b\n1,2\n", {"a": ["1"], "b": ["2"]}, id="comma"),
    ],
)
def test_read_records_sniffs_delimiter(tmp_path, text, expected):
    path = tmp_path / "orders.txt"
    path.write_text(text, encoding="utf-8")

    frame, _ = read_records(path, TableSpec(table="orders", files=(path,)))

    assert frame.to_dict("list") == expected
