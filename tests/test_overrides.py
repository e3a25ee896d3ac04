"""Tests of the appeal-channel overrides on small hand-made label frames."""

from __future__ import annotations

import pandas as pd
import pytest

from segmentation.classification import classify
from segmentation.config import load_config
from segmentation.errors import DataValidationError
from segmentation.loading import load_source
from segmentation.overrides import apply_overrides, late_decisions, summarize_overrides
from segmentation.overrides_check import check_loaded_overrides, validate_overrides

TZ = "Asia/Shanghai"
AS_OF = pd.Timestamp("2024-06-30 23:59:59", tz=TZ)


@pytest.fixture(scope="module")
def config():
    return load_config()


def make_labels() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["C1", "C2", "C3"],
        "value_tier": ["mid", "low", "high"],
        "label": ["regular", "to_activate", "vip"],
        "first_response_minutes": [120.0, 120.0, 15.0],
        "clock": ["working_hours", "working_hours", "24x7"],
        "dedicated_agent": [False, False, True],
        "follow_up_days": [90, 30, 30],
    })


def make_overrides(rows: list[tuple]) -> pd.DataFrame:
    columns = ["customer_id", "label", "reason", "approved_by", "requested_at", "decided_at", "expires_at"]
    frame = pd.DataFrame(rows, columns=columns)
    for name in ("requested_at", "decided_at", "expires_at"):
        frame[name] = pd.to_datetime(frame[name]).dt.tz_localize(TZ)
    return frame


def test_apply_override_in_force(config):
    overrides = make_overrides([
        ("C1", "vip", "大客户续约中", "王主管", "2024-06-01 09:00", "2024-06-01 15:00", None),
    ])

    result = apply_overrides(make_labels(), overrides, config, AS_OF)

    expected = pd.DataFrame({
        "customer_id": ["C1", "C2", "C3"],
        "label": ["vip", "to_activate", "vip"],
        "rule_label": ["regular", "to_activate", "vip"],
        "overridden": [True, False, False],
        "override_reason": ["大客户续约中", None, None],
        "override_by": ["王主管", None, None],
        "first_response_minutes": [15.0, 120.0, 15.0],
        "clock": ["24x7", "working_hours", "24x7"],
        "dedicated_agent": [True, False, True],
        "follow_up_days": [30, 30, 30],
    })
    pd.testing.assert_frame_equal(result[expected.columns], expected, check_dtype=False)
    assert result.loc[0, "override_decided_at"] == pd.Timestamp("2024-06-01 15:00", tz=TZ)
    assert pd.isna(result.loc[1, "override_decided_at"])


def test_no_overrides_adds_columns(config):
    result = apply_overrides(make_labels(), None, config, AS_OF)

    assert result["overridden"].tolist() == [False, False, False]
    assert result["rule_label"].tolist() == ["regular", "to_activate", "vip"]
    assert result["override_reason"].isna().all()
    assert str(result["override_decided_at"].dtype) == f"datetime64[ns, {TZ}]"


@pytest.mark.parametrize(
    ("decided", "expires", "applies"),
    [
        ("2024-06-01 10:00", None, True),
        ("2024-06-01 10:00", "2024-07-31 00:00", True),
        ("2024-06-01 10:00", "2024-06-30 23:59:59", False),
        ("2024-06-01 10:00", "2024-06-15 00:00", False),
        ("2024-07-01 10:00", None, False),
    ],
    ids=["open-ended", "expires-later", "expires-at-as-of", "expired", "decided-after-as-of"],
)
def test_override_validity_window(config, decided, expires, applies):
    overrides = make_overrides([("C2", "regular", "误判", "李主管", "2024-06-01 09:00", decided, expires)])

    result = apply_overrides(make_labels(), overrides, config, AS_OF)

    assert result.loc[1, "overridden"] == applies
    assert result.loc[1, "label"] == ("regular" if applies else "to_activate")


def test_latest_decision_wins(config):
    overrides = make_overrides([
        ("C2", "vip", "first", "A", "2024-06-01 09:00", "2024-06-03 09:00", None),
        ("C2", "regular", "second", "B", "2024-06-01 09:00", "2024-06-02 09:00", None),
    ])

    result = apply_overrides(make_labels(), overrides, config, AS_OF)

    assert result.loc[1, "label"] == "vip"
    assert result.loc[1, "override_reason"] == "first"


