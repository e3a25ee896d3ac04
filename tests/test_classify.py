"""Tests of classify(): labels end to end on a hand-made data set, notes, defaults and invariance."""

from __future__ import annotations

import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest

from segmentation.classification import LABEL_COLUMNS, Classification, classify, default_as_of
from segmentation.config import load_config
from segmentation.cli import EXIT_DATA, EXIT_USAGE, main
from segmentation.errors import DataValidationError, ParameterError
from segmentation.loading import load_source
from segmentation.schema import Tables
from segmentation.tiers import tier_counts

ZONE = "Asia/Shanghai"
IDS = [f"C{i:03d}" for i in range(1, 11)]


def stamps(values: list[str]) -> pd.Series:
    return pd.Series(pd.to_datetime(values, format="ISO8601"), dtype="datetime64[ns]").dt.tz_localize(ZONE)


def make_orders(rows: list[tuple[str, str, float]], profit: list[float] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({
        "order_id": pd.array([f"O{i}" for i in range(len(rows))], dtype="str"),
        "customer_id": pd.array([row[0] for row in rows], dtype="str"),
        "order_date": stamps([row[1] for row in rows]),
        "amount": [float(row[2]) for row in rows],
        "status": pd.array(["paid"] * len(rows), dtype="str"),
    })
    if profit is not None:
        frame["profit"] = profit
    return frame


def make_tickets(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame({
        "ticket_id": pd.array([f"T{i}" for i in range(len(rows))], dtype="str"),
        "customer_id": pd.array([row[0] for row in rows], dtype="str"),
        "created_at": stamps([row[1] for row in rows]),
        "issue_type": pd.array([row[2] for row in rows], dtype="str"),
    })


def monthly(customer: str, issue: str, count: int, months: range = range(1, 7)) -> list[tuple[str, str, str]]:
    """``count`` contacts spread evenly over the given months of 2024."""
    month_list = list(months)
    return [(customer, f"2024-{month_list[i % len(month_list)]:02d}-{1 + i // len(month_list):02d}T10:00", issue)
            for i in range(count)]


ORDERS = make_orders([("C007", "2024-02-01", 120), ("C008", "2024-03-01", 380),
                      ("C009", "2024-04-01", 950), ("C010", "2024-05-01", 5200)])
TICKETS = make_tickets(
    monthly("C010", "complaint", 15) + monthly("C010", "how-to", 3)
    + monthly("C008", "product question", 6)
    + monthly("C007", "usage question", 18, months=range(1, 2))
    + [("C003", "2024-06-28T15:00", "Upgrade")]
)
CUSTOMERS = pd.DataFrame({"customer_id": pd.array(IDS, dtype="str")})


def run(tables: Tables, **kwargs) -> Classification:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return classify(tables, **kwargs)


@pytest.fixture(scope="module")
def result() -> Classification:
    return run(Tables(CUSTOMERS, ORDERS, TICKETS), as_of="2024-06-30")


def test_labels_hand_computed(result):
    expected = pd.DataFrame({
        "customer_id": IDS,
        "value_tier": ["low"] * 6 + ["mid"] * 3 + ["high"],
        "activity_tier": ["low"] * 7 + ["mid", "low", "high"],
        "need_type": ["none", "none", "potential_demand", "none", "none", "none", "product_consultation",
                      "product_consultation", "none", "after_sales"],
        "need_share": [np.nan, np.nan, 1.0, np.nan, np.nan, np.nan, 1.0, 1.0, np.nan, 15 / 18],
        "label": ["to_activate"] * 6 + ["regular"] * 3 + ["vip"],
        "label_rule": [36, 36, 35, 36, 36, 36, 22, 18, 24, 1],
        "flags": ["", "", "upsell", "", "", "", "", "", "", "near_boundary"],
        "contribution": [0.0] * 6 + [120.0, 380.0, 950.0, 5200.0],
    })

    actual = result.labels[expected.columns].astype({column: "str" for column in
                                                     ("customer_id", "value_tier", "activity_tier", "need_type",
                                                      "label", "flags")})
    pd.testing.assert_frame_equal(actual, expected.astype({"customer_id": "str", "value_tier": "str",
                                                           "activity_tier": "str", "need_type": "str",
                                                           "label": "str", "flags": "str"}))


def test_label_columns_and_dtypes(result):
    labels = result.labels

    assert tuple(labels.columns) == (*LABEL_COLUMNS, "rule_label", "override_decided_at")
    for column, categories in (("value_tier", ["high", "mid", "low"]), ("activity_tier", ["high", "mid", "low"]),
                               ("label", ["vip", "regular", "to_activate"])):
        assert labels[column].cat.ordered
        assert list(labels[column].cat.categories) == categories
    assert labels["label_rule"].dtype == "int64"
    assert not labels["overridden"].any()
    assert labels["override_reason"].isna().all()


def test_strategy_fields_follow_label(result):
    vip = result.labels.set_index("customer_id").loc["C010"]

    assert vip["first_response_minutes"] == 15.0
    assert vip["clock"] == "24x7"
    assert bool(vip["dedicated_agent"]) is True
    assert vip["follow_up_days"] == 30


def test_result_metadata(result):
    assert result.as_of == pd.Timestamp("2024-06-30 23:59:59.999999999", tz=ZONE)
    assert result.window == "6M"
    assert result.features.index.tolist() == IDS
    assert result.value_shares["customers"].tolist() == [1, 3, 6]
    assert result.config is not None


@pytest.mark.parametrize(("dimension", "customers"), [
    ("value", [1, 3, 6]),
    ("activity", [1, 1, 8]),
    ("need", [2, 1, 1, 6]),
    ("label", [1, 3, 6]),
], ids=["value", "activity", "need", "label"])
def test_tier_counts_list_every_tier(result, dimension, customers):
    counts = tier_counts(result.labels, dimension)

    assert counts["customers"].tolist() == customers


def test_default_as_of_is_end_of_latest_local_day():
    tickets = make_tickets([("C001", "2024-06-28T15:00", "fault")])
    late_order = make_orders([("C001", "2024-06-30T20:00", 5)])
    late_order["order_date"] = pd.Series(pd.to_datetime(["2024-06-30T20:00"]), dtype="datetime64[ns]") \
        .dt.tz_localize("UTC")

    assert default_as_of(Tables(CUSTOMERS, None, tickets), ZONE) == pd.Timestamp("2024-06-28 23:59:59.999999999",
                                                                                  tz=ZONE)
    assert default_as_of(Tables(CUSTOMERS, late_order, tickets), ZONE) == pd.Timestamp(
        "2024-07-01 23:59:59.999999999", tz=ZONE)


def test_classify_defaults_as_of_from_data():
    result = run(Tables(CUSTOMERS, ORDERS, TICKETS))

    assert result.as_of == pd.Timestamp("2024-06-28 23:59:59.999999999", tz=ZONE)


def test_default_as_of_without_timestamps():
    with pytest.raises(DataValidationError, match="no order or ticket timestamps to infer as_of from"):
        default_as_of(Tables(CUSTOMERS), ZONE, "en")


def test_no_orders_value_unavailable_uses_mid():
    result = run(Tables(CUSTOMERS, None, TICKETS), as_of="2024-06-30", lang="en")
    labels = result.labels.set_index("customer_id")

    assert (labels["value_tier"] == "unavailable").all()
    assert labels.loc["C010", "label"] == "regular"
    assert labels.loc["C010", "label_rule"] == 13
    assert labels.loc["C001", "label"] == "regular"
    assert labels["contribution"].isna().all()
    assert result.value_shares["actual"].isna().all()
    assert any("value dimension could not be computed because the data has no orders" in note
               for note in result.notes)
    assert tier_counts(result.labels, "value")["tier"].tolist() == ["high", "mid", "low", "unavailable"]


def test_no_tickets_measures_activity_on_orders():
    orders = make_orders([("C010", f"2024-{month:02d}-{day:02d}", 100) for month in range(1, 7) for day in (1, 2, 3)]
                         + [("C001", "2024-06-01", 10)])
    result = run(Tables(CUSTOMERS, orders, None), as_of="2024-06-30", lang="en")
    labels = result.labels.set_index("customer_id")

    assert labels.loc["C010", "activity_tier"] == "high"
    assert labels.loc["C001", "activity_tier"] == "low"
    assert (labels["need_type"] == "none").all()
    assert result.notes[-2:] == [
        "activity was measured on orders per month because the data has no service contacts.",
        "the data has no service contacts, so the need type cannot be determined and every customer "
        "has need type 'none'.",
    ]


def test_notes_in_chinese_by_default():
    result = run(Tables(CUSTOMERS, None, TICKETS), as_of="2024-06-30")

    assert result.notes[0].startswith("无法计算价值维度：数据中没有订单")


def test_profit_contribution_without_profit_falls_back_to_spend():
    config = load_config(overrides={"value": {"contribution": "profit"}})

    result = run(Tables(CUSTOMERS, ORDERS, TICKETS), config=config, as_of="2024-06-30", lang="en")

    assert result.labels["contribution"].tolist()[-4:] == [120.0, 380.0, 950.0, 5200.0]
    assert "the orders carry no profit; spend was used instead" in result.notes[0]


def test_profit_contribution_reorders_value():
    orders = make_orders([("C001", "2024-02-01", 5000), ("C002", "2024-02-01", 100)], profit=[10.0, 90.0])
    config = load_config(overrides={"value": {"contribution": "profit"}})

    result = run(Tables(CUSTOMERS, orders, TICKETS), config=config, as_of="2024-06-30")
    labels = result.labels.set_index("customer_id")

    assert labels.loc["C002", "value_tier"] == "high"
    assert labels.loc["C001", "value_tier"] == "mid"
    assert labels.loc["C002", "contribution"] == 90.0


def test_config_file_changes_thresholds(tmp_path):
    path = tmp_path / "retail.yaml"
    path.write_text(textwrap.dedent("""\
        activity:
          high_min_per_month: 1.0
          mid_min_per_month: 0.1
        """), encoding="utf-8")

    result = run(Tables(CUSTOMERS, ORDERS, TICKETS), config=load_config(path), as_of="2024-06-30")
    activity = result.labels.set_index("customer_id")["activity_tier"]

    assert activity["C008"] == "high"
    assert activity["C003"] == "mid"


def make_overrides(customer: str, label: str) -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": pd.array([customer], dtype="str"),
        "label": pd.array([label], dtype="str"),
        "reason": pd.array(["客户申诉：续约谈判中"], dtype="str"),
        "approved_by": pd.array(["王主管"], dtype="str"),
        "requested_at": stamps(["2024-06-01T09:00"]),
        "decided_at": stamps(["2024-06-01T15:00"]),
        "expires_at": stamps([None]),
    })


