"""Agreement between rule labels (or tiers) and clusters.

Conventions that hold in this file:

* both labelings are aligned on the customer index before comparing;
* ARI, NMI and AMI are the scikit-learn scores, invariant to renaming
  clusters; HDBSCAN noise (-1) counts as one more cluster in them;
* clusters are matched to labels by the Hungarian method on the contingency
  table (:func:`scipy.optimize.linear_sum_assignment`, maximising the
  customers on the diagonal). A pair is kept only if the label is at least
  as common inside the cluster as among all customers, so a one-to-one
  assignment cannot tie a cluster to a label it hardly contains. Each
  cluster left over goes to the label most of its customers carry, so a
  label may own several clusters and another none. Noise is never matched;
* purity and recall are fractions in [0, 1].
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score, normalized_mutual_info_score

from .clustering_models import NOISE

logger = logging.getLogger(__name__)

DIMENSION_COLUMNS = {"value": "value_tier", "activity": "activity_tier", "need": "need_type"}


@dataclass(frozen=True)
class Agreement:
    """How far a clustering agrees with a labeling.

    Attributes
    ----------
    ari, nmi, ami : float
        Adjusted Rand index, normalised and adjusted mutual information.
    contingency : DataFrame
        Customers per cluster (rows) and label (columns).
    matching : Series
        Cluster id -> matched label; noise and clusters of an empty table are absent.
    purity : DataFrame
        Per label: customers, matched clusters, recall (share of the label's
        customers inside its matched clusters) and purity (share of the
        matched clusters' customers that carry the label).
    """

    ari: float
    nmi: float
    ami: float
    contingency: pd.DataFrame
    matching: pd.Series
    purity: pd.DataFrame


def align(labels: pd.Series, clusters: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return both labelings restricted to their shared customers, in the same order.

    Raises
    ------
    ValueError
        If the two share no customer.
    """
    shared = labels.index.intersection(clusters.index, sort=False)
    if len(shared) == 0:
        raise ValueError(
            f"labels and clusters share no customer id; label ids start {list(labels.index[:3])}, "
            f"cluster ids start {list(clusters.index[:3])}"
        )
    dropped = len(labels) + len(clusters) - 2 * len(shared)
    if dropped:
        logger.info("compared %d shared customers; %d ids were in only one of the labelings", len(shared), dropped)
    return labels.loc[shared], clusters.loc[shared]


def contingency_table(labels: pd.Series, clusters: pd.Series) -> pd.DataFrame:
    """Return customers per cluster (rows, sorted) and label (columns, in order of first appearance)."""
    label_order = pd.unique(labels.to_numpy())
    table = pd.crosstab(clusters.to_numpy(), labels.to_numpy())
    table = table.reindex(columns=label_order, fill_value=0).sort_index()
    table.index.name, table.columns.name = "cluster", "label"
    return table


def match_clusters(contingency: pd.DataFrame) -> pd.Series:
    """Match each cluster to a label, one to one first, then leftovers to their majority label.

    A one-to-one pair is dropped when the label's share inside the cluster
    is below its share among all customers, because such a cluster does not
    favour the label. The cluster then goes to its majority label.

    Parameters
    ----------
    contingency : DataFrame
        Customers per cluster (rows) and label (columns); a row named -1
        (noise) is not matched.

    Returns
    -------
    Series
        Cluster id -> label, indexed like the contingency rows without noise.
    """
    table = contingency.drop(index=NOISE, errors="ignore")
    if table.empty or table.shape[1] == 0:
        return pd.Series(dtype=object, name="label")

    counts = table.to_numpy()
    rows, cols = linear_sum_assignment(counts, maximize=True)
    share_in_cluster = counts / counts.sum(axis=1, keepdims=True).clip(min=1)
    share_overall = counts.sum(axis=0) / max(counts.sum(), 1)
    favoured = share_in_cluster[rows, cols] >= share_overall[cols]
    matching = dict(zip(table.index[rows[favoured]], table.columns[cols[favoured]]))
    for cluster in table.index.difference(list(matching)):
        matching[cluster] = table.loc[cluster].idxmax()

    result = pd.Series(matching, name="label").sort_index()
    result.index.name = "cluster"
    return result


def label_purity(contingency: pd.DataFrame, matching: pd.Series) -> pd.DataFrame:
    """Return, per label, its customers, matched clusters, recall and purity."""
    rows = []
    for label in contingency.columns:
        owned = list(matching.index[matching == label])
        in_owned = int(contingency.loc[owned, label].sum()) if owned else 0
        owned_total = int(contingency.loc[owned].to_numpy().sum()) if owned else 0
        customers = int(contingency[label].sum())
        rows.append({
            "label": label,
            "customers": customers,
            "clusters": ", ".join(str(c) for c in owned),
            "recall": in_owned / customers if customers else np.nan,
            "purity": in_owned / owned_total if owned_total else np.nan,
        })
    return pd.DataFrame(rows).set_index("label")


def compare_labelings(labels: pd.Series, clusters: pd.Series) -> Agreement:
    """Compare rule labels with clusters.

    Parameters
    ----------
    labels : Series
        Rule label (or tier) per customer id.
    clusters : Series
        Cluster id per customer id; -1 is noise.

    Returns
    -------
    Agreement
    """
    labels, clusters = align(labels, clusters)
    # Integer codes: the scores sort their inputs, and sorting a million strings takes seconds.
    truth, found = pd.factorize(labels)[0], pd.factorize(clusters)[0]
    contingency = contingency_table(labels, clusters)
    matching = match_clusters(contingency)
    return Agreement(
        ari=float(adjusted_rand_score(truth, found)),
        nmi=float(normalized_mutual_info_score(truth, found)),
        ami=float(adjusted_mutual_info_score(truth, found)),
        contingency=contingency,
        matching=matching,
        purity=label_purity(contingency, matching),
    )


def dimension_alignment(labels_frame: pd.DataFrame, clusters: pd.Series) -> pd.DataFrame:
    """Return how far each rule dimension's tiers follow the clusters.

    Parameters
    ----------
    labels_frame : DataFrame
        The classification's labels frame, indexed by customer id or with a
        ``customer_id`` column; uses ``value_tier``, ``activity_tier`` and
        ``need_type`` where present.
    clusters : Series
        Cluster id per customer id.

    Returns
    -------
    DataFrame
        One row per dimension with ``ami`` (AMI of its tiers against the
        clusters) and ``ari``.
    """
    frame = labels_frame.set_index("customer_id") if "customer_id" in labels_frame.columns else labels_frame
    rows = []
    for dimension, column in DIMENSION_COLUMNS.items():
        if column not in frame.columns or frame[column].nunique(dropna=True) < 2:
            continue
        tiers, found = align(frame[column].dropna().astype(str), clusters)
        tiers, found = pd.factorize(tiers)[0], pd.factorize(found)[0]
        rows.append({
            "dimension": dimension,
            "ami": float(adjusted_mutual_info_score(tiers, found)),
            "ari": float(adjusted_rand_score(tiers, found)),
        })
    return pd.DataFrame(rows, columns=["dimension", "ami", "ari"]).set_index("dimension")
