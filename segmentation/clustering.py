"""Rule tiers against clustering: candidate models, the model to compare, and the public names.

The work is split by concept: feature preparation (:mod:`.clustering_prep`),
models (:mod:`.clustering_models`), choosing k (:mod:`.clustering_selection`),
agreement (:mod:`.clustering_compare`), stability
(:mod:`.clustering_stability`), profiles and disagreements
(:mod:`.clustering_profiles`), the conclusion (:mod:`.clustering_conclusion`),
display tables (:mod:`.clustering_report`) and charts
(:mod:`.clustering_plots`). This module fits the candidate models over a k
range, keeps one per algorithm and picks the one to compare with the rules.
Conventions:

* ``features`` is the frame of ``features.build_features`` (index
  ``customer_id``); rule labels are a Series of label keys by customer id;
* every model and sample is seeded from one ``random_state``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from .clustering_compare import Agreement, compare_labelings, dimension_alignment
from .clustering_conclusion import Finding, conclude, conclusion_text
from .clustering_models import ALGORITHMS, CustomerClustering, DegenerateClusteringWarning
from .clustering_prep import FeaturePrep
from .clustering_profiles import cluster_profiles, disagreements
from .clustering_report import (
    data_summary,
    display_disagreements,
    display_profiles,
    latent_truth,
    localise_columns,
    rule_tier_table,
    section,
    sentence,
    truth_agreement,
    write_outputs,
)
from .clustering_selection import choose_k, evaluate_k, internal_scores, score_model
from .clustering_stability import bootstrap_stability
from .i18n import Catalog

logger = logging.getLogger(__name__)

__all__ = [
    "ALGORITHMS", "Agreement", "Candidates", "CustomerClustering", "DegenerateClusteringWarning", "FeaturePrep",
    "Finding", "bootstrap_stability", "choose_k", "cluster_profiles", "cluster_series", "compare_labelings",
    "conclude", "conclusion_text", "data_summary", "dimension_alignment", "disagreements",
    "display_disagreements", "display_profiles", "evaluate_k", "fit_candidates", "internal_scores", "k_range",
    "latent_truth", "localise_columns", "parse_algorithms", "pick_best", "rule_tier_table", "score_model",
    "section", "sentence", "summarise_models", "truth_agreement", "write_outputs",
]

MAX_NOISE_SHARE = 0.2

MESSAGES = Catalog({
    "bad_algorithm": {
        "zh": "未知的算法 {names}；可选：{allowed}，用逗号分隔",
        "en": "unknown algorithm(s) {names}; choose from {allowed}, separated by commas",
    },
    "bad_k_range": {
        "zh": "k_min={k_min}、k_max={k_max} 无效；需要 1 <= k_min <= k_max",
        "en": "k_min={k_min}, k_max={k_max} is invalid; need 1 <= k_min <= k_max",
    },
    "no_eligible": {
        "zh": "没有模型得到 2 个以上的簇且噪声不超过 {bound:.0%}；改用 {algorithm}",
        "en": "no model found 2 or more clusters with at most {bound:.0%} noise; using {algorithm}",
    },
})


def parse_algorithms(text: str, lang: str = "zh") -> list[str]:
    """Split a comma-separated list such as ``"kmeans,gmm"`` into algorithm names, duplicates dropped.

    Raises
    ------
    ValueError
        If a name is not one of :data:`ALGORITHMS` or the list is empty.
    """
    names = [name.strip().lower() for name in str(text).split(",") if name.strip()]
    unknown = [name for name in names if name not in ALGORITHMS]
    if unknown or not names:
        raise ValueError(MESSAGES("bad_algorithm", lang, names=unknown or [text], allowed=", ".join(ALGORITHMS)))
    return list(dict.fromkeys(names))


def k_range(k_min: int, k_max: int, lang: str = "zh") -> list[int]:
    """Return ``[k_min, ..., k_max]``, raising ``ValueError`` unless ``1 <= k_min <= k_max``."""
    if not 1 <= int(k_min) <= int(k_max):
        raise ValueError(MESSAGES("bad_k_range", lang, k_min=k_min, k_max=k_max))
    return list(range(int(k_min), int(k_max) + 1))


@dataclass
class Candidates:
    """Models fitted over a k range and the one kept per algorithm.

    Attributes
    ----------
    scores : DataFrame
        One row per fit, with the columns of ``clustering_selection.evaluate_k``.
    chosen_k : dict of str to int
        The k kept per algorithm (for HDBSCAN, the clusters it found).
    models : dict of str to CustomerClustering
        The kept model per algorithm, fitted on all customers.
    """

    scores: pd.DataFrame
    chosen_k: dict[str, int] = field(default_factory=dict)
    models: dict[str, CustomerClustering] = field(default_factory=dict)


def fit_candidates(features: pd.DataFrame, algorithms: Iterable[str], k_values: Iterable[int], *,
                   random_state: int = 0, sample_size: int = 20_000, lang: str = "zh",
                   **model_params: object) -> Candidates:
    """Fit each algorithm over ``k_values``, score every fit and keep the chosen k.

    Parameters
    ----------
    features : DataFrame of shape (n_customers, n_columns)
    algorithms : iterable of str
        Names from :data:`ALGORITHMS`; HDBSCAN finds its own k and is fitted once.
    k_values : iterable of int
        Requested cluster counts; values above the number of customers are skipped.
    random_state : int, default 0
        Seed of every model and of the silhouette sample.
    sample_size : int, default 20_000
        Silhouette sample size.
    lang : {"zh", "en"}
        Language of notes and warnings.
    **model_params
        Further ``CustomerClustering`` parameters.
    """
    k_values = [k for k in k_values if k <= len(features)]
    candidates = Candidates(scores=pd.DataFrame())
    rows = []
    for algorithm in algorithms:
        fits = {}
        for k in ([1] if algorithm == "hdbscan" else k_values):
            model = CustomerClustering(algorithm=algorithm, n_clusters=k, random_state=random_state, lang=lang,
                                       **model_params)
            fits[k] = model.fit(features)
            rows.append(score_model(model, features, sample_size=sample_size))
        k = 1 if algorithm == "hdbscan" else choose_k(pd.DataFrame(rows[-len(fits):]), lang=lang)
        candidates.models[algorithm] = fits[k]
        candidates.chosen_k[algorithm] = fits[k].n_effective_clusters_ if algorithm == "hdbscan" else k

    candidates.scores = pd.DataFrame(rows)
    return candidates


def cluster_series(model: CustomerClustering, features: pd.DataFrame) -> pd.Series:
    """Return the model's cluster per customer id of ``features``, the frame it was fitted on."""
    return pd.Series(model.labels_, index=features.index, name="cluster")