@pytest.mark.parametrize("where", ["argument", "tables"])
def test_overrides_applied(where, result):
    overrides = make_overrides("C001", "vip")
    tables = Tables(CUSTOMERS, ORDERS, TICKETS, overrides=overrides if where == "tables" else None)

    again = run(tables, as_of="2024-06-30", overrides=overrides if where == "argument" else None)
    row = again.labels.set_index("customer_id").loc["C001"]

    assert row["label"] == "vip"
    assert row["rule_label"] == "to_activate"
    assert bool(row["overridden"]) is True
    assert row["override_by"] == "王主管"
    assert row["first_response_minutes"] == 15.0
    pd.testing.assert_frame_equal(again.labels[again.labels["customer_id"] != "C001"].drop(columns="label"),
                                  result.labels[result.labels["customer_id"] != "C001"].drop(columns="label"))


@pytest.mark.parametrize(("where", "files", "message"), [
    ("tables", {}, r"overrides row 1: customer 'C999' is not among the classified customers"),
    ("tables", {"overrides": ["data/overrides.csv"]},
     r"overrides file data/overrides\.csv, line 1: customer 'C999'"),
    ("argument", {"overrides": ["data/overrides.csv"]}, r"overrides row 1: customer 'C999'"),
], ids=["tables", "tables-with-file", "argument"])
def test_override_for_unknown_customer_rejected(where, files, message):
    overrides = make_overrides("C999", "vip")
    tables = Tables(CUSTOMERS, ORDERS, TICKETS, overrides=overrides if where == "tables" else None, files=files)

    with pytest.raises(DataValidationError, match=message):
        run(tables, as_of="2024-06-30", overrides=overrides if where == "argument" else None, lang="en")


