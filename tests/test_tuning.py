"""Tests of the weight search, its report tables and charts, and the slider panel's recompute."""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
import pytest
from matplotlib import pyplot as plt
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from segmentation import tuning_plots
from segmentation.backtest import parse_cutoffs
from segmentation.backtest_metrics import capture_curve
from segmentation.config import SCORE_DIMENSIONS, load_config
from segmentation.errors import ParameterError
from segmentation.plots import save_figure
from segmentation.schema import Tables
from segmentation.tuning import (
    best_index,
    embed,
    label_change_share,
    objective_values,
    pareto_front,
    refine_grid,
    simplex_grid,
    weights_fragment,
    weights_yaml,
    write_weights_yaml,
)
from segmentation.tuning_run import label_changes, run_tuning
from segmentation.tuning_widgets import PanelData, build_panel, normalise_weights, recompute, tier_shares

TZ = "Asia/Shanghai"
SHARES = {"high": 0.1, "mid": 0.6, "low": 0.3}


@pytest.mark.parametrize(
    ("dimensions", "step", "count"),
    [(3, 0.1, 66), (4, 0.1, 286), (4, 0.25, 35), (2, 0.5, 3), (1, 0.2, 1)],
    ids=["3d-tenth", "4d-tenth", "4d-quarter", "2d-half", "1d"],
)
def test_simplex_grid_count(dimensions, step, count):
    grid = simplex_grid(dimensions, step)

    assert grid.shape == (count, dimensions)
    assert count == comb(round(1 / step) + dimensions - 1, dimensions - 1)


@pytest.mark.parametrize(("dimensions", "step"), [(3, 0.1), (4, 0.1), (4, 0.05)], ids=["3d", "4d", "4d-fine"])
def test_simplex_grid_points(dimensions, step):
    grid = simplex_grid(dimensions, step)

    np.testing.assert_allclose(grid.sum(axis=1), 1.0)
    assert (grid >= 0).all()
    units = grid / step
    np.testing.assert_allclose(units, np.rint(units), atol=1e-9)
    assert len(np.unique(grid.round(9), axis=0)) == len(grid)
    for vertex in np.eye(dimensions):
        assert (np.abs(grid - vertex).max(axis=1) < 1e-12).any()


@pytest.mark.parametrize("step", [0.3, 0.0, 1.5, -0.1], ids=["uneven", "zero", "above-one", "negative"])
def test_simplex_grid_rejects_step(step):
    with pytest.raises(ParameterError, match="grid_step must divide 1 evenly"):
        simplex_grid(3, step)


def test_refine_grid_near_center():
    center = np.array([0.5, 0.3, 0.2])

    fine = refine_grid(center, 0.1)

    assert len(fine) == 61  # offsets (a, b) in [-4, 4] quarter-steps with |a + b| <= 4
    assert (np.abs(fine - center).max(axis=1) <= 0.1 + 1e-12).all()
    np.testing.assert_allclose(fine.sum(axis=1), 1.0)
    assert (np.abs(fine - center).max(axis=1) < 1e-12).any()
    np.testing.assert_allclose(fine / 0.025, np.rint(fine / 0.025), atol=1e-9)


def test_refine_grid_at_vertex_stays_on_simplex():
    fine = refine_grid(np.array([1.0, 0.0, 0.0]), 0.1)

    assert (fine >= 0).all()
    assert len(fine) == 15  # (a, b) >= 0 with a + b <= 4 quarter-steps


def test_embed_puts_zero_on_missing_dimensions():
    full = embed(np.array([[0.7, 0.3]]), ["value", "loyalty"])
    assert full.tolist() == [[0.7, 0.0, 0.0, 0.3]]


