"""Tests of per-customer features: the window convention, every column on tiny hand-made tables."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from segmentation.config import ConfigError, load_config
from segmentation.features import FEATURE_COLUMNS, build_features
from segmentation.schema import Tables
from segmentation.windows import resolve_as_of, window_months, window_start

ZONE = "Asia/Shanghai"
AS_OF = "2024-06-30"


def stamps(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), format="ISO8601"), dtype="datetime64[ns]").dt.tz_localize(ZONE)


def customers(*ids: str, registered: list[str | None] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"customer_id": pd.array(ids, dtype="str")})
    if registered is not None:
        frame["registered_at"] = stamps(*registered)
    return frame


def orders(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (customer_id, order_date, amount, status[, profit])."""
    return pd.DataFrame({
        "order_id": pd.array([f"O{i}" for i in range(len(rows))], dtype="str"),
        "customer_id": pd.array([row[0] for row in rows], dtype="str"),
        "order_date": stamps(*[row[1] for row in rows]),
        "amount": [float(row[2]) for row in rows],
        "status": pd.array([row[3] for row in rows], dtype="str"),
        "profit": [float(row[4]) if len(row) > 4 else np.nan for row in rows],
    })


def tickets(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (customer_id, created_at, issue_type[, csat_100, first_response_at, resolved_at])."""
    def column(position: int) -> list:
        return [row[position] if len(row) > position else None for row in rows]

    return pd.DataFrame({
        "ticket_id": pd.array([f"T{i}" for i in range(len(rows))], dtype="str"),
        "customer_id": pd.array(column(0), dtype="str"),
        "created_at": stamps(*column(1)),
        "issue_type": pd.array(column(2), dtype="str"),
        "csat_100": pd.array(column(3), dtype="float64"),
        "first_response_at": stamps(*column(4)),
        "resolved_at": stamps(*column(5)),
    })


@pytest.fixture(scope="module")
def config():
    return load_config()


@pytest.mark.parametrize(("order_date", "counted"), [
    ("2023-12-31T23:59:59", False),
    ("2024-01-01T00:00:00", True),
    ("2024-06-30T23:59:59", True),
    ("2024-07-01T00:00:00", False),
], ids=["before-start", "first-instant", "last-second", "next-day"])
def test_window_bounds_for_date_as_of(order_date, counted, config):
    tables = Tables(customers("C1"), orders([("C1", order_date, 10, "paid")]))

    features = build_features(tables, AS_OF, "6M", config)

    assert features.loc["C1", "order_count"] == int(counted)
    assert features.loc["C1", "spend"] == (10.0 if counted else 0.0)


@pytest.mark.parametrize(("as_of", "expected"), [
    ("2024-06-30", "2024-06-30 23:59:59.999999999+08:00"),
    (dt.date(2024, 6, 30), "2024-06-30 23:59:59.999999999+08:00"),
    ("2024-06-30 18:00", "2024-06-30 18:00:00+08:00"),
    (pd.Timestamp("2024-06-30 10:00"), "2024-06-30 10:00:00+08:00"),
    (pd.Timestamp("2024-06-30 10:00", tz="UTC"), "2024-06-30 18:00:00+08:00"),
], ids=["date-text", "date-object", "naive-text", "naive-timestamp", "utc-timestamp"])
def test_resolve_as_of(as_of, expected):
    assert resolve_as_of(as_of, ZONE) == pd.Timestamp(expected)


def test_resolve_as_of_rejects_text():
    with pytest.raises(ValueError, match="as_of='soon'"):
        resolve_as_of("soon", ZONE, "en")


@pytest.mark.parametrize(("window", "start", "months"), [
    ("6M", "2023-12-31 23:59:59.999999999+08:00", 6.0),
    ("1M", "2024-05-31 23:59:59.999999999+08:00", 1.0),
    ("90D", "2024-04-01 23:59:59.999999999+08:00", 90 / 30.436875),
], ids=["six-months", "one-month", "ninety-days"])
def test_window_start_and_months(window, start, months):
    as_of = resolve_as_of(AS_OF, ZONE)

    assert window_start(as_of, window) == pd.Timestamp(start)
    assert window_months(window) == pytest.approx(months, rel=1e-15)


def test_order_columns_hand_computed(config):
    tables = Tables(
        customers("C1", "C2", "C3"),
        orders([
            ("C1", "2024-02-01", 100, "paid", 30),
            ("C1", "2024-03-01", 300, "paid", 60),
            ("C1", "2024-03-05", -50, "refunded", -15),
            ("C1", "2024-04-01", 999, "cancelled", 99),
            ("C2", "2024-05-01", 80, "paid", 8),
            ("C2", "2023-06-01", 500, "paid", 50),
        ]),
    )

    features = build_features(tables, AS_OF, "6M", config)

    expected = pd.DataFrame({
        "spend": [350.0, 80.0, 0.0],
        "profit": [75.0, 8.0, 0.0],
        "order_count": [2, 1, 0],
        "avg_order_value": [175.0, 80.0, np.nan],
        "max_order_amount": [300.0, 80.0, np.nan],
        "repeat_purchase": [True, False, False],
        "orders_per_month": [2 / 6, 1 / 6, 0.0],
    }, index=pd.Index(["C1", "C2", "C3"], dtype="str", name="customer_id"))
    pd.testing.assert_frame_equal(features[expected.columns], expected)


def order_lines(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (order_id, customer_id, order_date, amount, status); an order_id of None is missing."""
    return pd.DataFrame({
        "order_id": pd.array([row[0] for row in rows], dtype="str"),
        "customer_id": pd.array([row[1] for row in rows], dtype="str"),
        "order_date": stamps(*[row[2] for row in rows]),
        "amount": [float(row[3]) for row in rows],
        "status": pd.array([row[4] for row in rows], dtype="str"),
    })


INVOICE_LINES = [
    ("I1", "C1", "2024-03-01T10:00", 10, "paid"),
    ("I1", "C1", "2024-03-01T10:00", 20, "paid"),
    ("I1", "C1", "2024-03-01T10:00", 30, "paid"),
    ("I2", "C1", "2024-04-01T10:00", 50, "paid"),
    ("C3", "C1", "2024-04-02T10:00", -20, "refunded"),
    ("I3", "C2", "2024-05-01T10:00", 40, "paid"),
    ("I3", "C2", "2024-05-01T10:00", 5, "cancelled"),
    ("I4", "C2", "2023-05-01T10:00", 70, "paid"),
]


def test_invoice_with_three_lines_is_one_order(config):
    tables = Tables(customers("C1", "C2", "C3"), order_lines(INVOICE_LINES))

    features = build_features(tables, AS_OF, "6M", config)

    expected = pd.DataFrame({
        "spend": [90.0, 40.0, 0.0],
        "order_count": [2, 1, 0],
        "avg_order_value": [45.0, 40.0, np.nan],
        "max_order_amount": [60.0, 40.0, np.nan],
        "repeat_purchase": [True, False, False],
        "orders_per_month": [2 / 6, 1 / 6, 0.0],
    }, index=pd.Index(["C1", "C2", "C3"], dtype="str", name="customer_id"))
    pd.testing.assert_frame_equal(features[expected.columns], expected)


def test_categorical_order_ids_count_the_same(config):
    lines = order_lines(INVOICE_LINES)
    as_category = lines.assign(order_id=lines["order_id"].astype("category"))

    features = build_features(Tables(customers("C1", "C2", "C3"), as_category), AS_OF, "6M", config)

    pd.testing.assert_frame_equal(features, build_features(Tables(customers("C1", "C2", "C3"), lines),
                                                           AS_OF, "6M", config))


@pytest.mark.parametrize(("rows", "counts", "largest"), [
    ([("I1", "C1", "2024-03-01", 10, "paid"), ("I1", "C2", "2024-03-01", 25, "paid")], [1, 1], [10.0, 25.0]),
    ([(None, "C1", "2024-03-01", 10, "paid"), (None, "C1", "2024-03-02", 15, "paid")], [2, 0], [15.0, np.nan]),
    ([("I1", "C1", "2023-12-31T23:00", 10, "paid"), ("I1", "C1", "2024-01-01T01:00", 15, "paid")], [1, 0],
     [15.0, np.nan]),
], ids=["id-shared-by-two-customers", "missing-id-is-own-order", "lines-split-by-window-start"])
def test_order_grouping_edge_cases(rows, counts, largest, config):
    features = build_features(Tables(customers("C1", "C2"), order_lines(rows)), AS_OF, "6M", config)

    assert features["order_count"].tolist() == counts
    np.testing.assert_array_equal(features["max_order_amount"].to_numpy(), largest)


def test_order_lines_without_order_id_column(config):
    lines = order_lines(INVOICE_LINES).drop(columns="order_id")

    features = build_features(Tables(customers("C1", "C2"), lines), AS_OF, "6M", config)

    assert features["order_count"].tolist() == [4, 1]
    assert features["max_order_amount"].tolist() == [50.0, 40.0]


def test_contact_columns_hand_computed(config):
    tables = Tables(
        customers("C1", "C2"),
        tickets=tickets([
            ("C1", "2024-06-01T10:00", "Complaint", 80.0, "2024-06-01T10:30", "2024-06-01T12:00"),
            ("C1", "2024-06-03T10:00", " complaint ", 60.0, "2024-06-03T10:10", "2024-06-03T11:00"),
            ("C1", "2024-06-20T10:00", "upgrade", None, "2024-06-20T10:20", None),
            ("C1", "2024-06-21T10:00", "invoice copy"),
            ("C1", "2024-06-22T10:00", None),
        ]),
    )

    features = build_features(tables, AS_OF, "6M", config)

    expected = pd.DataFrame({
        "contacts": [5, 0],
        "contacts_per_month": [5 / 6, 0.0],
        "n_product_consultation": [0, 0],
        "n_after_sales": [2, 0],
        "n_potential_demand": [1, 0],
        "n_no_signal": [2, 0],
        "share_product_consultation": [0.0, 0.0],
        "share_after_sales": [2 / 3, 0.0],
        "share_potential_demand": [1 / 3, 0.0],
        "repeat_inquiries": [1, 0],
        "csat_mean_100": [70.0, np.nan],
        "first_response_median_min": [20.0, np.nan],
        "resolution_median_min": [90.0, np.nan],
    }, index=pd.Index(["C1", "C2"], dtype="str", name="customer_id"))
    pd.testing.assert_frame_equal(features[expected.columns], expected)


def test_spend_independent_of_summation_order(config):
    tables = Tables(customers("C1", "C2"), orders([
        ("C1", "2024-02-01", 0.1, "paid"), ("C1", "2024-02-02", 0.2, "paid"), ("C1", "2024-02-03", 0.3, "paid"),
        ("C2", "2024-02-01", 0.3, "paid"), ("C2", "2024-02-02", 0.2, "paid"), ("C2", "2024-02-03", 0.1, "paid"),
    ]))

    features = build_features(tables, AS_OF, "6M", config)

    assert features.loc["C1", "spend"] == features.loc["C2", "spend"]
    assert features.loc["C1", "spend"] == 0.6


@pytest.mark.parametrize(("history", "repeats"), [
    ([("2024-06-01", "fault"), ("2024-06-08", "fault")], 1),
    ([("2024-06-01", "fault"), ("2024-06-09", "fault")], 0),
    ([("2024-06-01", "fault"), ("2024-06-02", "upgrade"), ("2024-06-03", "fault")], 0),
    ([("2023-12-30", "fault"), ("2024-01-02", "FAULT")], 1),
    ([("2024-06-01", "fault"), ("2024-06-01", "fault"), ("2024-06-01", "fault")], 2),
    ([("2024-06-01", None), ("2024-06-02", None)], 0),
], ids=["seven-days", "eight-days", "other-type-between", "previous-before-window", "same-instant",
        "missing-type"])
def test_repeat_inquiries(history, repeats, config):
    tables = Tables(customers("C1"), tickets=tickets([("C1", when, issue) for when, issue in history]))

    features = build_features(tables, AS_OF, "6M", config)

    assert features.loc["C1", "repeat_inquiries"] == repeats


def test_recency_and_tenure_columns(config):
    tables = Tables(
        customers("C1", "C2", "C3", registered=["2024-06-29T23:59:59.999999999", None, None]),
        orders([("C1", "2024-06-30T12:00", 5, "paid"), ("C2", "2023-01-01", 5, "paid")]),
        tickets([("C2", "2024-06-29T23:59:59.999999999", "fault")]),
    )

    features = build_features(tables, AS_OF, "6M", config)

    assert features.loc["C1", "days_since_last_order"] == pytest.approx(0.5)
    assert features.loc["C1", "tenure_days"] == pytest.approx(1.0)
    assert features.loc["C2", "days_since_last_contact"] == pytest.approx(1.0)
    assert features.loc["C2", "tenure_days"] == pytest.approx(546.0 + 1.0, abs=1e-6)
    assert np.isnan(features.loc["C3", "tenure_days"])
    assert np.isnan(features.loc["C3", "days_since_last_order"])
    assert features.loc["C2", "last_contact_at"] == pd.Timestamp("2024-06-29T23:59:59.999999999", tz=ZONE)


def test_every_customer_kept_and_strangers_dropped(config):
    tables = Tables(
        customers("C3", "C1", "C2"),
        orders([("C1", "2024-06-01", 10, "paid"), ("X9", "2024-06-01", 1000, "paid")]),
        tickets([("X9", "2024-06-01", "fault")]),
    )

    features = build_features(tables, AS_OF, "6M", config)

    assert features.index.tolist() == ["C1", "C2", "C3"]
    assert features["spend"].tolist() == [10.0, 0.0, 0.0]
    assert features["contacts"].sum() == 0
    assert list(features.columns) == list(FEATURE_COLUMNS)


def test_no_orders_or_tickets_gives_zero_rows(config):
    features = build_features(Tables(customers("C1", "C2")), AS_OF, "6M", config)

    assert features["spend"].tolist() == [0.0, 0.0]
    assert features["profit"].isna().all()
    assert features["contacts"].tolist() == [0, 0]
    assert features["share_after_sales"].tolist() == [0.0, 0.0]
    assert features.attrs["dimensions_available"] == {"value": False, "activity": False, "need": False}


def test_empty_window_keeps_history(config):
    tables = Tables(customers("C1"), orders([("C1", "2023-03-01", 10, "paid")]),
                    tickets([("C1", "2023-03-02", "fault")]))

    features = build_features(tables, AS_OF, "6M", config)

    assert features.loc["C1", "spend"] == 0.0
    assert features.loc["C1", "contacts"] == 0
    assert features.loc["C1", "days_since_last_order"] > 480
    assert features.loc["C1", "days_since_last_contact"] > 480


def test_attrs(config):
    features = build_features(Tables(customers("C1"), orders([("C1", "2024-06-01", 1, "paid")])),
                              AS_OF, "3m", config)

    assert features.attrs["as_of"] == pd.Timestamp("2024-06-30 23:59:59.999999999", tz=ZONE)
    assert features.attrs["window"] == "3M"
    assert features.attrs["dimensions_available"] == {"value": True, "activity": True, "need": False}


def test_row_order_does_not_change_features(config):
    rng = np.random.default_rng(7)
    base = Tables(
        customers("C1", "C2", "C3", "C4"),
        orders([("C1", "2024-02-01", 10, "paid"), ("C2", "2024-03-01", 20, "paid"),
                ("C1", "2024-05-01", -5, "refunded"), ("C4", "2024-06-01", 7, "paid")]),
        tickets([("C1", "2024-06-01", "fault"), ("C1", "2024-06-01", "upgrade"), ("C1", "2024-06-01", "fault"),
                 ("C3", "2024-06-02", "how-to"), ("C1", "2024-06-03", "fault")]),
    )
    expected = build_features(base, AS_OF, "6M", config)

    for _ in range(5):
        shuffled = Tables(*(table.sample(frac=1, random_state=rng.integers(1 << 31)).reset_index(drop=True)
                            for table in (base.customers, base.orders, base.tickets)))
        pd.testing.assert_frame_equal(build_features(shuffled, AS_OF, "6M", config), expected)


def test_categorical_customer_ids_match_text_ids(config):
    rows = [("C1", "2024-02-01", 10, "paid"), ("C2", "2024-03-01", 20, "paid"), ("C9", "2024-03-01", 1, "paid")]
    text_orders = orders(rows)
    categorical_orders = text_orders.assign(customer_id=text_orders["customer_id"].astype("category"))

    as_text = build_features(Tables(customers("C1", "C2"), text_orders), AS_OF, "6M", config)
    as_categories = build_features(Tables(customers("C1", "C2"), categorical_orders), AS_OF, "6M", config)

    pd.testing.assert_frame_equal(as_categories, as_text)


def test_missing_column_names_columns_present(config):
    bad = orders([("C1", "2024-02-01", 10, "paid")]).drop(columns="amount")

    with pytest.raises(ValueError, match=r"no column amount; columns present: order_id, customer_id"):
        build_features(Tables(customers("C1"), bad), AS_OF, "6M", config, lang="en")


def test_naive_timestamps_rejected(config):
    bad = orders([("C1", "2024-02-01", 10, "paid")])
    bad["order_date"] = bad["order_date"].dt.tz_localize(None)

    with pytest.raises(ValueError, match="orders.order_date contains timezone-naive timestamps"):
        build_features(Tables(customers("C1"), bad), AS_OF, "6M", config, lang="en")


def test_duplicate_customers_rejected(config):
    with pytest.raises(ValueError, match=r"1 duplicate customer_id value\(s\) \(e.g. C1\)"):
        build_features(Tables(customers("C1", "C1", "C2")), AS_OF, "6M", config, lang="en")


def test_invalid_window_rejected(config):
    with pytest.raises(ConfigError) as raised:
        build_features(Tables(customers("C1")), AS_OF, "6 months", config)

    assert "window '6 months' is invalid" in raised.value.text("en")
