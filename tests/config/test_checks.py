"""Cross-field checks, defaults and the typed result."""
from __future__ import annotations

import dataclasses

import pytest

from analyzer.config import apply_overrides, parse_config, validate
from analyzer.config.model import POST_TRAINING_METRICS, PRE_TRAINING_METRICS
from analyzer.errors import ConfigError

PRE = {"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1],
       "facet": [{"name_or_index": "s"}], "methods": {"pre_training_bias": {"methods": "all"}}}


def _problems(**changes) -> list[str]:
    raw = {**PRE, **changes}
    return validate({k: v for k, v in raw.items() if v is not None})


@pytest.mark.parametrize("changes, expected", [
    ({"label_values_or_threshold": None}, "$.label_values_or_threshold: required (non-empty) for bias metrics."),
    ({"facet": None}, "$.facet: required (non-empty) for bias metrics."),
    ({"label": None}, "$.label: required for bias metrics"),
    ({"dataset_type": "application/jsonlines"}, "$.features: required for dataset_type application/jsonlines"),
    ({"dataset_type": None}, "$: 'dataset_type' is required"),
    ({"methods": {}}, "$.methods: no analysis requested"),
    ({"methods": {"post_training_bias": {"methods": "all"}}}, "$.predictor: required"),
    ({"methods": {"shap": {}}}, "$.predictor: required"),
    ({"predictor": {"endpoint_name": "a", "model_name": "b"}}, "give either endpoint_name or model_name"),
    ({"predictor": {"endpoint_name": "a", "endpoint_name_prefix": "p"}}, "endpoint_name_prefix: only allowed with model_name"),
    ({"predictor": {"model_name": "m"}}, "$.predictor.instance_type: required with model_name."),
    ({"methods": {"shap": {"baseline": [[1]], "num_clusters": 2}}, "predictor": {"endpoint_name": "e"}},
     "'baseline' and 'num_clusters' are mutually exclusive"),
    ({"methods": {"pdp": {"grid_resolution": 5}}, "predictor": {"endpoint_name": "e"}},
     "$.methods.pdp.features: required when methods.shap is absent."),
    ({"dataset_type": "application/x-parquet", "methods": {"shap": {}}, "predictor": {"endpoint_name": "e"}},
     "$.predictor.content_type: required when dataset_type is application/x-parquet."),
    ({"dataset_type": "application/jsonlines", "features": "f", "facet_dataset_uri": "x.csv"},
     "$.facet_dataset_uri: only supported with dataset_type text/csv"),
    ({"facet_headers": ["a"]}, "$.facet_headers: only meaningful together with facet_dataset_uri."),
    ({"predictor": {"image_uri": "img"}}, "$.predictor.model_data: required with image_uri"),
    ({"predictor": {"endpoint_url": "http://127.0.0.1:1/invocations", "endpoint_name": "e"}}, "are alternatives"),
    ({"time_series_data_config": {"target_time_series": "a", "item_id": "b", "timestamp": "c"}},
     "$.time_series_data_config: requires dataset_type application/json."),
])
def test_cross_field_problem(changes: dict, expected: str) -> None:
    problems = _problems(**changes)
    assert any(expected in p for p in problems), problems


def test_post_training_with_predictions_in_data_needs_no_predictor() -> None:
    assert _problems(methods={"post_training_bias": {"methods": "all"}}, predicted_label="p") == []
    assert _problems(methods={"post_training_bias": {"methods": "all"}}, predicted_label_dataset_uri="p.csv") == []


def test_defaults_and_normalisation() -> None:
    config = parse_config({**PRE, "methods": {"pre_training_bias": {"methods": "ALL"},
                                              "post_training_bias": {"methods": ["di", "DPPL", "DI"]},
                                              "shap": {"agg_method": "MEAN_SQ"}},
                           "predictor": {"endpoint_name": "e", "content_type": "TEXT/CSV"}})
    assert config.methods.pre_training_bias == PRE_TRAINING_METRICS
    assert config.methods.post_training_bias == ("DI", "DPPL")
    assert config.methods.shap.agg_method == "mean_sq"
    assert config.methods.shap.save_local_shap_values is False  # Clarify docs: false when absent
    assert config.methods.report.name == "report"
    assert config.probability_threshold == 0.5
    assert config.predictor.content_type == "text/csv"
    assert sorted(POST_TRAINING_METRICS) == list(POST_TRAINING_METRICS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.label = "other"  # type: ignore[misc]


def test_monitor_style_partial_config_loads_with_flags() -> None:
    # Model Monitor bias config (spec §5.2): no dataset_type, no methods.
    monitor = {"label_values_or_threshold": [1], "facet": [{"name_or_index": "s"}], "headers": ["s", "y"], "label": "y"}
    problems = validate(monitor)
    assert any("dataset_type" in p for p in problems) and any("no analysis requested" in p for p in problems)
    raw = apply_overrides(monitor, dataset_type="text/csv", methods=("pre_training_bias",))
    config = parse_config(raw)
    assert config.dataset_type == "text/csv"
    assert config.methods.pre_training_bias == PRE_TRAINING_METRICS
    assert "methods" not in monitor  # the caller's dict is untouched


def test_flags_never_replace_config_values() -> None:
    raw = apply_overrides(PRE, dataset_type="application/json", methods=("pre_training_bias",))
    assert raw["dataset_type"] == "text/csv"
    assert raw["methods"] == PRE["methods"]


def test_unknown_methods_flag_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="--methods: unknown section 'bias'"):
        apply_overrides(PRE, methods=("bias",))
