"""Time fitting and comparing a clustering on a large synthetic customer feature frame.

Usage::

    python benchmarks/bench_clustering.py [--customers 1000000] [--k 5] [--seed 42]

The frame has the feature columns of ``features.build_features`` that the
clustering uses, drawn from five seeded latent groups. Rule labels follow
the default value rule on spend: top 10% vip, bottom 30% to be activated.
Each phase is timed with ``time.perf_counter`` and printed in seconds:
feature preparation and fit (MiniBatchKMeans above 50,000 customers),
internal scores (silhouette on a seeded sample), and the agreement with
the rule labels. Nothing is written to disk.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from segmentation.clustering_compare import compare_labelings
from segmentation.clustering_models import CustomerClustering
from segmentation.clustering_selection import internal_scores

# Typical customer of each latent group: spend (CNY per 6 months), contacts and
# orders per month, days since last contact, and the issue-type shares.
GROUPS = pd.DataFrame({
    "spend": [40000.0, 1900.0, 950.0, 130.0, 1.0],
    "contacts_per_month": [3.3, 1.3, 1.0, 2.8, 0.05],
    "orders_per_month": [1.8, 0.7, 0.5, 0.2, 0.02],
    "days_since_last_contact": [7.0, 15.0, 18.0, 7.0, 300.0],
    "share_product_consultation": [0.1, 0.8, 0.1, 0.1, 0.3],
    "share_after_sales": [0.6, 0.1, 0.1, 0.85, 0.3],
    "share_potential_demand": [0.3, 0.1, 0.8, 0.05, 0.4],
    "csat_mean_100": [84.0, 75.0, 78.0, 38.0, 70.0],
})
GROUP_SHARES = (0.08, 0.35, 0.17, 0.15, 0.25)


def synthetic_features(n_customers: int, seed: int) -> pd.DataFrame:
    """Return ``n_customers`` rows of seeded synthetic features around the latent groups."""
    rng = np.random.default_rng(seed)
    group = rng.choice(len(GROUP_SHARES), size=n_customers, p=GROUP_SHARES)
    typical = GROUPS.to_numpy()[group]

    frame = pd.DataFrame(typical, columns=GROUPS.columns)
    for column in ("spend", "contacts_per_month", "orders_per_month", "days_since_last_contact"):
        frame[column] *= rng.lognormal(0.0, 0.35, n_customers)
    shares = ["share_product_consultation", "share_after_sales", "share_potential_demand"]
    frame[shares] = np.clip(frame[shares].to_numpy() + rng.normal(0.0, 0.08, (n_customers, 3)), 0.0, 1.0)
    frame["csat_mean_100"] = np.clip(frame["csat_mean_100"] + rng.normal(0.0, 8.0, n_customers), 0.0, 100.0)

    frame.index = pd.Index([f"C{i:08d}" for i in range(n_customers)], name="customer_id")
    return frame


def value_rule_labels(spend: pd.Series) -> pd.Series:
    """Return the default value rule's label per customer: top 10% vip, bottom 30% to be activated."""
    rank = spend.rank(method="first", pct=True)
    labels = np.where(rank > 0.9, "vip", np.where(rank <= 0.3, "to_activate", "regular"))
    return pd.Series(labels, index=spend.index)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers in the synthetic frame")
    parser.add_argument("--k", type=int, default=5, help="clusters requested")
    parser.add_argument("--seed", type=int, default=42, help="seed of the data, the model and the samples")
    parser.add_argument("--sample-size", type=int, default=20_000, help="customers in the silhouette sample")
    args = parser.parse_args()

    features = synthetic_features(args.customers, args.seed)
    labels = value_rule_labels(features["spend"])

    start = time.perf_counter()
    model = CustomerClustering(algorithm="kmeans", n_clusters=args.k, random_state=args.seed).fit(features)
    fitted = time.perf_counter()
    scores = internal_scores(model.transform_features(features), model.labels_, sample_size=args.sample_size,
                             random_state=args.seed)
    scored = time.perf_counter()
    agreement = compare_labelings(labels, pd.Series(model.labels_, index=features.index))
    compared = time.perf_counter()

    print(f"customers: {len(features):,}  estimator: {type(model.estimator_).__name__}  k: {args.k}")
    print(f"prepare + fit:   {fitted - start:7.1f} s")
    print(f"internal scores: {scored - fitted:7.1f} s  (silhouette {scores.silhouette:.3f} "
          f"on {args.sample_size:,} sampled customers)")
    print(f"compare:         {compared - scored:7.1f} s  (ARI {agreement.ari:.3f} against the value rule)")
    print(f"total:           {compared - start:7.1f} s")


if __name__ == "__main__":
    main()
