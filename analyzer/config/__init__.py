"""Configuration: JSON Schema validation, cross-field checks, then frozen dataclasses."""
from analyzer.config.loader import apply_overrides, load_config, parse_config, read_config_file, validate
from analyzer.config.model import (
    CSV,
    JSON,
    JSONLINES,
    PARQUET,
    POST_TRAINING_METRICS,
    PRE_TRAINING_METRICS,
    AnalysisConfig,
    FacetConfig,
    MethodsConfig,
    PdpConfig,
    PredictorConfig,
    ReportConfig,
    ShapConfig,
)

__all__ = [
    "AnalysisConfig", "FacetConfig", "MethodsConfig", "PdpConfig", "PredictorConfig", "ReportConfig",
    "ShapConfig", "CSV", "JSON", "JSONLINES", "PARQUET", "PRE_TRAINING_METRICS", "POST_TRAINING_METRICS",
    "apply_overrides", "load_config", "parse_config", "read_config_file", "validate",
]
