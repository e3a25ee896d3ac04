"""Customer-segmentation workbench for customer-service analysts.

The public API is re-exported here; each concept lives in its own module.
Names from modules that need scikit-learn, papermill or nbconvert are loaded
on first use (PEP 562), so ``import segmentation`` and the CLI start fast.

Examples
--------
>>> import segmentation as seg
>>> tables = seg.load_source("sample")                      # doctest: +SKIP
>>> result = seg.classify(tables, as_of="2024-06-30")       # doctest: +SKIP
>>> result.labels["label"].value_counts()                   # doctest: +SKIP
"""

from __future__ import annotations

import importlib

from .config import Config, load_config
from .errors import (
    CalendarCoverageError,
    ConfigError,
    DataValidationError,
    EncodingDetectionError,
    ParameterError,
    Problem,
    SegmentationError,
)

__version__ = "0.1.0"

_LAZY_EXPORTS = {
    "ensure_sample": "sample",
    "generate_sample": "sample",
    "write_sample": "sample",
    "load_source": "loading",
    "QualityReport": "quality",
    "parse_quarter": "periods",
    "parse_month": "periods",
    "quarter_of": "periods",
    "month_of": "periods",
    "build_features": "features",
    "Classification": "classification",
    "classify": "classification",
    "ValueTierer": "tiers",
    "tier_counts": "tiers",
    "add_display_names": "labels",
    "apply_overrides": "overrides",
    "summarize_overrides": "overrides",
    "reclassify": "review",
    "save_snapshot": "review",
    "load_snapshot": "review",
    "load_history": "review",
    "build_register": "register",
    "write_register": "register",
    "working_minutes": "workcalendar",
    "sla_outcomes": "sla",
    "sla_attainment": "sla",
    "quarterly_review": "kpi",
    "QuarterlyReview": "kpi",
    "CustomerClustering": "clustering",
    "FeaturePrep": "clustering",
    "compare_labelings": "clustering",
    "bootstrap_stability": "clustering",
    "dimension_scores": "scoring",
    "DimensionScores": "scoring",
    "run_tuning": "tuning_run",
    "TuningResult": "tuning_run",
    "run_notebook": "runner",
    "NotebookRunError": "runner_failure",
    "export_html": "render",
    "write_index": "render",
}

__all__ = sorted([
    "CalendarCoverageError",
    "Config",
    "ConfigError",
    "DataValidationError",
    "EncodingDetectionError",
    "ParameterError",
    "Problem",
    "SegmentationError",
    "__version__",
    "load_config",
    *_LAZY_EXPORTS,
])


def __getattr__(name: str) -> object:
    module_name = _LAZY_EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'segmentation' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module_name}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
