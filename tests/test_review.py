"""Tests of the monthly review: change list, anomaly flags and snapshots, on hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.config import load_config
from segmentation.errors import ParameterError
from segmentation.review import (
    anomaly_counts,
    existing_customers,
    big_order_customers,
    load_history,
    load_snapshot,
    month_end,
    mover_counts,
    parse_month,
    reclassify,
    save_snapshot,
    snapshot_path,
)

TZ = "Asia/Shanghai"
LABEL_COLUMNS = ["customer_id", "label", "value_tier", "activity_tier", "need_type"]


@pytest.fixture(scope="module")
def config():
    return load_config()


def labels(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=LABEL_COLUMNS)


def previous_may() -> pd.DataFrame:
    return labels([
        ("C1", "vip", "high", "high", "after_sales"),
        ("C2", "regular", "mid", "mid", "product_consultation"),
        ("C3", "to_activate", "low", "low", "potential_demand"),
        ("C4", "regular", "low", "mid", "none"),
        ("C5", "vip", "high", "low", "none"),
        ("C7", "to_activate", "low", "low", "none"),
    ])


def current_june() -> pd.DataFrame:
    frame = labels([
        ("C1", "vip", "high", "high", "after_sales"),
        ("C2", "vip", "high", "high", "product_consultation"),
        ("C3", "vip", "high", "mid", "potential_demand"),
        ("C4", "regular", "mid", "mid", "none"),
        ("C6", "to_activate", "low", "low", "product_consultation"),
        ("C7", "to_activate", "low", "low", "none"),
    ])
    frame["as_of"] = month_end("2024-06", TZ)
    return frame


def history() -> pd.DataFrame:
    return pd.DataFrame({
        "month": ["2024-02", "2024-03", "2024-04", "2024-05", "2024-05"],
        "customer_id": ["C3", "C2", "C2", "C2", "C3"],
        "label": ["vip", "vip", "regular", "regular", "to_activate"],
    })


def june_orders() -> pd.DataFrame:
    paid = [("C1", 100), ("C1", 200), ("C2", 300), ("C2", 400), ("C4", 500), ("C4", 600),
            ("C1", 700), ("C2", 800), ("C7", 900), ("C3", 5000)]
    rows = [(f"O{i}", customer, "2024-06-15 10:00", float(amount), "paid") for i, (customer, amount) in enumerate(paid)]
    rows += [
        ("X1", "C7", "2024-06-20 10:00", 99999.0, "cancelled"),
        ("X2", "C7", "2024-07-01 00:00", 99999.0, "paid"),
        ("X3", "C7", "2024-05-31 23:59", 99999.0, "paid"),
    ]
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "amount", "status"])
    frame["order_date"] = pd.to_datetime(frame["order_date"]).dt.tz_localize(TZ)
    return frame


def test_reclassify_change_list(config):
    changes = reclassify(previous_may(), current_june(), history=history(), orders=june_orders(), config=config)

    na = np.nan
    expected = pd.DataFrame(
        [
            ("C1", "vip", "vip", "high", "high", "high", "high", "after_sales", "after_sales",
             False, False, False, False, False, False),
            ("C2", "regular", "vip", "mid", "high", "mid", "high", "product_consultation", "product_consultation",
             True, False, False, True, False, False),
            ("C3", "to_activate", "vip", "low", "high", "low", "mid", "potential_demand", "potential_demand",
             True, True, True, False, False, False),
            ("C4", "regular", "regular", "low", "mid", "mid", "mid", "none", "none",
             False, False, False, False, False, False),
            ("C5", "vip", na, "high", na, "low", na, "none", na,
             True, False, False, False, False, True),
            ("C6", na, "to_activate", na, "low", na, "low", na, "product_consultation",
             True, False, False, False, True, False),
            ("C7", "to_activate", "to_activate", "low", "low", "low", "low", "none", "none",
             False, False, False, False, False, False),
        ],
        columns=["customer_id", "previous_label", "current_label", "previous_value_tier", "current_value_tier",
                 "previous_activity_tier", "current_activity_tier", "previous_need_type", "current_need_type",
                 "changed", "value_jump", "low_activity_big_order", "flip_flop", "new_customer",
                 "gone_customer"],
    )
    pd.testing.assert_frame_equal(changes, expected, check_dtype=False)


def test_reclassify_without_orders_or_history(config):
    changes = reclassify(previous_may(), current_june().drop(columns="as_of"), config=config)

    assert not changes["low_activity_big_order"].any()
    assert not changes["flip_flop"].any()
    assert changes["value_jump"].tolist() == [False, False, True, False, False, False, False]


def test_reclassify_row_order_irrelevant(config):
    shuffled = current_june().sample(frac=1, random_state=3)

    changes = reclassify(previous_may(), shuffled, history=history(), orders=june_orders(), config=config)

    expected = reclassify(previous_may(), current_june(), history=history(), orders=june_orders(), config=config)
    pd.testing.assert_frame_equal(changes, expected)


def test_reclassify_needs_month_for_orders(config):
    current = current_june().drop(columns="as_of")

    with pytest.raises(ParameterError, match="pass month"):
        reclassify(previous_may(), current, orders=june_orders(), config=config, lang="en")


def test_flip_window_follows_config(config):
    wide = load_config(overrides={"review": {"flip_months": 4}})

    changes = reclassify(previous_may(), current_june(), history=history(), config=wide)

    assert changes.set_index("customer_id")["flip_flop"].to_dict() == {
        "C1": False, "C2": True, "C3": True, "C4": False, "C5": False, "C6": False, "C7": False}


def test_big_order_threshold_is_top_decile():
    customers = big_order_customers(june_orders(), parse_month("2024-06"), TZ)

    assert customers == {"C3"}


def test_big_order_sums_invoice_lines():
    orders = june_orders()
    lines = pd.DataFrame({"order_id": ["O9", "O9"], "customer_id": ["C4", "C4"],
                          "order_date": [pd.Timestamp("2024-06-02", tz=TZ)] * 2,
                          "amount": [3000.0, 3000.0], "status": ["paid", "paid"]})
    orders = pd.concat([orders[orders["order_id"] != "O9"], lines], ignore_index=True)

    assert big_order_customers(orders, parse_month("2024-06"), TZ) == {"C4"}


def test_mover_and_anomaly_counts(config):
    changes = reclassify(previous_may(), current_june(), history=history(), orders=june_orders(), config=config)

    movers = mover_counts(changes)

    assert movers.fillna("-").values.tolist() == [
        ["regular", "vip", 1], ["to_activate", "vip", 1], ["vip", "-", 1], ["-", "to_activate", 1]]
    assert anomaly_counts(changes).to_dict() == {
        "value_jump": 1, "low_activity_big_order": 1, "flip_flop": 1, "new_customer": 1, "gone_customer": 1}


@pytest.mark.parametrize("month", ["2024-13", "2024-6", "202406", "June", "2024-06-30"],
                         ids=["month-13", "no-padding", "no-dash", "word", "date"])
def test_parse_month_rejects(month):
    with pytest.raises(ParameterError, match="YYYY-MM"):
        parse_month(month, "en")


def test_month_end_local_time():
    assert month_end("2024-02", TZ) == pd.Timestamp("2024-02-29 23:59:59.999999999", tz=TZ)


def test_snapshot_round_trip(tmp_path):
    frame = current_june().assign(flags=["", "upsell", "near_boundary", "", "", ""],
                                  overridden=[False, True, False, False, False, False],
                                  spend=1.0, phone="13800000000")

    path = save_snapshot(frame, "2024-06", tmp_path / "snaps")

    assert path == tmp_path / "snaps" / "labels_2024-06.parquet"
    back = load_snapshot("2024-06", tmp_path / "snaps")
    assert back.columns.tolist() == ["customer_id", "value_tier", "activity_tier", "need_type", "label",
                                     "flags", "overridden", "as_of"]
    expected = frame[back.columns.tolist()]
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)
    assert back["as_of"].iloc[0] == pd.Timestamp("2024-06-30 23:59:59.999999999", tz=TZ)


def test_snapshot_replaced_atomically(tmp_path):
    save_snapshot(previous_may(), "2024-05", tmp_path, as_of=month_end("2024-05", TZ))

    save_snapshot(current_june(), "2024-05", tmp_path)

    assert [path.name for path in tmp_path.iterdir()] == ["labels_2024-05.parquet"]
    assert "C6" in set(load_snapshot("2024-05", tmp_path)["customer_id"])


def test_snapshot_needs_as_of(tmp_path):
    with pytest.raises(ParameterError, match="no as_of column"):
        save_snapshot(previous_may(), "2024-05", tmp_path, lang="en")


def test_load_missing_snapshot(tmp_path):
    with pytest.raises(FileNotFoundError, match="no label snapshot for 2024-04"):
        load_snapshot("2024-04", tmp_path, lang="en")


def test_load_history_long_format(tmp_path):
    save_snapshot(current_june(), "2024-06", tmp_path)
    save_snapshot(previous_may(), "2024-05", tmp_path, as_of=month_end("2024-05", TZ))
    (tmp_path / "labels_latest.parquet").write_bytes(b"not a snapshot")

    history = load_history(tmp_path)

    assert history.columns[:3].tolist() == ["month", "customer_id", "value_tier"]
    assert history.groupby("month").size().to_dict() == {"2024-05": 6, "2024-06": 6}
    assert history["month"].iloc[0] == "2024-05"


def test_load_history_of_missing_folder(tmp_path):
    history = load_history(tmp_path / "none")

    assert len(history) == 0
    assert history.columns.tolist() == ["month", "customer_id", "label"]


def test_history_feeds_flip_flop(tmp_path, config):
    for month, label in (("2024-04", "vip"), ("2024-05", "regular")):
        snapshot = labels([("C2", label, "mid", "mid", "none")])
        save_snapshot(snapshot, month, tmp_path, as_of=month_end(month, TZ))
    current = labels([("C2", "vip", "high", "mid", "none")])

    changes = reclassify(load_snapshot("2024-05", tmp_path), current, history=load_history(tmp_path),
                         config=config, month="2024-06")

    assert changes["flip_flop"].tolist() == [True]
    assert snapshot_path("2024-06", tmp_path).exists() is False


def test_reclassify_mixed_categories(tmp_path, config):
    previous = previous_may()
    previous["value_tier"] = pd.Categorical(previous["value_tier"], categories=["high", "mid", "low"], ordered=True)
    save_snapshot(previous, "2024-05", tmp_path, as_of=month_end("2024-05", TZ))
    current = current_june()
    current["value_tier"] = pd.Categorical(current["value_tier"], categories=["high", "mid", "low", "unavailable"],
                                           ordered=True)
    current["label"] = pd.Categorical(current["label"], categories=["vip", "regular", "to_activate"], ordered=True)

    changes = reclassify(load_snapshot("2024-05", tmp_path), current, config=config)

    assert changes["changed"].tolist() == [False, True, True, False, True, True, False]
    assert changes["value_jump"].tolist() == [False, False, True, False, False, False, False]


def test_existing_customers_by_tenure():
    features = pd.DataFrame({"tenure_days": [10.0, 0.0, -3.0, np.nan]},
                            index=pd.Index(["C1", "C2", "C3", "C4"], name="customer_id"))
    frame = labels([(customer, "regular", "mid", "mid", "none") for customer in ["C4", "C3", "C2", "C1"]])

    kept = existing_customers(frame, features)

    assert kept["customer_id"].tolist() == ["C2", "C1"]
