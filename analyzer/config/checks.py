"""Cross-field checks that a JSON Schema cannot express. Each returns problems with JSON paths."""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from analyzer.config.model import PREDICTOR_SOURCES
from analyzer.formats import CSV, IMAGE, JSON, PARQUET, find_format

Raw = Mapping[str, Any]
BIAS = ("pre_training_bias", "post_training_bias")
JsonPath = tuple[str | int, ...]


def _methods(raw: Raw) -> Raw:
    return raw.get("methods") or {}


def _check_dataset_type_given(raw: Raw) -> list[str]:
    if "dataset_type" not in raw:
        return ["$: 'dataset_type' is required (give it in the config or with --dataset-type)."]
    return []


def _check_methods_given(raw: Raw) -> list[str]:
    if not _methods(raw):
        return [
            "$.methods: no analysis requested; add at least one of pre_training_bias, post_training_bias, "
            "shap, pdp (or pass --methods)."
        ]
    return []


def _check_bias(raw: Raw) -> list[str]:
    if not any(m in _methods(raw) for m in BIAS):
        return []
    problems = []
    if not raw.get("label_values_or_threshold"):
        problems.append("$.label_values_or_threshold: required (non-empty) for bias metrics.")
    if not raw.get("facet"):
        problems.append("$.facet: required (non-empty) for bias metrics.")
    if raw.get("label") is None:
        problems.append("$.label: required for bias metrics (the label column name, index or JMESPath).")
    return problems


def _check_features_path(raw: Raw) -> list[str]:
    kind = str(raw.get("dataset_type", "")).lower()
    readable = find_format(kind)
    if readable and readable.needs_features and not raw.get("features") and "time_series_data_config" not in raw:
        return [f"$.features: required for dataset_type {kind} (a JMESPath to the feature values)."]
    return []


def _predictor_sources(predictor: Raw) -> list[str]:
    return [k for k in PREDICTOR_SOURCES if predictor.get(k)]


def _check_predictor(raw: Raw) -> list[str]:
    predictor = raw.get("predictor")
    methods = _methods(raw)
    needs_model = any(m in methods for m in ("shap", "pdp", "asymmetric_shapley_value")) or (
        "post_training_bias" in methods
        and raw.get("predicted_label") is None
        and raw.get("predicted_label_dataset_uri") is None
    )
    if predictor is None:
        if needs_model:
            return ["$.predictor: required: the requested methods need model predictions "
                    "(or give predicted_label / predicted_label_dataset_uri for post-training bias)."]
        return []
    problems = []
    sources = _predictor_sources(predictor)
    if needs_model and not sources:
        problems.append(f"$.predictor: give exactly one of {', '.join(PREDICTOR_SOURCES)}.")
    if "endpoint_name" in sources and "model_name" in sources:
        problems.append("$.predictor: give either endpoint_name or model_name, not both.")
    if len(set(sources) - {"model_name"}) > 1 or ("model_name" in sources and set(sources) & {"endpoint_url"}):
        problems.append(f"$.predictor: {', '.join(sources)} are alternatives; give only one.")
    if predictor.get("endpoint_name_prefix") and predictor.get("endpoint_name"):
        problems.append("$.predictor.endpoint_name_prefix: only allowed with model_name, not with endpoint_name.")
    if predictor.get("model_name") and not predictor.get("endpoint_name"):
        for key in ("instance_type", "initial_instance_count"):
            if key not in predictor:
                problems.append(f"$.predictor.{key}: required with model_name.")
    if predictor.get("image_uri") and not predictor.get("model_data"):
        problems.append("$.predictor.model_data: required with image_uri (a directory or .tar.gz of model files).")
    if predictor.get("in_process") and not predictor.get("model_data"):
        problems.append("$.predictor.model_data: required with in_process (a model file, a directory or a .tar.gz).")
    kind = str(raw.get("dataset_type", "")).lower()
    if kind == PARQUET and sources and not predictor.get("content_type"):
        problems.append("$.predictor.content_type: required when dataset_type is application/x-parquet.")
    return problems


def _check_shap(raw: Raw) -> list[str]:
    shap = _methods(raw).get("shap")
    if shap is None:
        return []
    problems = []
    if "baseline" in shap and "num_clusters" in shap:
        problems.append("$.methods.shap: 'baseline' and 'num_clusters' are mutually exclusive.")
    if shap.get("features_to_explain") and (shap.get("text_config") or shap.get("image_config")):
        problems.append("$.methods.shap.features_to_explain: not supported with text_config or image_config.")
    return problems