def random_outcomes(n: int, seed: int) -> tuple[np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    scores = np.round(rng.uniform(size=(n, 5)), 1)  # rounded so ties occur
    result = pd.DataFrame({
        "next_spend": np.round(rng.exponential(100, n)) * (rng.uniform(size=n) < 0.6),
        "retained": rng.uniform(size=n) < 0.5,
    })
    return scores, result


@pytest.mark.parametrize("objective", ["top10_capture", "top30_capture", "spearman", "retention_auc"])
def test_objective_values_match_reference(objective):
    scores, result = random_outcomes(300, seed=3)

    values = objective_values(scores, result, objective)

    for column, value in zip(scores.T, values):
        if objective == "retention_auc":
            expected = roc_auc_score(result["retained"], column)
        elif objective == "spearman":
            expected = spearmanr(column, result["next_spend"]).statistic
        else:
            fraction = 0.1 if objective == "top10_capture" else 0.3
            expected = capture_curve(column, result["next_spend"].to_numpy(), [fraction])[0]
        assert value == pytest.approx(expected)


def test_objective_values_unknown_objective():
    scores, result = random_outcomes(10, seed=1)
    with pytest.raises(ParameterError, match="unknown objective 'lift'"):
        objective_values(scores, result, "lift")


def test_retention_auc_one_class_is_nan():
    scores, result = random_outcomes(20, seed=2)
    assert np.isnan(objective_values(scores, result.assign(retained=True), "retention_auc")).all()


def test_pareto_front_hand_example():
    power = np.array([0.30, 0.35, 0.35, 0.20, 0.34, np.nan])
    change = np.array([0.00, 0.10, 0.05, 0.00, 0.04, 0.00])

    assert pareto_front(power, change).tolist() == [True, False, True, False, True, False]


def test_best_index_ties_go_to_smaller_change():
    assert best_index(np.array([0.3, 0.5, 0.5, np.nan]), np.array([0.0, 0.2, 0.1, 0.0])) == 2


def test_label_change_share_reference_is_zero():
    rng = np.random.default_rng(0)
    matrix = rng.uniform(size=(200, 4))
    reference = np.array([0.5, 0.3, 0.2, 0.0])
    weights = np.array([reference, [0.0, 0.0, 0.0, 1.0]])

    change = label_change_share(matrix, weights, reference, SHARES)

    assert change[0] == 0.0
    assert 0.0 < change[1] <= 1.0


def test_weights_fragment_rounds_to_sum_one():
    fragment = weights_fragment({"value": 1 / 3, "activity": 1 / 3, "need": 1 / 3})

    weights = fragment["scoring"]["weights"]
    assert list(weights) == list(SCORE_DIMENSIONS)
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-12)
    assert weights["loyalty"] == 0.0


def test_weights_yaml_round_trip(tmp_path):
    tuned = {"value": 0.55, "activity": 0.25, "need": 0.175, "loyalty": 0.025}

    path = write_weights_yaml(tuned, tmp_path / "out" / "weights.yaml", comment="objective top10_capture")

    assert path.read_text("utf-8").startswith("# objective top10_capture\nscoring:\n")
    assert dict(load_config(path).weights) == pytest.approx(tuned)


def test_weights_yaml_has_no_extra_keys():
    text = weights_yaml({"value": 1.0})
    assert text == "scoring:\n  weights:\n    value: 1.0\n    activity: 0.0\n    need: 0.0\n    loyalty: 0.0\n"


