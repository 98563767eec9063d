"""Configuration: JSON Schema validation, cross-field checks, then frozen dataclasses."""
from analyzer.config.loader import (
    DEFAULT_SECTIONS,
    apply_overrides,
    load_config,
    parse_config,
    read_config_file,
    shown_config,
    shown_parsed,
    validate,
)
from analyzer.config.model import (
    CSV,
    DEFAULT_REPORT_NAME,
    DEFAULT_REPORT_TITLE,
    JSON,
    JSONLINES,
    PARQUET,
    POST_TRAINING_METRICS,
    PRE_TRAINING_METRICS,
    PREDICTOR_SOURCES,
    AnalysisConfig,
    FacetConfig,
    MethodsConfig,
    NameOrIndex,
    PdpConfig,
    PredictorConfig,
    ReportConfig,
    ShapConfig,
)

__all__ = [
    "AnalysisConfig", "FacetConfig", "MethodsConfig", "PdpConfig", "PredictorConfig", "ReportConfig",
    "ShapConfig", "CSV", "JSON", "JSONLINES", "PARQUET", "PRE_TRAINING_METRICS", "POST_TRAINING_METRICS",
    "PREDICTOR_SOURCES", "DEFAULT_REPORT_NAME", "DEFAULT_REPORT_TITLE",
    "DEFAULT_SECTIONS", "NameOrIndex", "apply_overrides", "load_config", "parse_config", "read_config_file",
    "shown_config", "shown_parsed", "validate",
]