def customers_registered(dates: dict[str, str | None]) -> pd.DataFrame:
    """CUSTOMERS plus the given ids, with ``registered_at`` from ``dates`` (NaT for the others)."""
    ids = IDS + [customer for customer in dates if customer not in IDS]
    registered = [dates.get(customer) for customer in ids]
    return pd.DataFrame({"customer_id": pd.array(ids, dtype="str"),
                         "registered_at": pd.Series(pd.to_datetime(registered), dtype="datetime64[ns]")
                         .dt.tz_localize(ZONE)})


def test_customers_registered_later_left_out(result):
    # Eleven customers would make the high tier two customers wide and move C009 (950) up.
    customers = customers_registered({"C011": "2024-07-15T09:00", "C001": "2023-01-05T09:00"})
    tables = Tables(customers, ORDERS, TICKETS, overrides=make_overrides("C011", "vip").assign(
        requested_at=stamps(["2024-07-16T09:00"]), decided_at=stamps(["2024-07-16T10:00"])))

    later = run(tables, as_of="2024-06-30", lang="en")

    assert later.labels["customer_id"].tolist() == IDS
    assert later.features.index.tolist() == IDS
    pd.testing.assert_frame_equal(later.labels, result.labels)
    assert later.value_shares["customers"].tolist() == [1, 3, 6]
    assert "1 customer(s) registered after as_of (2024-06-30 23:59:59) did not exist yet" in later.notes[0]


