"""Cluster profiles in original units and the list of customers the rules and clusters disagree on.

Conventions that hold in this file:

* profiles use the raw feature frame: money in the data's currency, rates
  per month, shares as fractions in [0, 1], CSAT on 0-100;
* money and rates are summarised by medians, which a few large customers
  cannot move. Shares and the repeat-purchase flag are summarised by means,
  and the mean of the flag is the repeat rate;
* deviations that explain a disagreement are in the scaled, unweighted
  space of the model's preparation (standard deviations with the
  default scaler), measured from the median customer of the rule label;
* the disagreement list carries customer ids and numbers only, never names,
  phones or e-mails.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .clustering_models import NOISE, CustomerClustering
from .clustering_prep import feature_name

logger = logging.getLogger(__name__)

PROFILE_MEDIANS = ("spend", "avg_order_value", "contacts_per_month", "orders_per_month",
                   "days_since_last_order", "csat_mean_100", "tenure_days")
PROFILE_MEANS = ("share_product_consultation", "share_after_sales", "share_potential_demand", "repeat_purchase")


def cluster_profiles(features: pd.DataFrame, clusters: pd.Series, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Describe each cluster in original units so an analyst can name it.

    Parameters
    ----------
    features : DataFrame
        Raw customer features, indexed by customer id.
    clusters : Series
        Cluster id per customer id; noise (-1) gets its own row.
    columns : sequence of str, optional
        Restrict the profile to these feature columns, e.g. the columns the
        model clustered (``FeaturePrep.columns_``); default every profile column present.

    Returns
    -------
    DataFrame
        Index ``cluster``; ``size``, ``share`` (of all customers) and the
        median or mean of each profile column the features have. Columns
        that are entirely NaN (e.g. CSAT in orders-only data) are left out.
    """
    frame = features.loc[clusters.index]
    groups = frame.groupby(clusters.to_numpy(), sort=True)
    profile = pd.DataFrame({"size": groups.size()})
    profile["share"] = profile["size"] / len(frame)

    selected = set(frame.columns if columns is None else columns) & set(frame.columns)
    for column in PROFILE_MEDIANS:
        if column in selected:
            profile[column] = groups[column].median()
    for column in PROFILE_MEANS:
        if column in selected:
            profile[column] = frame[column].astype("float64").groupby(clusters.to_numpy(), sort=True).mean()

    profile.index.name = "cluster"
    return profile.dropna(axis=1, how="all")


def explain_deviation(scaled: pd.DataFrame, labels: pd.Series, n_reasons: int = 3,
                      lang: str = "zh") -> pd.DataFrame:
    """Name the features that move each customer furthest from their rule label's median customer.

    Parameters
    ----------
    scaled : DataFrame
        Scaled, unweighted features (``FeaturePrep.scaled_frame``), indexed by customer id.
    labels : Series
        Rule label per customer id, aligned with ``scaled``.
    n_reasons : int, default 3
        Features named per customer.

    Returns
    -------
    DataFrame
        ``explanation`` (e.g. ``"contacts per month +2.10; spend -1.05"``)
        and ``max_deviation`` (the largest absolute deviation).
    """
    typical = scaled.groupby(labels.to_numpy()).median()
    deviation = scaled.to_numpy() - typical.loc[labels.to_numpy()].to_numpy()
    order = np.argsort(-np.abs(deviation), axis=1, kind="stable")[:, :n_reasons]

    names = [feature_name(column, lang) for column in scaled.columns]
    texts = []
    for row, picks in zip(deviation, order):
        texts.append("; ".join(f"{names[j]} {row[j]:+.2f}" for j in picks))
    return pd.DataFrame({"explanation": texts, "max_deviation": np.abs(deviation).max(axis=1)}, index=scaled.index)


def disagreements(model: CustomerClustering, features: pd.DataFrame, labels: pd.Series,
                  matching: Mapping[int, str] | pd.Series, top: int | None = 20, n_reasons: int = 3,
                  lang: str = "zh") -> pd.DataFrame:
    """List customers whose cluster points to a different label than the rules gave them.

    Parameters
    ----------
    model : CustomerClustering
        Fitted on ``features``.
    features : DataFrame
        Raw customer features the model was fitted on, indexed by customer id.
    labels : Series
        Rule label per customer id.
    matching : mapping or Series
        Cluster id -> matched label (``Agreement.matching``).
    top : int or None, default 20
        Rows returned, most confident first; None returns all.
    n_reasons : int, default 3
        Features named in ``explanation``.

    Returns
    -------
    DataFrame
        Index ``customer_id``; ``rule_label``, ``cluster``, ``cluster_label``,
        ``confidence`` (the model's confidence in the cluster, in [0, 1]),
        ``explanation`` and ``max_deviation``. Noise customers are left out.
    """
    clusters = pd.Series(model.labels_, index=features.index)
    labels = labels.reindex(features.index)
    pointed = clusters.map(dict(matching))
    differs = (clusters != NOISE) & labels.notna() & pointed.notna() & (pointed != labels)

    scaled = model.prep_.scaled_frame(features)
    reasons = explain_deviation(scaled, labels.fillna("?"), n_reasons=n_reasons, lang=lang)
    table = pd.DataFrame({
        "rule_label": labels,
        "cluster": clusters,
        "cluster_label": pointed,
        "confidence": pd.Series(model.confidence_, index=features.index),
    }).join(reasons)[differs.to_numpy()]

    table.index.name = "customer_id"
    table = table.sort_values(["confidence", "customer_id"], ascending=[False, True], kind="stable")
    logger.info("%d of %d customers sit in a cluster matched to another label", len(table), len(features))
    return table if top is None else table.head(top)
