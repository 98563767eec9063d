"""The typed, frozen analysis configuration that every later stage reads.

Field names follow Clarify's keys. Enum-like strings are lower-cased (Clarify compares them
case-insensitively). Defaults are resolved here, once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

from analyzer.formats import CAPTURE_JSON, CSV, IMAGE, JSON, JSONLINES, PARQUET  # noqa: F401 - re-exported

NameOrIndex = str | int
Scalar = int | float | str | bool
DataType = Literal["categorical", "continuous"]

# Clarify's metric codes (sorted: its output order). The bias registry implements exactly these and the
# schema accepts exactly these (tests/test_names.py keeps them equal).
PRE_TRAINING_METRICS = ("CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD")
POST_TRAINING_METRICS = ("AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE")
# The predictor keys that name where predictions come from; a config gives one of them.
PREDICTOR_SOURCES = ("endpoint_name", "model_name", "endpoint_url", "image_uri", "in_process")
DEFAULT_REPORT_NAME = "report"
DEFAULT_REPORT_TITLE = "SageMaker Analysis Report"


@dataclass(frozen=True)
class FacetConfig:
    name_or_index: NameOrIndex
    value_or_threshold: tuple[Scalar, ...] | None = None
    data_type: DataType | None = None


@dataclass(frozen=True)
class ShapConfig:
    baseline: str | list | dict | None = None
    num_clusters: int | None = None
    num_samples: int | None = None
    agg_method: Literal["mean_abs", "median", "mean_sq"] = "mean_abs"
    use_logit: bool = False
    algorithm: Literal["kernel", "tree_exact"] = "kernel"  # extension
    # Clarify's docs: false when absent (the SDK always writes it, as true by default).
    save_local_shap_values: bool = False
    seed: int | None = None
    features_to_explain: tuple[NameOrIndex, ...] | None = None
    text_config: Mapping[str, Any] | None = None
    image_config: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class PdpConfig:
    grid_resolution: int = 15
    features: tuple[NameOrIndex, ...] | None = None
    top_k_features: int = 10


@dataclass(frozen=True)
class ReportConfig:
    name: str = DEFAULT_REPORT_NAME
    title: str = DEFAULT_REPORT_TITLE


@dataclass(frozen=True)
class MethodsConfig:
    pre_training_bias: tuple[str, ...] | None = None   # metric names, resolved from "all"
    post_training_bias: tuple[str, ...] | None = None
    ft_encoding: Literal["one_hot", "ordinal"] | None = None  # extension: FT on encoded non-numeric columns
    shap: ShapConfig | None = None
    pdp: PdpConfig | None = None
    report: ReportConfig = field(default_factory=ReportConfig)
    asymmetric_shapley_value: Mapping[str, Any] | None = None

    @property
    def needs_bias(self) -> bool:
        return self.pre_training_bias is not None or self.post_training_bias is not None

    @property
    def needs_explanations(self) -> bool:
        return self.shap is not None or self.pdp is not None


@dataclass(frozen=True)
class PredictorConfig:
    model_name: str | None = None
    endpoint_name: str | None = None
    endpoint_name_prefix: str | None = None
    instance_type: str | None = None
    initial_instance_count: int | None = None
    accelerator_type: str | None = None
    target_model: str | None = None
    custom_attributes: str | None = None
    content_type: str | None = None
    accept_type: str | None = None
    content_template: str | None = None
    record_template: str | None = None
    label: NameOrIndex | None = None
    probability: NameOrIndex | None = None
    label_headers: tuple[str, ...] | None = None
    time_series_predictor_config: Mapping[str, Any] | None = None
    # Extensions (documented in the schema and the README).
    endpoint_url: str | None = None
    image_uri: str | None = None
    model_data: str | None = None
    in_process: bool = False
    model_format: str | None = None
    allow_pickle: bool = False
    max_payload_mb: float | None = None
    max_concurrency: int | None = None
    request_timeout_seconds: float | None = None
    max_retries: int | None = None


@dataclass(frozen=True)
class AnalysisConfig:
    dataset_type: str
    methods: MethodsConfig
    version: str = "1.0"
    dataset_uri: str | None = None
    headers: tuple[str, ...] | None = None
    label: NameOrIndex | None = None
    predicted_label: NameOrIndex | None = None
    features: str | None = None
    label_values_or_threshold: tuple[Scalar, ...] | None = None
    probability_threshold: float = 0.5
    facet: tuple[FacetConfig, ...] = ()
    group_variable: NameOrIndex | None = None
    excluded_columns: tuple[NameOrIndex, ...] = ()
    joinsource_name_or_index: NameOrIndex | None = None
    facet_dataset_uri: str | None = None
    facet_headers: tuple[str, ...] | None = None
    predicted_label_dataset_uri: str | None = None
    predicted_label_headers: tuple[str, ...] | None = None
    segment_config: tuple[Mapping[str, Any], ...] | None = None
    time_series_data_config: Mapping[str, Any] | None = None
    label_data_type: DataType | None = None
    predictor: PredictorConfig | None = None
    #: The effective configuration as a plain dict (what was validated, after flags).
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def has_predictions_in_data(self) -> bool:
        return self.predicted_label is not None or self.predicted_label_dataset_uri is not None
