"""End-to-end tests of the quarterly review on generated canonical tables with the real classifier."""

from __future__ import annotations

import pandas as pd
import pytest

from segmentation.config import load_config
from segmentation.errors import ParameterError
from segmentation.kpi import SECTIONS, quarterly_review
from segmentation.review import save_snapshot
from segmentation.sample import generate_tables
from segmentation.schema import Tables

TICKET_SECTIONS = ("csat", "sla", "resolution", "after_sales")


@pytest.fixture(scope="module")
def config():
    return load_config()


@pytest.fixture(scope="module")
def generated():
    tables = generate_tables(200, seed=7)
    customers = tables["customers"]
    tables["customers"] = customers[customers["status"] == "active"]
    return tables


def tables_with(generated, *names: str) -> Tables:
    return Tables(customers=generated["customers"], **{name: generated[name] for name in names})


@pytest.fixture(scope="module")
def full_review(generated, config):
    return quarterly_review(tables_with(generated, "orders", "tickets", "followups", "overrides"),
                            config, "2024Q2")


def test_review_has_every_section(full_review):
    assert list(full_review.sections) == list(SECTIONS)
    assert all(section.available for section in full_review.sections.values())
    assert full_review.current.quarter == "2024Q2"
    assert full_review.previous.quarter == "2024Q1"


def test_review_bounds_are_local(full_review):
    assert str(full_review.current.start) == "2024-04-01 00:00:00+08:00"
    assert str(full_review.current.end) == "2024-07-01 00:00:00+08:00"


def test_previous_end_labels_are_current_start(full_review):
    pd.testing.assert_frame_equal(full_review.previous.labels_end, full_review.current.labels_start)


def test_review_is_reproducible(generated, config, full_review):
    again = quarterly_review(tables_with(generated, "orders", "tickets", "followups", "overrides"),
                             config, "2024Q2")
    for key in SECTIONS:
        pd.testing.assert_frame_equal(again.sections[key].table, full_review.sections[key].table)
    pd.testing.assert_frame_equal(again.headline, full_review.headline)


def test_per_label_tables_list_every_label(full_review):
    for key in ("sla", "resolution", "after_sales"):
        assert list(full_review.sections[key].table.index) == ["vip", "regular", "to_activate"]
    assert list(full_review.sections["csat"].table.index) == ["vip", "to_activate", "regular"]


def test_orders_only_review(generated, config):
    review = quarterly_review(tables_with(generated, "orders"), config, "2024Q2")

    for key in TICKET_SECTIONS:
        assert review.sections[key].reason("en") == (
            "missing, because the data has no tickets (service contacts), so this cannot be computed")
        assert review.sections[key].reason("zh") == "缺失，原因：数据中没有工单（服务记录），无法计算本项"
    assert review.sections["upgrade"].available
    assert review.headline.loc["csat", "arrow"] == "—"


def test_tickets_only_review(generated, config):
    review = quarterly_review(tables_with(generated, "tickets"), config, "2024Q2")

    assert review.sections["upgrade"].missing == "no_orders"
    assert all(review.sections[key].available for key in TICKET_SECTIONS)
    assert review.headline.loc["upgrade", "missing"] == "no_orders"


def test_bad_quarter_is_rejected(generated, config):
    with pytest.raises(ParameterError, match=r"2024-Q2.*YYYYQn"):
        quarterly_review(tables_with(generated, "orders"), config, "2024-Q2", lang="en")


def test_snapshot_used_for_start_labels(generated, config, full_review, tmp_path):
    snapshot = full_review.current.labels_start.copy()
    snapshot["label"] = "regular"
    save_snapshot(snapshot, "2024-03", tmp_path, as_of=pd.Timestamp("2024-03-31 23:59:59", tz=config.timezone))

    review = quarterly_review(tables_with(generated, "orders", "tickets"), config, "2024Q2",
                              snapshot_dir=tmp_path, lang="en")

    assert review.current.label_sources["start"] == "monthly snapshot labels_2024-03.parquet"
    assert review.current.label_sources["end"].startswith("classified from the data up to 2024-06-30 23:59:59")
    assert set(review.current.labels_start["label"]) == {"regular"}
    assert review.sections["migration"].table.loc["regular"].sum() == len(snapshot)


def test_tie_warnings_are_collected_not_shown(config, recwarn):
    ids = [f"C{i:02d}" for i in range(20)]
    orders = pd.DataFrame({
        "order_id": [f"O{i}" for i in range(20)], "customer_id": ids,
        "order_date": pd.to_datetime(["2024-03-10 10:00"] * 20).tz_localize(config.timezone),
        "amount": [100.0] * 18 + [500.0, 900.0],
    })
    tables = Tables(customers=pd.DataFrame({"customer_id": ids}), orders=orders)

    review = quarterly_review(tables, config, "2024Q2", lang="en")

    assert len(review.warnings) == 2
    assert review.warnings[0].startswith("ties moved value tiers off their intended shares: mid 0% (0 customers)")
    assert not [item for item in recwarn if issubclass(item.category, UserWarning)]