def test_display_name_label_accepted(config):
    overrides = make_overrides([("C2", "常规服务客户", "r", "A", "2024-06-01 09:00", "2024-06-01 10:00", None)])

    result = apply_overrides(make_labels(), overrides, config, AS_OF)

    assert result.loc[1, "label"] == "regular"


def test_unknown_customer_and_label_collected(config):
    overrides = make_overrides([
        ("C1", "vip", "ok", "A", "2024-06-01 09:00", "2024-06-01 10:00", None),
        ("C9", "vip", "typo", "A", "2024-06-01 09:00", "2024-06-01 10:00", None),
        ("C2", "gold", "bad label", "A", "2024-06-01 09:00", "2024-06-01 10:00", None),
    ])

    with pytest.raises(DataValidationError, match=r"row 2: customer 'C9'") as caught:
        apply_overrides(make_labels(), overrides, config, AS_OF, lang="en")

    problems = caught.value.problems
    assert [(p.kind, p.row, p.value) for p in problems] == [
        ("unknown_customer", 2, "C9"),
        ("unknown_label", 3, "gold"),
    ]
    assert "vip (VIP key account)" in problems[1].message


def test_error_names_file_line(config):
    overrides = make_overrides([("C9", "vip", "x", "A", "2024-06-01 09:00", "2024-06-01 10:00", None)])
    overrides["source_row"] = [7]

    with pytest.raises(DataValidationError, match=r"覆盖文件 overrides\.csv 第 7 行：客户 'C9'"):
        validate_overrides(overrides, ["C1"], config, file="overrides.csv")


def test_missing_reason_and_early_decision(config):
    overrides = make_overrides([
        ("C1", "vip", "", "A", "2024-06-01 09:00", "2024-06-01 10:00", None),
        ("C2", "vip", "r", "A", "2024-06-02 09:00", "2024-06-01 10:00", None),
    ])

    with pytest.raises(DataValidationError, match="column reason is empty") as caught:
        validate_overrides(overrides, ["C1", "C2"], config, lang="en")

    assert [p.kind for p in caught.value.problems] == ["missing_value", "decided_before_requested"]


def test_missing_column_listed(config):
    overrides = make_overrides([("C1", "vip", "r", "A", "2024-06-01 09:00", "2024-06-01 10:00", None)])

    with pytest.raises(DataValidationError, match=r"lacks column\(s\) \['approved_by'\]"):
        apply_overrides(make_labels(), overrides.drop(columns="approved_by"), config, AS_OF, lang="en")


def test_late_decisions_listed(config):
    overrides = make_overrides([
        ("C1", "vip", "r", "A", "2024-06-01 09:00", "2024-06-02 09:00", None),
        ("C2", "vip", "r", "A", "2024-06-01 09:00", "2024-06-02 09:01", None),
    ])
    frame = validate_overrides(overrides, ["C1", "C2"], config)

    late = late_decisions(frame, config)

    assert late["customer_id"].tolist() == ["C2"]
    assert late["decision_hours"].round(3).tolist() == [24.017]


def test_summary_counts(config):
    overrides = make_overrides([
        ("C1", "vip", "r", "A", "2024-06-01 09:00", "2024-06-01 10:00", None),
        ("C1", "to_activate", "r", "A", "2024-06-01 09:00", "2024-06-05 10:00", None),
        ("C2", "vip", "r", "A", "2024-05-01 09:00", "2024-05-03 10:00", "2024-06-01 00:00"),
        ("C3", "regular", "r", "A", "2024-06-30 09:00", "2024-07-01 10:00", None),
    ])

    summary = summarize_overrides(overrides, config, AS_OF)

    assert (summary.total, summary.applied, summary.superseded) == (4, 1, 1)
    assert (summary.expired, summary.pending) == (1, 1)
    assert (summary.decided_in_time, summary.late) == (1, 2)
    assert summary.appeal_hours == 24.0


def write_source(folder, override_rows: list[dict]):
    folder.mkdir()
    pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "status": ["active", "active", "churned"]}).to_csv(
        folder / "customers.csv", index=False)
    pd.DataFrame({"order_id": ["O1"], "customer_id": ["C1"], "order_date": ["2024-06-01"], "amount": [10.0]}).to_csv(
        folder / "orders.csv", index=False)
    pd.DataFrame(override_rows).to_csv(folder / "overrides.csv", index=False)
    return folder