def test_customers_registered_by_as_of_stay():
    customers = customers_registered({"C011": "2024-06-30T23:59:59", "C001": None})

    labels = run(Tables(customers, ORDERS, TICKETS), as_of="2024-06-30", lang="en").labels

    assert labels["customer_id"].tolist() == [*IDS, "C011"]
    assert labels.set_index("customer_id").loc["C009", "value_tier"] == "high"


def test_all_customers_registered_later_rejected():
    customers = customers_registered(dict.fromkeys(IDS, "2024-07-01T00:00"))

    with pytest.raises(ParameterError, match=r"all 10 customers registered after as_of \(2024-06-30 23:59:59\)\. "
                                             r"The data runs from 2024-01-01 to 2024-07-01"):
        classify(Tables(customers, ORDERS, TICKETS), as_of="2024-06-30", lang="en")


def test_row_order_does_not_change_result(result):
    rng = np.random.default_rng(11)
    for _ in range(3):
        shuffled = Tables(*(table.sample(frac=1, random_state=rng.integers(1 << 31)).reset_index(drop=True)
                            for table in (CUSTOMERS, ORDERS, TICKETS)))

        again = run(shuffled, as_of="2024-06-30")

        pd.testing.assert_frame_equal(again.labels, result.labels)
        pd.testing.assert_frame_equal(again.value_shares, result.value_shares)


def test_same_input_same_output(result):
    again = run(Tables(CUSTOMERS, ORDERS, TICKETS), as_of="2024-06-30")

    pd.testing.assert_frame_equal(again.labels, result.labels)
    pd.testing.assert_frame_equal(again.features, result.features)
    assert again.notes == result.notes


def test_no_customers_rejected():
    empty = Tables(CUSTOMERS.iloc[:0], ORDERS.iloc[:0], TICKETS.iloc[:0])

    with pytest.raises(DataValidationError, match="no customers to classify: the customer table is empty"):
        classify(empty, as_of="2024-06-30", lang="en")


def test_unsupported_language_rejected():
    with pytest.raises(ValueError, match="unsupported language 'fr'"):
        classify(Tables(CUSTOMERS, ORDERS, TICKETS), as_of="2024-06-30", lang="fr")


NOW = pd.Timestamp("2025-01-01", tz=ZONE)