def summarise_models(candidates: Candidates, features: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Return one row per kept model with its scores and its agreement with the rule labels.

    Returns
    -------
    DataFrame
        Index ``algorithm``; ``k, n_effective, silhouette, noise_share, ari, nmi, ami``.
    """
    rows = []
    scores = candidates.scores
    for algorithm, model in candidates.models.items():
        own = scores[scores["algorithm"] == algorithm]
        row = own[own["k"] == candidates.chosen_k[algorithm]].iloc[0]
        agreement = compare_labelings(labels, cluster_series(model, features))
        rows.append({"algorithm": algorithm, "k": int(row["k"]), "n_effective": int(row["n_effective"]),
                     "silhouette": row["silhouette"], "noise_share": row["noise_share"],
                     "ari": agreement.ari, "nmi": agreement.nmi, "ami": agreement.ami})
    return pd.DataFrame(rows).set_index("algorithm")


def pick_best(summary: pd.DataFrame, max_noise_share: float = MAX_NOISE_SHARE, lang: str = "zh") -> str:
    """Return the algorithm whose kept model has the highest silhouette.

    Models with fewer than 2 effective clusters, or with more than
    ``max_noise_share`` of customers marked noise, are not eligible, because
    their silhouette leaves out the customers they could not place. Ties go
    to the algorithm listed first; with no eligible model the first one is
    returned and the reason is logged.
    """
    eligible = summary[(summary["n_effective"] >= 2) & (summary["noise_share"] <= max_noise_share)]
    eligible = eligible.dropna(subset=["silhouette"])
    if eligible.empty:
        algorithm = str(summary.index[0])
        logger.warning(MESSAGES("no_eligible", lang, bound=max_noise_share, algorithm=algorithm))
        return algorithm
    return str(eligible["silhouette"].idxmax())
