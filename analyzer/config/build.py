"""Turn a schema-valid raw dict into the frozen AnalysisConfig (defaults resolved, enums lower-cased)."""
from __future__ import annotations

from typing import Any, Mapping

from analyzer.config.model import (
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


def _tuple(value: Any) -> tuple | None:
    return None if value is None else tuple(value)


def _lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def _metric_names(section: Mapping[str, Any] | None, registry: tuple[str, ...]) -> tuple[str, ...] | None:
    if section is None:
        return None
    methods = section["methods"]
    if isinstance(methods, str):  # "all", any case
        return registry
    by_upper = {name.upper(): name for name in registry}
    return tuple(dict.fromkeys(by_upper[m.upper()] for m in methods))  # de-duplicated, order kept


def _shap(raw: Mapping[str, Any] | None) -> ShapConfig | None:
    if raw is None:
        return None
    fields = dict(raw)
    if "agg_method" in fields:
        fields["agg_method"] = fields["agg_method"].lower()
    if "features_to_explain" in fields:
        fields["features_to_explain"] = tuple(fields["features_to_explain"])
    return ShapConfig(**fields)


def _pdp(raw: Mapping[str, Any] | None) -> PdpConfig | None:
    if raw is None:
        return None
    fields = dict(raw)
    if "features" in fields:
        fields["features"] = tuple(fields["features"])
    return PdpConfig(**fields)


def _methods(raw: Mapping[str, Any]) -> MethodsConfig:
    report = raw.get("report")
    return MethodsConfig(
        pre_training_bias=_metric_names(raw.get("pre_training_bias"), PRE_TRAINING_METRICS),
        post_training_bias=_metric_names(raw.get("post_training_bias"), POST_TRAINING_METRICS),
        ft_encoding=(raw.get("post_training_bias") or {}).get("ft_encoding"),
        shap=_shap(raw.get("shap")),
        pdp=_pdp(raw.get("pdp")),
        report=ReportConfig(**report) if report else ReportConfig(),
        asymmetric_shapley_value=raw.get("asymmetric_shapley_value"),
    )


def _predictor(raw: Mapping[str, Any] | None) -> PredictorConfig | None:
    if raw is None:
        return None
    fields = dict(raw)
    for key in ("content_type", "accept_type"):
        fields[key] = _lower(fields.get(key))
    fields["label_headers"] = _tuple(fields.get("label_headers"))
    return PredictorConfig(**fields)


def build_config(raw: Mapping[str, Any]) -> AnalysisConfig:
    """Build the typed config from a dict that already passed the schema."""
    facets = tuple(
        FacetConfig(
            name_or_index=f["name_or_index"],
            value_or_threshold=tuple(f["value_or_threshold"]) if f.get("value_or_threshold") else None,
            data_type=f.get("data_type"),
        )
        for f in raw.get("facet", ())
    )
    return AnalysisConfig(
        version=raw.get("version", "1.0"),
        dataset_type=raw["dataset_type"].lower(),
        dataset_uri=raw.get("dataset_uri"),
        headers=_tuple(raw.get("headers")),
        label=raw.get("label"),
        predicted_label=raw.get("predicted_label"),
        features=raw.get("features"),
        label_values_or_threshold=_tuple(raw.get("label_values_or_threshold")),
        probability_threshold=float(raw.get("probability_threshold", 0.5)),
        facet=facets,
        group_variable=raw.get("group_variable"),
        excluded_columns=tuple(raw.get("excluded_columns", ())),
        joinsource_name_or_index=raw.get("joinsource_name_or_index"),
        facet_dataset_uri=raw.get("facet_dataset_uri"),
        facet_headers=_tuple(raw.get("facet_headers")),
        predicted_label_dataset_uri=raw.get("predicted_label_dataset_uri"),
        predicted_label_headers=_tuple(raw.get("predicted_label_headers")),
        segment_config=_tuple(raw.get("segment_config")),
        time_series_data_config=raw.get("time_series_data_config"),
        label_data_type=raw.get("label_data_type"),
        methods=_methods(raw.get("methods", {})),
        predictor=_predictor(raw.get("predictor")),
        raw=raw,
    )