@pytest.fixture
def arrivals_folder(tmp_path):
    """Orders only: 10 customers in Q1 and Q2, 5 first ordering on 2024-05-20 and 5 on 2024-08-20."""
    folder = tmp_path / "arrivals"
    folder.mkdir()
    rows = ["order_id,customer_id,order_date,amount"]
    for number in range(1, 11):
        rows += [f"A{number}-1,C{number:02d},2024-02-{number:02d} 10:00,{100 * number}",
                 f"A{number}-2,C{number:02d},2024-05-{number:02d} 10:00,{50 * number}"]
    for number in range(1, 6):
        rows.append(f"M{number},M{number:02d},2024-05-20 10:00,{30 * number}")
        rows.append(f"L{number},L{number:02d},2024-08-20 10:00,{40 * number}")
    (folder / "orders.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def test_derived_customers_exist_from_first_order(arrivals_folder):
    tables = load_source(arrivals_folder, now=NOW)

    june = classify(tables, as_of="2024-06-30", lang="en")
    march = classify(tables, as_of="2024-03-31", lang="en")

    assert len(tables.customers) == 20
    assert len(june.labels) == 15
    assert june.labels["customer_id"].tolist() == [*(f"C{n:02d}" for n in range(1, 11)),
                                                   *(f"M{n:02d}" for n in range(1, 6))]
    assert "5 customer(s) registered after as_of (2024-06-30 23:59:59) did not exist yet" in june.notes[0]
    assert march.labels["customer_id"].tolist() == [f"C{n:02d}" for n in range(1, 11)]
    assert "10 customer(s) registered after as_of (2024-03-31 23:59:59)" in march.notes[0]


def test_derived_customers_without_records_left_out(arrivals_folder):
    with (arrivals_folder / "orders.csv").open("a", encoding="utf-8") as file:
        file.write("Z1,Z01,2024-04-01 10:00,0\n")
    (arrivals_folder / "tickets.csv").write_text("ticket_id,customer_id,created_at\nT1,Z02,\n", encoding="utf-8")
    tables = load_source(arrivals_folder, now=NOW)

    english = classify(tables, as_of="2024-06-30", lang="en")
    chinese = classify(tables, as_of="2024-06-30")

    assert len(tables.customers) == 22
    assert len(english.labels) == 15
    assert not english.labels["customer_id"].isin(["Z01", "Z02"]).any()
    assert english.notes[1].startswith("2 customer(s) derived from orders and tickets had every record set aside")
    assert chinese.notes[1].startswith("有 2 位客户是从订单和工单中派生的，但他们的记录都被搁置了")


def test_as_of_before_data_exits_with_usage_error(arrivals_folder, tmp_path, capsys):
    status = main(["-q", "--lang", "en", "classify", str(arrivals_folder), "--as-of", "1900-01-01",
                   "--out", str(tmp_path / "labels.csv")])

    error = capsys.readouterr().err
    assert status == EXIT_USAGE
    assert "all 20 customers registered after as_of (1900-01-01 23:59:59)" in error
    assert "The data runs from 2024-02-01 to 2024-08-20; choose an as_of (or review month) inside that range." in error
    assert "Traceback" not in error
    assert len(error.strip().splitlines()) == 1


def test_reclassify_month_before_data_exits_with_usage_error(arrivals_folder, capsys):
    status = main(["-q", "reclassify", str(arrivals_folder), "--month", "1990-01"])

    error = capsys.readouterr().err
    assert status == EXIT_USAGE
    assert "全部 20 位客户的注册时间都晚于分类时点 1990-01-31 23:59:59" in error
    assert "数据的时间范围是 2024-02-01 至 2024-08-20，请在此范围内选择 as_of（或复核月份）" in error
    assert "Traceback" not in error


def test_customers_only_source_exits_with_data_error(tmp_path, capsys):
    (tmp_path / "customers.csv").write_text("customer_id,registered_at\nC1,2024-01-01\n", encoding="utf-8")

    status = main(["-q", "--lang", "en", "classify", str(tmp_path), "--out", str(tmp_path / "labels.csv")])

    error = capsys.readouterr().err
    assert status == EXIT_DATA
    assert "no order or ticket timestamps to infer as_of from; pass as_of (--as-of on the command line)" in error
    assert "Traceback" not in error
