"""Time the weight panel's recompute and a grid evaluation, and print the figures.

Usage::

    python benchmarks/bench_tuning.py [--customers 100000] [--repeats 30] [--seed 42]

The panel recompute (:func:`segmentation.tuning_widgets.recompute`) is what
one slider move costs in JupyterLab: composite score, score tiers for the
slider weights and the configured weights, label-change count and the
capture curve. Its target is under 100 ms for 100,000 customers. Scores are
synthetic percentiles rounded to 3 decimals, so ties occur as they do in
real data. The cost does not depend on how the scores were made. Times are
wall-clock medians of ``--repeats`` runs after one warm-up run, on whatever
machine runs the script.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import pandas as pd

from segmentation.config import SCORE_DIMENSIONS
from segmentation.tuning import embed, objective_values, simplex_grid
from segmentation.tuning_widgets import PanelData, recompute

TARGET_MS = 100.0
SHARES = {"high": 0.10, "mid": 0.60, "low": 0.30}


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000, help="customers scored (default 100,000)")
    parser.add_argument("--repeats", type=int, default=30, help="timed runs per measurement (default 30)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    return parser.parse_args(argv)


def synthetic_panel(customers: int, seed: int) -> PanelData:
    """Return panel arrays with ``customers`` rows of rounded percentile scores and skewed spend."""
    rng = np.random.default_rng(seed)
    matrix = np.round(rng.uniform(size=(customers, len(SCORE_DIMENSIONS))), 3)
    spend = rng.lognormal(5, 1.5, customers) * (rng.uniform(size=customers) < 0.4)
    return PanelData(matrix=matrix, reference=np.array([0.5, 0.3, 0.2, 0.0]), lift_matrix=matrix,
                     lift_spend=spend, available=tuple(SCORE_DIMENSIONS))


def time_ms(action, repeats: int) -> list[float]:
    """Run ``action`` once to warm up, then ``repeats`` times; return wall-clock times in ms."""
    action()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    """Print the recompute and grid timings; exit 1 if the recompute median misses the target."""
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    data = synthetic_panel(args.customers, args.seed)
    weights = {"value": 0.55, "activity": 0.25, "need": 0.15, "loyalty": 0.05}

    panel = time_ms(lambda: recompute(data, weights, SHARES), args.repeats)
    print(f"panel recompute, {args.customers:,} customers: median {statistics.median(panel):.1f} ms "
          f"(min {min(panel):.1f}, max {max(panel):.1f}) over {args.repeats} runs; target < {TARGET_MS:.0f} ms")

    grid = embed(simplex_grid(4, 0.1), SCORE_DIMENSIONS)
    outcomes = pd.DataFrame({"next_spend": data.lift_spend, "retained": data.lift_spend > 0})
    repeats = max(1, args.repeats // 10)
    search = time_ms(lambda: objective_values(data.matrix @ grid.T, outcomes, "top10_capture"), repeats)
    print(f"top-10% capture of {len(grid)} grid weights, {args.customers:,} customers: "
          f"median {statistics.median(search):.0f} ms over {repeats} runs")
    return 0 if statistics.median(panel) < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