def _check_pdp(raw: Raw) -> list[str]:
    methods = _methods(raw)
    if "pdp" in methods and "shap" not in methods and not methods["pdp"].get("features"):
        return ["$.methods.pdp.features: required when methods.shap is absent."]
    return []


def _check_joins(raw: Raw) -> list[str]:
    problems = []
    kind = str(raw.get("dataset_type", "")).lower()
    for key in ("facet_dataset_uri", "predicted_label_dataset_uri"):
        if raw.get(key) and kind != CSV:
            problems.append(f"$.{key}: only supported with dataset_type text/csv (got {kind}).")
    for uri, headers in (("facet_dataset_uri", "facet_headers"),
                         ("predicted_label_dataset_uri", "predicted_label_headers")):
        if raw.get(headers) and not raw.get(uri):
            problems.append(f"$.{headers}: only meaningful together with {uri}.")
    return problems


def _check_time_series(raw: Raw) -> list[str]:
    problems = []
    if "time_series_data_config" in raw and str(raw.get("dataset_type", "")).lower() != JSON:
        problems.append("$.time_series_data_config: requires dataset_type application/json.")
    if "asymmetric_shapley_value" in _methods(raw) and "time_series_data_config" not in raw:
        problems.append("$.methods.asymmetric_shapley_value: requires time_series_data_config.")
    ts = raw.get("time_series_data_config")
    if ts:
        paths = [ts.get(k) for k in ("target_time_series", "item_id", "timestamp")]
        if len({type(p) for p in paths}) > 1:
            problems.append("$.time_series_data_config: target_time_series, item_id and timestamp must be "
                            "all strings (JMESPath) or all integers (indices).")
        if isinstance(paths[0], str) and "dataset_format" not in ts:
            problems.append("$.time_series_data_config.dataset_format: required when the fields are JMESPath strings.")
    return problems


def _check_excluded_columns(raw: Raw) -> list[str]:
    if raw.get("excluded_columns") and str(raw.get("dataset_type", "")).lower() == IMAGE:
        return ["$.excluded_columns: only supported for tabular dataset types."]
    return []


#: Each check with the paths it reads. A check runs only when the schema accepted every one of
#: them (and every container above them), so `validate` can report schema and cross-field
#: problems at once without a check tripping over, or repeating, a value the schema rejected.
CHECKS: tuple[tuple[Callable[[Raw], list[str]], tuple[str, ...]], ...] = (
    (_check_dataset_type_given, ("dataset_type",)),
    (_check_methods_given, ("methods",)),
    (_check_bias, ("methods", "label_values_or_threshold", "facet", "label")),
    (_check_features_path, ("dataset_type", "features", "time_series_data_config")),
    (_check_predictor, ("predictor", "methods", "predicted_label", "predicted_label_dataset_uri", "dataset_type")),
    (_check_shap, ("methods.shap",)),
    (_check_pdp, ("methods.pdp", "methods.pdp.features", "methods.shap")),
    (_check_joins, ("dataset_type", "facet_dataset_uri", "predicted_label_dataset_uri", "facet_headers",
                    "predicted_label_headers")),
    (_check_time_series, ("time_series_data_config", "dataset_type", "methods.asymmetric_shapley_value",
                          "time_series_data_config.target_time_series", "time_series_data_config.item_id",
                          "time_series_data_config.timestamp", "time_series_data_config.dataset_format")),
    (_check_excluded_columns, ("excluded_columns", "dataset_type")),
)


def _blocked(reads: tuple[str, ...], invalid: Sequence[JsonPath]) -> bool:
    """True when a rejected value is one of ``reads`` or a container of one."""
    for dotted in reads:
        read = tuple(dotted.split("."))
        if any(len(bad) <= len(read) and tuple(map(str, bad)) == read[:len(bad)] for bad in invalid):
            return True
    return False


def cross_field_problems(raw: Raw, invalid: Sequence[JsonPath] = ()) -> list[str]:
    """Problems of the checks whose inputs the schema accepted (``invalid``: paths it rejected)."""
    problems: list[str] = []
    for check, reads in CHECKS:
        if _blocked(reads, invalid):
            continue
        try:
            problems.extend(check(raw))
        except (AttributeError, TypeError, KeyError, ValueError):
            # Only possible on schema-invalid input the declared reads did not cover: the schema
            # problems already describe it.
            if not invalid:
                raise
    return problems
