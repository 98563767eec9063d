"""The JSON Schema covers Clarify's keys, rejects unknown ones and reports every problem with its path."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.config import parse_config, validate
from analyzer.config.schema import load_schema
from analyzer.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[2] / "config_schema" / "examples"

# SDK-generated configs from the contract (spec §1.5, E1–E8) and the docs-only variants.
E1 = {"dataset_type": "text/csv", "headers": ["Target", "Age", "Gender", "Income", "Occupation"], "label": "Target",
      "label_values_or_threshold": [1], "facet": [{"name_or_index": "Gender", "value_or_threshold": [0]}],
      "group_variable": "Occupation",
      "methods": {"report": {"name": "report", "title": "Analysis Report"},
                  "pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
      "predictor": {"model_name": "my-model", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1,
                    "accept_type": "text/csv", "content_type": "text/csv"},
      "probability_threshold": 0.8}
E3_SHAP = {"use_logit": False, "save_local_shap_values": True, "num_clusters": 2}
E4 = {"dataset_type": "application/jsonlines", "features": "features",
      "headers": ["Age", "Gender", "Income", "Occupation", "Target"], "label": "label",
      "label_values_or_threshold": [1], "facet": [{"name_or_index": "Gender", "value_or_threshold": [0]}],
      "group_variable": "Occupation",
      "methods": {"report": {"name": "report", "title": "Analysis Report"},
                  "pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"},
                  "shap": {"use_logit": False, "save_local_shap_values": True,
                           "baseline": [{"features": [40, 1, 3000, 2]}], "num_samples": 50, "agg_method": "mean_abs"}},
      "predictor": {"model_name": "my-model", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1,
                    "accept_type": "application/jsonlines", "content_type": "application/jsonlines",
                    "content_template": "{\"features\":$features}", "label": "predicted_label", "probability": "score"}}
E6 = {"dataset_type": "application/json", "features": "[*].features",
      "headers": ["Age", "Gender", "Income", "Occupation", "Target"], "label": "[*].label",
      "label_values_or_threshold": [1], "facet": [{"name_or_index": "Gender", "value_or_threshold": [0]}],
      "group_variable": "Occupation",
      "methods": {"report": {"name": "report", "title": "Analysis Report"}, "post_training_bias": {"methods": "all"}},
      "predictor": {"endpoint_name": "existing-ep", "accept_type": "application/json",
                    "content_type": "application/json", "content_template": "{\"instances\":$records}",
                    "record_template": "$features_kvp", "label": "predictions[*].predicted_label"}}
E7 = {"dataset_type": "text/csv", "headers": ["Target", "Age", "Gender", "Income", "Occupation", "Id"],
      "label": "Target", "joinsource_name_or_index": "Id", "predicted_label_dataset_uri": "s3://b/pred.csv",
      "predicted_label_headers": ["Id", "pred"], "predicted_label": "pred", "label_values_or_threshold": [1],
      "facet": [{"name_or_index": "Gender", "value_or_threshold": [0]}, {"name_or_index": "Age", "value_or_threshold": [40]}],
      "methods": {"report": {"name": "report", "title": "Analysis Report"}, "pre_training_bias": {"methods": "all"},
                  "post_training_bias": {"methods": ["DPPL", "DI"]}}}
E8 = {"dataset_type": "application/json", "headers": ["item_id", "timestamp", "p_mbar", "rain_mm", "T_degC"],
      "methods": {"asymmetric_shapley_value": {"baseline": {"related_time_series": "zero", "target_time_series": "zero"},
                                               "direction": "chronological", "granularity": "fine_grained", "num_samples": 2},
                  "report": {"name": "report", "title": "Analysis Report"}},
      "predictor": {"accept_type": "application/json", "content_type": "application/json",
                    "content_template": "{\"instances\": $record}", "endpoint_name": "ep",
                    "record_template": "{\"start\": $start_time, \"target\": $target_time_series, \"dynamic_feat\": $related_time_series}",
                    "time_series_predictor_config": {"forecast": "predictions.mean"}},
      "time_series_data_config": {"dataset_format": "timestamp_records", "item_id": "[].item_id",
                                  "related_time_series": ["[].rain_mm", "[].T_degC"], "target_time_series": "[].p_mbar",
                                  "timestamp": "[].timestamp"}}


def _with(base: dict, **changes) -> dict:
    out = json.loads(json.dumps(base))
    out.update(changes)
    return out


SDK_CONFIGS = {
    "E1": E1,
    "E2": {"dataset_type": "text/csv", "headers": ["Target", "Age", "Gender", "Income", "Occupation"], "label": "Target",
           "predictor": E1["predictor"],
           "methods": {"report": {"name": "report", "title": "Analysis Report"},
                       "shap": {"use_logit": False, "save_local_shap_values": True, "baseline": [[35, 0, 3000, 1]],
                                "num_samples": 100, "agg_method": "mean_abs", "seed": 123}}},
    "E3": _with(E1, methods={**E1["methods"], "shap": E3_SHAP,
                             "pdp": {"grid_resolution": 10, "top_k_features": 10, "features": ["Age", "Income"]}},
                predictor={**E1["predictor"], "probability": 0}, probability_threshold=0.5),
    "E4": E4,
    "E5": {"dataset_type": "application/jsonlines", "features": "features",
           "predictor": {"model_name": "my-model", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1,
                         "accept_type": "application/jsonlines", "content_type": "application/jsonlines",
                         "content_template": "{\"features\":$features}", "label": "score"},
           "methods": {"report": {"name": "report", "title": "Analysis Report"},
                       "shap": {"use_logit": False, "save_local_shap_values": True}}},
    "E6": E6,
    "E7": E7,
    "E8": E8,
    "docs-minimal-pre": {"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1],
                         "facet": [{"name_or_index": "s"}], "methods": {"pre_training_bias": {"methods": "all"}}},
    "docs-endpoint-label": {"dataset_type": "text/csv", "label": 0, "methods": {"shap": {"num_clusters": 1}},
                            "predictor": {"endpoint_name": "your_endpoint", "label": 0}},
}


@pytest.mark.parametrize("name", sorted(SDK_CONFIGS))
def test_sdk_generated_configs_are_valid(name: str) -> None:
    assert validate(SDK_CONFIGS[name]) == []
    parse_config(SDK_CONFIGS[name])


def test_bundled_examples_are_valid() -> None:
    examples = sorted(EXAMPLES.glob("*.json"))
    assert examples, "config_schema/examples should hold example configs"
    for path in examples:
        assert validate(json.loads(path.read_text())) == [], path.name


def test_schema_is_draft_2020_12_and_closed_everywhere() -> None:
    schema = load_schema()
    assert schema["$schema"].endswith("2020-12/schema")

    def walk(node, path="$"):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                assert node.get("additionalProperties") is False, f"{path} accepts unknown keys"
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    walk(schema)


def test_every_contract_key_is_in_the_schema() -> None:
    props = load_schema()["properties"]
    top = {"version", "dataset_type", "dataset_uri", "headers", "label", "predicted_label", "features",
           "label_values_or_threshold", "probability_threshold", "facet", "group_variable", "excluded_columns",
           "joinsource_name_or_index", "facet_dataset_uri", "facet_headers", "predicted_label_dataset_uri",
           "predicted_label_headers", "segment_config", "time_series_data_config", "methods", "predictor"}
    assert top <= set(props)
    assert {"pre_training_bias", "post_training_bias", "shap", "pdp", "report",
            "asymmetric_shapley_value"} == set(props["methods"]["properties"])
    shap = set(props["methods"]["properties"]["shap"]["properties"])
    assert shap == {"baseline", "num_clusters", "num_samples", "agg_method", "use_logit", "save_local_shap_values",
                    "seed", "features_to_explain", "text_config", "image_config",
                    "algorithm"}  # algorithm: our extension (tree_exact)
    predictor = set(props["predictor"]["properties"])
    assert {"model_name", "endpoint_name", "endpoint_name_prefix", "instance_type", "initial_instance_count",
            "accelerator_type", "target_model", "custom_attributes", "content_type", "accept_type",
            "content_template", "record_template", "label", "probability", "label_headers",
            "time_series_predictor_config"} <= predictor


@pytest.mark.parametrize("value", ["TEXT/CSV", "Application/JSONLines", "application/X-PARQUET"])
def test_enums_are_case_insensitive_and_normalised(value: str) -> None:
    raw = _with(SDK_CONFIGS["docs-minimal-pre"], dataset_type=value)
    if "json" in value.lower():
        raw["features"] = "features"
    config = parse_config(raw)
    assert config.dataset_type == value.lower()


def test_all_problems_reported_at_once_with_paths_and_did_you_mean() -> None:
    raw = {"dataset_type": "text/cvs", "lable": "y", "probability_threshold": "high",
           "facet": [{"name_or_index": "s", "value_or_treshold": [1]}],
           "methods": {"pre_training_bias": {"methods": ["CI", "XYZ"]}, "shapp": {}}}
    problems = validate(raw)
    assert problems == [
        "$: unknown key 'lable'. Did you mean 'label'?",
        "$.dataset_type: 'text/cvs' is not valid; expected one of (case-insensitive): text/csv, application/jsonlines, "
        "application/json, application/sagemakercapturejson, application/x-parquet, application/x-image.",
        "$.facet[0]: unknown key 'value_or_treshold'. Did you mean 'value_or_threshold'?",
        "$.methods: unknown key 'shapp'. Did you mean 'shap'?",
        "$.methods.pre_training_bias.methods[1]: 'XYZ' is not valid; expected one of (case-insensitive): "
        "CI, DPL, KL, JS, LP, TVD, KS, CDDL.",
        "$.probability_threshold: 'high' is not of type 'number'.",
        # the cross-field checks of the parts the schema accepted, in the same answer
        "$.label_values_or_threshold: required (non-empty) for bias metrics.",
        "$.label: required for bias metrics (the label column name, index or JMESPath).",
    ]


def test_parse_raises_config_error_listing_problems() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"dataset_type": "text/csv", "methods": {}, "foo": 1})
    first = info.value.message.splitlines()[0]  # stands alone: SageMaker shows it as FailureReason
    assert first.startswith("Analysis configuration schema validation error. $: unknown key 'foo'.")
    assert "(1 more problem(s) listed below)" in first
    assert "$.methods: no analysis requested" in info.value.message


def test_image_config_values_outside_what_slic_and_matching_can_use_are_named() -> None:
    """Every ImageConfig key of the SDK is read; a value the method cannot use is refused by name
    (a compactness of 0 divides by zero inside SLIC)."""
    image = {"model_type": "OBJECT_DETECTION", "num_segments": 0, "segment_compactness": 0, "max_objects": 0,
             "iou_threshold": 1.5, "context": -0.1, "feature_extraction_method": "segmentation"}
    raw = {"dataset_type": "application/x-image", "methods": {"shap": {"image_config": image}},
           "predictor": {"endpoint_url": "http://127.0.0.1:9/invocations"}}
    where = "$.methods.shap.image_config."
    assert validate(raw) == [f"{where}context: -0.1 is below the minimum 0.",
                             f"{where}iou_threshold: 1.5 is above the maximum 1.",
                             f"{where}max_objects: 0 is below the minimum 1.",
                             f"{where}num_segments: 0 is below the minimum 1.",
                             f"{where}segment_compactness: 0 must be greater than 0."]
