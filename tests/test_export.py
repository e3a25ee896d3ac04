"""Tests of the CSV / XLSX / Parquet writers and the label register, on files in tmp_path."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from segmentation.config import load_config
from segmentation.errors import ParameterError
from segmentation.export import neutralise_formulas, output_format, sheet_name, write_table
from segmentation.register import build_register, count_by, summary_table, value_shares, write_register
from segmentation.schema import Tables

TZ = "Asia/Shanghai"
AS_OF = pd.Timestamp("2024-06-30 23:59:59", tz=TZ)
HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-cmd", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.fixture(scope="module")
def config():
    return load_config()


def hostile_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["C1", "C2", "C3", "C4", "C5", "C6"],
        "note": HOSTILE,
        "amount": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0],
        "count": [-5, 1, 2, 3, 4, 5],
    })


def make_labels() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["C1", "C2", "C3", "C4"],
        "value_tier": ["high", "mid", "mid", "low"],
        "activity_tier": ["high", "mid", "low", "low"],
        "need_type": ["after_sales", "product_consultation", "none", "potential_demand"],
        "need_share": [0.8, 1.0, 0.0, 0.5],
        "label": ["vip", "regular", "regular", "to_activate"],
        "flags": ["", "", "near_boundary", "upsell"],
        "spend": [50000.0, 2000.0, 1500.0, -5.0],
        "contacts_per_month": [4.0, 1.5, 0.2, 0.0],
        "first_response_minutes": [15.0, 120.0, 120.0, 120.0],
        "clock": ["24x7", "working_hours", "working_hours", "working_hours"],
        "dedicated_agent": [True, False, False, False],
        "follow_up_days": [30, 90, 90, 30],
    })


def make_tables() -> Tables:
    customers = pd.DataFrame({
        "customer_id": ["C1", "C2", "C3", "C4"],
        "name": ["=张三贸易", "李四", "王五", "赵六"],
        "phone": ["13800000001", "13800000002", "13800000003", "13800000004"],
        "email": ["a@example.cn", "b@example.cn", "c@example.cn", "d@example.cn"],
        "industry": ["零售", "零售", "餐饮", "-教育"],
        "region": ["上海", "北京", "广州", "深圳"],
    })
    followups = pd.DataFrame({
        "customer_id": ["C1", "C1", "C2", "C1"],
        "followup_at": pd.to_datetime(["2024-05-01 10:00", "2024-06-10 10:00", "2024-04-01 10:00",
                                       "2024-07-05 10:00"]).tz_localize(TZ),
        "purpose": ["月度回访", "续约沟通", "满意度调研", "之后的回访"],
    })
    return Tables(customers=customers, followups=followups)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
        ("+1", "'+1"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("正常文本", "正常文本"),
        ("a=b", "a=b"),
    ],
    ids=["equals", "plus", "minus", "at", "tab", "carriage-return", "plain", "inner-equals"],
)
def test_neutralise_text_cells(value, expected):
    frame = pd.DataFrame({"text": [value]})

    assert neutralise_formulas(frame).loc[0, "text"] == expected


def test_neutralise_keeps_numbers():
    frame = pd.DataFrame({"amount": [-5.0], "mixed": pd.Series([-5], dtype=object)})

    result = neutralise_formulas(frame)

    assert result.loc[0, "amount"] == -5.0
    assert result.loc[0, "mixed"] == -5


def test_csv_formulas_neutralised_and_bom(tmp_path):
    path = write_table(hostile_frame(), tmp_path / "out.csv")

    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig", dtype={"note": str})
    assert back["note"].tolist()[:4] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'-cmd", "'@SUM(A1)"]
    assert back["amount"].tolist()[0] == -5.0
    assert back["count"].tolist()[0] == -5


def test_xlsx_has_no_formula_cells(tmp_path):
    path = write_table(hostile_frame(), tmp_path / "out.xlsx", sheet="数据")

    sheet = openpyxl.load_workbook(path)["数据"]
    kinds = [cell.data_type for row in sheet.iter_rows(min_row=2) for cell in row]
    assert "f" not in kinds
    assert [sheet.cell(row=r, column=2).value for r in range(2, 6)] == [
        "'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'-cmd", "'@SUM(A1)"]
    assert sheet["C2"].value == -5
    assert sheet["C2"].data_type == "n"
    assert sheet["D2"].value == -5


def test_parquet_round_trip(tmp_path):
    frame = hostile_frame()

    path = write_table(frame, tmp_path / "out.parquet")

    pd.testing.assert_frame_equal(pd.read_parquet(path), frame, check_dtype=False)


@pytest.mark.parametrize("name", ["out.txt", "out.xls", "out"], ids=["txt", "xls", "no-extension"])
def test_unsupported_extension(name):
    with pytest.raises(ParameterError, match=r"\.csv, \.xlsx, \.parquet"):
        output_format(name, "en")


def test_atomic_write_leaves_no_temporary(tmp_path):
    write_table(hostile_frame(), tmp_path / "out.csv")

    assert [path.name for path in tmp_path.iterdir()] == ["out.csv"]


@pytest.mark.parametrize(
    ("text", "taken", "expected"),
    [
        ("VIP重点维护客户", set(), "VIP重点维护客户"),
        ("a/b:c*d?", set(), "a_b_c_d_"),
        ("x" * 40, set(), "x" * 31),
        ("汇总", {"汇总"}, "汇总 (2)"),
    ],
    ids=["chinese", "forbidden-chars", "too-long", "duplicate"],
)
def test_sheet_name(text, taken, expected):
    assert sheet_name(text, set(taken)) == expected


def test_register_without_contacts(config):
    register = build_register(make_labels(), config, tables=make_tables(), as_of=AS_OF)

    assert not {"name", "phone", "email"} & set(register.columns)
    assert register["industry"].tolist() == ["零售", "零售", "餐饮", "-教育"]
    assert register["label_name"].tolist() == ["VIP重点维护客户", "常规服务客户", "常规服务客户", "待激活客户"]
    assert register["value_tier_name"].tolist() == ["高价值", "中价值", "中价值", "低价值"]
    assert register["flags_name"].tolist() == ["", "", "接近分层边界", "增购机会"]


def test_register_drops_personal_columns_of_labels(config):
    labels = make_labels().assign(phone="13800000009")

    register = build_register(labels, config)

    assert "phone" not in register.columns


def test_register_with_contacts(config):
    register = build_register(make_labels(), config, tables=make_tables(), with_contacts=True)

    assert register.columns[:4].tolist() == ["customer_id", "name", "phone", "email"]
    assert register["phone"].tolist()[0] == "13800000001"


def test_register_followups_and_strategy(config):
    register = build_register(make_labels(), config, tables=make_tables(), as_of=AS_OF, lang="en")

    assert register["last_followup_at"].tolist()[:2] == [
        pd.Timestamp("2024-06-10 10:00", tz=TZ), pd.Timestamp("2024-04-01 10:00", tz=TZ)]
    assert register["last_followup_purpose"].tolist()[:2] == ["续约沟通", "满意度调研"]
    assert register["next_followup_due"].tolist()[:2] == [
        pd.Timestamp("2024-07-10", tz=TZ), pd.Timestamp("2024-06-30", tz=TZ)]
    assert pd.isna(register["last_followup_at"].iloc[2])
    assert register["follow_up"].tolist()[0] == "a proactive follow-up call every month"
    assert register["channels"].tolist()[0] == "named dedicated agent, priority technical-support channel"


def test_register_csat_on_five_point_scale(config):
    features = pd.DataFrame({"csat_mean_100": [95.0, 70.0, float("nan"), 0.0]},
                            index=pd.Index(["C1", "C2", "C3", "C4"], name="customer_id"))

    register = build_register(make_labels(), config, features=features)

    assert register["csat_mean_5"].tolist()[:2] == [4.8, 3.8]
    assert register["csat_mean_5"].tolist()[3] == 1.0


def test_count_by_zero_fills_every_key(config):
    labels = make_labels()[lambda frame: frame["value_tier"] != "high"]

    counts = count_by(labels, config, "zh")

    value_rows = counts[counts["section"] == "value_tier"]
    assert value_rows[["key", "display_name", "customers"]].values.tolist() == [
        ["high", "高价值", 0], ["mid", "中价值", 2], ["low", "低价值", 1]]
    label_rows = counts[counts["section"] == "label"]
    assert label_rows["customers"].tolist() == [0, 2, 1]


def test_value_shares_against_intended(config):
    shares = value_shares(make_labels(), config)

    assert shares["intended_share"].tolist() == [0.10, 0.60, 0.30]
    assert shares["share"].tolist() == [0.25, 0.50, 0.25]


def test_summary_table_has_notes(config):
    table = summary_table(make_labels(), config, ["需求维度无法计算：没有工单数据"], "zh")

    assert table["section"].iloc[-1] == "说明"
    assert table["display_name"].iloc[-1] == "需求维度无法计算：没有工单数据"


def test_register_xlsx_structure(tmp_path, config):
    register = build_register(make_labels(), config, tables=make_tables(), as_of=AS_OF)

    path = write_register(register, tmp_path / "labels.xlsx", config, notes=["说明一"])

    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["汇总", "VIP重点维护客户", "常规服务客户", "待激活客户"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == sheet.dimensions
    vip = book["VIP重点维护客户"]
    headers = [cell.value for cell in vip[1]]
    assert headers[:3] == ["客户编号", "行业", "地区"]
    assert "综合标签" in headers
    assert vip.max_row == 2
    assert book["常规服务客户"].max_row == 3


def test_register_xlsx_english_headers(tmp_path, config):
    register = build_register(make_labels(), config, lang="en")

    path = write_register(register, tmp_path / "labels.xlsx", config, lang="en")

    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "VIP key account", "regular service", "to be activated"]
    assert [cell.value for cell in book["VIP key account"][1]][:2] == ["customer id", "value tier (key)"]


def test_register_xlsx_neutralises_customer_text(tmp_path, config):
    register = build_register(make_labels(), config, tables=make_tables(), with_contacts=True)

    path = write_register(register, tmp_path / "labels.xlsx", config)

    book = openpyxl.load_workbook(path)
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert "'=张三贸易" in [cell.value for cell in cells]
    assert "'-教育" in [cell.value for cell in cells]


@pytest.mark.parametrize(
    ("with_contacts", "present"),
    [(False, False), (True, True)],
    ids=["without-contacts", "with-contacts"],
)
def test_register_csv_personal_columns(tmp_path, config, with_contacts, present):
    register = build_register(make_labels(), config, tables=make_tables(), with_contacts=with_contacts)

    path = write_register(register, tmp_path / "labels.csv", config)

    columns = set(pd.read_csv(path, encoding="utf-8-sig", nrows=0).columns)
    assert ({"name", "phone", "email"} <= columns) is present
    assert bool({"name", "phone", "email"} & columns) is present


def test_xlsx_times_and_percentages(tmp_path):
    frame = pd.DataFrame({"as_of": [pd.Timestamp("2024-06-30 23:59:59.999999999", tz=TZ)], "need_share": [0.8]})

    path = write_table(frame, tmp_path / "out.xlsx", sheet="data")

    sheet = openpyxl.load_workbook(path)["data"]
    assert sheet["A2"].value == pd.Timestamp("2024-06-30 23:59:59").to_pydatetime()
    assert sheet["B2"].value == 0.8
    assert sheet["B2"].number_format == "0.0%"


def test_csv_times_local_without_offset(tmp_path):
    frame = pd.DataFrame({"as_of": [pd.Timestamp("2024-06-30 15:59:59.5", tz="UTC").tz_convert(TZ)]})

    path = write_table(frame, tmp_path / "out.csv")

    assert path.read_text("utf-8-sig").splitlines() == ["as_of", "2024-06-30 23:59:59"]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("zh", "《个人信息保护法》"), ("en", "Personal Information Protection Law")],
    ids=["chinese", "english"],
)
def test_personal_data_warning(tmp_path, caplog, lang, expected):
    frame = pd.DataFrame({"customer_id": ["C1"], "phone": ["13800000001"]})

    write_table(frame, tmp_path / "out.csv", lang=lang)

    assert expected in caplog.text
    assert "phone" in caplog.text


def test_no_warning_without_personal_columns(tmp_path, caplog):
    write_table(hostile_frame(), tmp_path / "out.csv")

    assert "个人信息" not in caplog.text