def override_row(customer: str, **changes: str) -> dict:
    row = {"customer_id": customer, "label": "vip", "reason": "r", "approved_by": "A",
           "requested_at": "2024-06-01 09:00", "decided_at": "2024-06-01 10:00", "expires_at": ""}
    return {**row, **changes}


def test_loaded_overrides_rejected_rows(tmp_path, config):
    folder = write_source(tmp_path / "data", [
        override_row("C1"),
        override_row("C3"),
        override_row("C9"),
        override_row("C2", decided_at="not a date"),
        override_row("C2", label="gold"),
    ])
    tables = load_source(folder, config, lang="en")

    with pytest.raises(DataValidationError, match="line 4: customer 'C9'") as caught:
        check_loaded_overrides(tables, config, "en")

    assert [(problem.row, problem.kind) for problem in caught.value.problems] == [
        (4, "unknown_customer"), (5, "bad_date"), (6, "unknown_label")]


def test_loaded_overrides_of_churned_customer_pass(tmp_path, config):
    tables = load_source(write_source(tmp_path / "data", [override_row("C1"), override_row("C3")]), config)

    check_loaded_overrides(tables, config)

    assert tables.overrides["customer_id"].tolist() == ["C1"]
    assert tables.overrides["source_row"].tolist() == [2]


@pytest.mark.parametrize(("lang", "message"), [
    ("en", r"overrides file \S+overrides\.csv, line 3: customer 'C9' is not among the classified customers"),
    ("zh", r"覆盖文件 \S+overrides\.csv 第 3 行：客户 'C9' 不在本次分类的客户中"),
], ids=["english", "chinese"])
def test_classify_rejects_rows_loading_set_aside(tmp_path, config, lang, message):
    tables = load_source(write_source(tmp_path / "data", [override_row("C1"), override_row("C9")]), config)

    with pytest.raises(DataValidationError, match=message):
        classify(tables, config, lang=lang)


def test_unknown_customers_found_among_many_ids(config):
    ids = pd.Series([f"C{number:06d}" for number in range(100_000)], dtype="str")
    overrides = make_overrides([
        ("C099999", "vip", "r", "A", "2024-06-01 09:00", "2024-06-01 10:00", None),
        ("C100000", "vip", "r", "A", "2024-06-01 09:00", "2024-06-01 10:00", None),
        (None, "vip", "r", "A", "2024-06-01 09:00", "2024-06-01 10:00", None),
    ])

    with pytest.raises(DataValidationError) as caught:
        validate_overrides(overrides, ids, config, lang="en")

    assert [(p.kind, p.row, p.value) for p in caught.value.problems] == [
        ("unknown_customer", 2, "C100000"),
        ("missing_value", 3, None),
    ]


@pytest.mark.parametrize(("lang", "message"), [
    ("en", r"overrides row 2: expires_at 2024-06-01 08:00:00\+08:00 is before decided_at "
           r"2024-06-01 10:00:00\+08:00, so the override never takes effect"),
    ("zh", r"覆盖表第 2 行：失效时间 2024-06-01 08:00:00\+08:00 早于审批时间 2024-06-01 10:00:00\+08:00"),
], ids=["english", "chinese"])
def test_expiry_before_decision_rejected(config, lang, message):
    overrides = make_overrides([
        ("C1", "vip", "r", "A", "2024-06-01 09:00", "2024-06-01 10:00", "2024-06-01 10:00"),
        ("C2", "vip", "r", "A", "2024-06-01 09:00", "2024-06-01 10:00", "2024-06-01 08:00"),
    ])

    with pytest.raises(DataValidationError, match=message) as caught:
        validate_overrides(overrides, ["C1", "C2"], config, lang=lang)

    assert [(p.kind, p.row, p.column) for p in caught.value.problems] == [("expires_before_decided", 2, "expires_at")]


def test_loaded_expiry_before_decision_names_line(tmp_path, config):
    folder = write_source(tmp_path / "data", [override_row("C1", expires_at="2024-05-31 23:00")])
    tables = load_source(folder, config, lang="en")

    with pytest.raises(DataValidationError, match=r"overrides\.csv, line 2: expires_at 2024-05-31 23:00:00\+08:00"):
        check_loaded_overrides(tables, config, "en")