def planted_tables(n: int, seed: int, cutoff: str = "2024-06-30") -> Tables:
    """Customers whose next-quarter spend is driven by value, then activity, then need, never loyalty.

    Latent percentiles u_value, u_activity, u_need drive the six months
    before the cut-off (spend, contact count, share of upgrade contacts);
    the one order after it is ``exp(4 u_value + 2 u_activity + u_need)``.
    Tenure, repeat purchase and CSAT are drawn independently of it.
    """
    rng = np.random.default_rng(seed)
    end = pd.Timestamp(cutoff, tz=TZ) + pd.Timedelta(hours=23)
    ids = np.array([f"C{i:05d}" for i in range(n)])
    u_value, u_activity, u_need = rng.uniform(size=(3, n))

    orders_each = rng.integers(1, 4, n)
    owner = np.repeat(np.arange(n), orders_each)
    history_total = 100 * np.exp(4 * u_value) * rng.lognormal(0, 0.1, n)
    next_quarter = 100 * np.exp(4 * u_value + 2 * u_activity + u_need + rng.normal(0, 0.3, n))
    order_times = np.r_[-rng.uniform(1, 175, len(owner)), rng.uniform(1, 88, n)]
    orders = pd.DataFrame({
        "order_id": pd.array([f"O{i:07d}" for i in range(len(owner) + n)], dtype="str"),
        "customer_id": pd.array(np.r_[ids[owner], ids], dtype="str"),
        "order_date": end + pd.to_timedelta(order_times, unit="D"),
        "amount": np.r_[history_total[owner] / orders_each[owner], next_quarter],
        "status": pd.array(["paid"] * (len(owner) + n), dtype="str"),
    })

    contacts = 1 + np.floor(u_activity * 12).astype(int)
    caller = np.repeat(np.arange(n), contacts)
    position = np.concatenate([np.arange(count) for count in contacts])
    upgrade = position < np.rint(u_need * contacts)[caller]
    created = end - pd.to_timedelta(rng.uniform(1, 175, len(caller)), unit="D")
    csat = rng.integers(1, 6, len(caller)).astype("float64")
    tickets = pd.DataFrame({
        "ticket_id": pd.array([f"T{i:07d}" for i in range(len(caller))], dtype="str"),
        "customer_id": pd.array(ids[caller], dtype="str"),
        "created_at": created,
        "resolved_at": created + pd.Timedelta(hours=5),
        "issue_type": pd.array(np.where(upgrade, "upgrade", "product question"), dtype="str"),
        "csat": csat, "csat_min": 1.0, "csat_max": 5.0, "csat_100": (csat - 1) / 4 * 100,
        "status": pd.array(["closed"] * len(caller), dtype="str"),
    })
    customers = pd.DataFrame({
        "customer_id": pd.array(ids, dtype="str"),
        "registered_at": end - pd.DateOffset(months=6) - pd.to_timedelta(rng.uniform(1, 1500, n), unit="D"),
    })
    return Tables(customers=customers, orders=orders, tickets=tickets, source="planted", timezone=TZ)


@pytest.fixture(scope="module")
def planted_result():
    config = load_config()
    tables = planted_tables(2000, seed=11)
    return run_tuning(tables, config, cutoffs=parse_cutoffs("2024-06-30", TZ), n_boot=40, seed=5)


def test_search_recovers_planted_order(planted_result):
    weights = planted_result.search.recommended

    assert weights["value"] > weights["activity"] > weights["need"] >= weights["loyalty"]
    assert weights["loyalty"] <= 0.05


def test_tuned_beats_baselines_on_planted_data(planted_result):
    schemes = planted_result.schemes
    capture = schemes[schemes["metric"] == "top10_capture"].set_index("scheme")["value"]

    assert capture["tuned"] >= capture[["rule_table", "rfm", "equal_weights", "configured"]].max()


def test_intervals_cover_weights_within_unit_range(planted_result):
    intervals = planted_result.search.intervals

    assert intervals.index.tolist() == list(SCORE_DIMENSIONS)
    assert ((intervals["low"] >= 0) & (intervals["high"] <= 1) & (intervals["low"] <= intervals["high"])).all()
    assert intervals.loc["value", "low"] > intervals.loc["loyalty", "high"]


def test_grid_marks_pareto_and_counts(planted_result):
    grid = planted_result.search.grid

    assert (grid["stage"] == "grid").sum() == 286
    assert grid["pareto"].any()
    best = grid["objective_mean"].idxmax()
    assert grid.loc[best, "pareto"]
    configured = grid[(grid["stage"] == "grid") & np.isclose(grid["value"], 0.5) & np.isclose(grid["activity"], 0.3)
                      & np.isclose(grid["need"], 0.2)]
    assert configured["label_change"].tolist() == [0.0]


def test_bootstrap_is_seeded():
    config = load_config()
    tables = planted_tables(300, seed=2)
    cutoffs = parse_cutoffs("2024-06-30", TZ)

    first = run_tuning(tables, config, cutoffs=cutoffs, n_boot=10, seed=9, step=0.25)
    second = run_tuning(tables, config, cutoffs=cutoffs, n_boot=10, seed=9, step=0.25)

    pd.testing.assert_frame_equal(first.search.intervals, second.search.intervals)


