"""Tests of the managers' summary: arrows, headline KPIs and the decision rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.config import load_config
from segmentation.kpi_result import Section
from segmentation.kpi_summary import arrow, decision_rule, decisions, describe_decision, goal_text, headline_kpis

NAN = float("nan")
LABELS = pd.Index(["vip", "regular", "to_activate"], name="label")


@pytest.mark.parametrize(
    ("change", "unit", "expected"),
    [(1.04, "points", "↑"), (0.04, "points", "→"), (-0.06, "points", "↓"),
     (-0.0004, "fraction", "→"), (-0.002, "fraction", "↓"), (0.25, "hours", "↑"), (NAN, "hours", "—")],
    ids=["up", "flat-after-rounding", "down", "flat-fraction", "down-fraction", "up-hours", "not-comparable"],
)
def test_arrow(change, unit, expected):
    assert arrow(change, unit) == expected


def csat_table(significant: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    """Rows of a CSAT table; ``significant`` maps label -> (previous, current, p)."""
    rows = {label: {"mean_100": 70.0, "previous_100": 70.0, "p_value": 0.5, "significant": False,
                    "customers": 10} for label in LABELS}
    for label, (previous, current, p_value) in significant.items():
        rows[label].update(previous_100=previous, mean_100=current, p_value=p_value, significant=True)
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("label")


@pytest.fixture()
def sections():
    sla = pd.DataFrame({"attainment": [0.95, 0.80, 0.85], "customers": [12, 40, 6],
                        "suppressed": [False, False, False]}, index=LABELS)
    after_sales = pd.DataFrame({"share": [0.5, 0.4, 0.1], "previous_share": [0.5, 0.3, 0.1],
                                "p_value": [0.9, 0.01, 0.9], "significant": [False, True, False],
                                "customers": [12, 40, 6]}, index=LABELS)
    overrides = pd.DataFrame({"count": [5, 3, 2, 4, 1]}, index=pd.Index(
        ["decided", "decided_in_time", "late", "in_force_at_end", "expired_by_end"], name="measure"))
    activation = pd.DataFrame({"rate": [0.25, 0.5], "previous_rate": [0.2, 0.5]},
                              index=pd.Index(["left_to_activate", "ordered_or_contacted"], name="measure"))
    return {
        "csat": Section("csat", table=csat_table({"vip": (85.0, 78.0, 0.001), "regular": (60.0, 66.0, 0.02)}),
                        notes={"overall_100": 72.34, "previous_overall_100": 70.0}),
        "sla": Section("sla", table=sla, notes={"overall": 0.84, "previous_overall": 0.8404}),
        "resolution": Section("resolution", missing="no_resolution"),
        "activation": Section("activation", table=activation),
        "upgrade": Section("upgrade", missing="no_orders"),
        "after_sales": Section("after_sales", table=after_sales),
        "vip_followups": Section("vip_followups", table=pd.DataFrame(), notes={"customers_missing": 4}),
        "overrides": Section("overrides", table=overrides, notes={"appeal_hours": 24.0}),
    }


def test_headline_values_and_arrows(sections):
    table = headline_kpis(sections)

    assert list(table.index) == ["csat", "sla", "resolution", "activation", "upgrade"]
    assert table.loc["csat", "value"] == pytest.approx(72.34)
    assert table.loc["csat", "change"] == pytest.approx(2.34)
    assert table["arrow"].tolist() == ["↑", "→", "—", "↑", "—"]
    assert table["missing"].tolist() == ["", "", "no_resolution", "", "no_orders"]


def test_decisions_follow_the_rule(sections):
    chosen = decisions(sections, load_config())

    assert chosen["category"].tolist() == ["csat_drop", "sla_below_goal", "sla_below_goal"]
    assert chosen["label"].tolist() == ["vip", "regular", "to_activate"]
    assert chosen["customers"].tolist() == [10, 40, 6]


def test_decisions_fall_through_to_later_categories(sections):
    sections["csat"] = Section("csat", missing="no_csat")
    sections["sla"] = Section("sla", missing="no_first_response")

    chosen = decisions(sections, load_config())

    assert chosen["category"].tolist() == ["after_sales_rise", "vip_followups", "late_overrides"]
    assert chosen["customers"].tolist() == [40, 4, 2]


def test_no_decisions_when_nothing_stands_out():
    calm = {key: Section(key, missing="no_tickets") for key in
            ("csat", "sla", "resolution", "activation", "upgrade", "after_sales", "vip_followups", "overrides")}
    assert decisions(calm, load_config()).empty


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("zh", "VIP重点维护客户：CSAT 从 85.0 降至 78.0（0–100 分，p = 0.001），涉及 10 位客户"),
     ("en", "VIP key account: CSAT fell from 85.0 to 78.0 (0-100, p = 0.001), 10 customers")],
    ids=["zh", "en"],
)
def test_describe_decision(sections, lang, expected):
    row = decisions(sections, load_config()).iloc[0]
    assert describe_decision(row, load_config(), lang) == expected


def sla_only(attainment: float) -> dict[str, Section]:
    """Sections where only the regular label's SLA attainment could make a decision item."""
    calm = {key: Section(key, missing="no_tickets") for key in
            ("csat", "resolution", "activation", "upgrade", "after_sales", "vip_followups", "overrides")}
    sla = pd.DataFrame({"attainment": [attainment], "customers": [40], "suppressed": [False]},
                       index=pd.Index(["regular"], name="label"))
    return {**calm, "sla": Section("sla", table=sla)}


def test_sla_goal_comes_from_config():
    strict = load_config(overrides={"review": {"sla_goal": 0.95}})

    flagged = decisions(sla_only(0.92), strict)

    assert flagged["category"].tolist() == ["sla_below_goal"]
    assert flagged.loc[0, "goal"] == pytest.approx(0.95)
    assert describe_decision(flagged.iloc[0], strict, "zh") == (
        "常规服务客户：首响 SLA 达成率 92.0%，低于 95% 的目标，涉及 40 位客户")


def test_default_sla_goal_passes_92_percent():
    assert decisions(sla_only(0.92), load_config()).empty


def test_decision_rule_states_configured_levels():
    config = load_config(overrides={"review": {"sla_goal": 0.925, "significance": 0.01}})

    text = decision_rule(config, "en")

    assert "SLA attainment under 92.5%" in text
    assert text.endswith("Significance level p < 0.01.")


@pytest.mark.parametrize(("goal", "expected"), [(0.9, "90%"), (0.925, "92.5%"), (1.0, "100%")],
                         ids=["whole", "half-percent", "all"])
def test_goal_text(goal, expected):
    assert goal_text(goal) == expected


def test_describe_late_overrides(sections):
    sections["csat"] = Section("csat", missing="no_csat")
    sections["sla"] = Section("sla", missing="no_first_response")
    row = decisions(sections, load_config()).iloc[2]
    assert describe_decision(row, load_config(), "en") == (
        "2 label override(s) were decided more than 24 hours after the request")
    assert np.isnan(row["p_value"])
