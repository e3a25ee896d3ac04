"""Customer-segmentation workbench for customer-service analysts.

The public API is re-exported here; each concept lives in its own module.
"""

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

__all__ = [
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
]