def test_label_changes_lists_ids_and_scores(planted_result):
    changes = label_changes(planted_result)

    assert changes.columns.tolist() == ["customer_id", "score_configured", "score_new", "tier_configured", "tier_new"]
    assert (changes["tier_configured"] != changes["tier_new"]).all()
    assert changes["customer_id"].is_monotonic_increasing
    same = label_changes(planted_result, planted_result.weight_sets["configured"])
    assert same.empty


def small_panel() -> PanelData:
    matrix = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.2, 0.8], [0.5, 0.5]] * 2)
    matrix = np.hstack([matrix, np.full((10, 2), 0.5)])
    spend = np.array([100.0, 80.0, 0.0, 0.0, 10.0] * 2)
    return PanelData(matrix=matrix, reference=np.array([1.0, 0.0, 0.0, 0.0]), lift_matrix=matrix,
                     lift_spend=spend, available=("value", "activity"))


def test_recompute_reference_weights():
    state = recompute(small_panel(), {"value": 2.0}, SHARES, fractions=(0.2, 0.4, 1.0))

    assert state.weights.tolist() == [1.0, 0.0, 0.0, 0.0]
    # No customer scores more than the two tied at 0.9, so both are high although 10% is one customer.
    assert state.tier_counts.tolist() == [2, 4, 4]
    assert state.label_changes == 0
    np.testing.assert_allclose(state.capture, [200 / 380, 360 / 380, 1.0])


def test_recompute_opposite_weights_move_tiers():
    state = recompute(small_panel(), {"activity": 1.0}, SHARES, fractions=(0.2,))

    assert state.tier_counts.tolist() == [2, 4, 4]
    assert state.label_changes == 8
    assert state.capture.tolist() == [0.0]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: normalise_weights({"value": 0.0}, "en"), "the weights sum to 0"),
        (lambda: tier_shares(0.5, 0.6, "en"), "add up to more than 1"),
    ],
    ids=["zero-weights", "shares-above-one"],
)
def test_panel_input_errors(call, match):
    with pytest.raises(ParameterError, match=match):
        call()


def test_build_panel_updates_on_slider(planted_result):
    panel = build_panel(planted_result, lang="en")
    summary = panel.children[1]
    loyalty = panel.children[0].children[0].children[3]
    before = summary.value

    loyalty.value = 1.0

    others = sum(weight for dim, weight in planted_result.search.recommended.items() if dim != "loyalty")
    assert "customers changing tier" in before
    assert summary.value != before
    assert f"loyalty {1.0 / (1.0 + others):.2f}" in summary.value


def test_tier_comparison_counts_latest_fold(planted_result):
    table = tuning_plots.tier_comparison_table(planted_result, "en")

    assert table.index.tolist() == ["high", "mid", "low"]
    assert table.columns.tolist() == ["high", "mid", "low"]
    assert table.to_numpy().sum() == len(planted_result.folds[-1].outcomes)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_tables_have_every_scheme(planted_result, lang):
    names = tuning_plots.scheme_names(lang)

    capture = tuning_plots.capture_table(planted_result, lang)
    baselines = tuning_plots.baselines_table(planted_result, lang)

    assert capture.index.tolist() == [names[key] for key in tuning_plots.SCHEME_ORDER]
    assert baselines.index.tolist() == [names[key] for key in tuning_plots.SCHEME_ORDER]
    assert len(tuning_plots.weights_table(planted_result, lang)) == 4


@pytest.mark.parametrize("chart", ["plot_lift", "plot_pareto", "plot_weights"])
def test_charts_draw_every_glyph(planted_result, chart, tmp_path):
    ax = getattr(tuning_plots, chart)(planted_result, "zh")

    path = save_figure(ax.figure, tmp_path / f"{chart}.png")
    plt.close(ax.figure)

    assert path.stat().st_size > 0


def test_lift_table_curve_bounds(planted_result):
    table = tuning_plots.lift_table(planted_result)

    assert table.loc[0.0].tolist() == [0.0] * 5
    np.testing.assert_allclose(table.loc[1.0], 1.0)
    assert (table.diff().iloc[1:] >= -1e-12).all().all()
