"""The optional clustering check of the quarterly review: do data-driven clusters agree with the labels?

Conventions for the whole file:

* the check runs at the end of the quarter: customers are classified at the
  quarter end minus one second and their features clustered with k-means,
  one cluster per configured label, seeded by ``seed`` so a run repeats;
* agreement is measured with the adjusted Rand index (ARI) and normalised
  and adjusted mutual information (NMI, AMI), all from
  :mod:`segmentation.clustering`; cluster quality with the silhouette
  (computed on a seeded sample of at most :data:`SILHOUETTE_SAMPLE`
  customers);
* the full comparison (several algorithms, a k range, bootstrap stability)
  is the tiers-versus-clustering notebook's job; this section only gives
  the meeting its headline numbers.
"""

from __future__ import annotations

import logging
import warnings

import pandas as pd

from . import clustering
from .classification import classify
from .clustering_report import HEADERS
from .i18n import Catalog
from .kpi_quarter import ONE_SECOND, QuarterData
from .kpi_result import Section

logger = logging.getLogger(__name__)

ALGORITHM = "kmeans"
ALGORITHM_NAME = "k-means"
SILHOUETTE_SAMPLE = 5000
# k-means puts every customer in a cluster, so the noise share (always 0) is left out of the meeting table.
TABLE_COLUMNS = {"k": "{:d}", "n_effective": "{:d}", "silhouette": "{:.2f}", "ari": "{:.3f}", "nmi": "{:.3f}",
                 "ami": "{:.3f}"}

MESSAGES = Catalog({
    "k": {"zh": "簇数 k", "en": "clusters (k)"},
    "summary": {
        "zh": "季度末用 k-means（k = {k}，随机种子 {seed}）对客户特征聚类，与规则标签的一致程度：ARI {ari:.3f}，"
              "NMI {nmi:.3f}；轮廓系数 {silhouette:.2f}。ARI 越接近 1，规则分层与数据自然分组越一致；"
              "完整对照见分层与聚类对照笔记本。",
        "en": "At the quarter end, k-means (k = {k}, seed {seed}) on the customer features agrees with the rule "
              "labels at ARI {ari:.3f} and NMI {nmi:.3f}; silhouette {silhouette:.2f}. The closer ARI is to 1, "
              "the more the rule tiers follow the data's own groups; the tiers-versus-clustering notebook has "
              "the full comparison.",
    },
})


def clustering_section(data: QuarterData, seed: int = 42, lang: str = "zh") -> Section:
    """Cluster the customers at the quarter end and measure agreement with their rule labels.

    Parameters
    ----------
    data : QuarterData
        The quarter under review.
    seed : int, default 42
        Seed of k-means and of the silhouette sample.
    lang : {"zh", "en"}
        Language of the classifier's and the clustering's notes.

    Returns
    -------
    Section
        Key ``clustering``. The table has one row (index ``algorithm``)
        with ``k, n_effective, silhouette, noise_share, ari, nmi, ami`` as
        :func:`segmentation.clustering.summarise_models` returns them;
        ``notes`` hold ``seed``.
    """
    as_of = data.end - ONE_SECOND
    # The review classified at this instant already and kept its UserWarnings, so repeats are dropped.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        classification = classify(data.tables, data.config, as_of=as_of, lang=lang)
    features = classification.features
    labels = classification.labels.set_index("customer_id")["label"]

    candidates = clustering.fit_candidates(features, [ALGORITHM], [len(data.config.labels)], random_state=seed,
                                           sample_size=SILHOUETTE_SAMPLE, lang=lang)
    summary = clustering.summarise_models(candidates, features, labels)
    logger.info("clustering check at %s: ARI %.3f", as_of, summary.loc[ALGORITHM, "ari"])
    return Section("clustering", table=summary, notes={"seed": seed})


def clustering_markdown(section: Section, lang: str = "zh") -> str:
    """Return the sentence with the headline agreement numbers of :func:`clustering_section`."""
    row = section.table.loc[ALGORITHM]
    return MESSAGES("summary", lang, k=int(row["k"]), seed=section.notes["seed"], ari=row["ari"],
                    nmi=row["nmi"], silhouette=row["silhouette"])


def clustering_table(section: Section, lang: str = "zh") -> pd.DataFrame:
    """Return the clustering row as display text with headers in ``lang``, indexed by the algorithm's name."""
    row = section.table.loc[ALGORITHM]
    cells = {}
    for column, template in TABLE_COLUMNS.items():
        value = row[column]
        header = MESSAGES(column, lang) if column in MESSAGES else HEADERS(column, lang)
        if pd.isna(value):
            cells[header] = ["—"]
        else:
            cells[header] = [template.format(int(value) if template == "{:d}" else float(value))]
    return pd.DataFrame(cells, index=pd.Index([ALGORITHM_NAME], name=HEADERS("algorithm", lang)))
