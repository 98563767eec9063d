"""Bad configs (exit 2): JSON that is not a config, schema breaks, cross-field mistakes, unknown
columns and values past the documented bounds. Each names the key (JSON path) or the file."""
from __future__ import annotations

from corpus_base import BIAS, CONFIG, DATA_FILE, DELETE, MODELLED, SECRET_ACCESS_KEY, SHAP, Case, with_

JSON = "Unable to load analysis configuration as JSON"
SCHEMA = "schema validation error. $"

_TEXTS = {  # id -> (config text, fragment)
    "empty": ("", "Expecting value at line 1 column 1"),
    "whitespace": ("  \n\t ", "Expecting value"),
    "open_brace": ("{", "line 1 column 2"),
    "list": ("[]", "the top level must be a JSON object, got list"),
    "null": ("null", "got NoneType"),
    "number": ("1", "got int"),
    "string": ('"text/csv"', "got str"),
    "trailing_comma": ('{"dataset_type": "text/csv",}', "line 1 column 29"),
    "single_quotes": ("{'dataset_type': 'text/csv'}", "Expecting property name"),
    "nan": ('{"dataset_type": "text/csv", "probability_threshold": NaN}', "NaN is not a JSON number"),
    "infinity": ('{"dataset_type": "text/csv", "probability_threshold": Infinity}', "Infinity is not a JSON number"),
    "minus_infinity": ('{"probability_threshold": -Infinity}', "-Infinity is not a JSON number"),
    "deep_100k": ('{"a":' * 100_000 + "1" + "}" * 100_000, "nested more than 32 levels"),
    "deep_list_100k": ('{"headers": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested more than 32 levels"),
    "deep_40": ('{"methods": {"shap": {"baseline": ' + "[" * 40 + "]" * 40 + "}}}", "nested more than 32 levels"),
    "comment": ('// config\n{"dataset_type": "text/csv"}', "Expecting value at line 1"),
    "two_documents": ('{"dataset_type": "text/csv"}{}', "Extra data"),
    "utf16": ('{"dataset_type": "text/csv"}'.encode("utf-16"), "not UTF-8 text"),
    "latin1": ('{"label": "\u00e9t\u00e9"}'.encode("latin-1"), "not UTF-8 text"),
    "nul_bytes": (b'{"label": "a\x00"}', "Invalid control character"),
}

_SCHEMA = {  # id -> (path, value, fragment)
    "dataset_type_xml": ("dataset_type", "text/xml", "$.dataset_type: 'text/xml' is not valid"),
    "dataset_type_number": ("dataset_type", 5, "$.dataset_type: 5 is not of type 'string'"),
    "dataset_type_space": ("dataset_type", "text/csv ", "$.dataset_type: 'text/csv ' is not valid"),
    "dataset_type_lookalike": ("dataset_type", "text/\u0441sv", "non-ASCII"),
    "version": ("version", "2.0", "$.version"),
    "label_list": ("label", ["label"], "$.label"),
    "label_float": ("label", 1.5, "$.label"),
    "label_values_string": ("label_values_or_threshold", "1", "$.label_values_or_threshold"),
    "label_values_object": ("label_values_or_threshold", [{"a": 1}], "$.label_values_or_threshold[0]"),
    "facet_object": ("facet", {"name_or_index": "sex"}, "$.facet"),
    "facet_no_name": ("facet", [{"value_or_threshold": ["F"]}], "'name_or_index' is a required property"),
    "facet_unknown_key": ("facet.0.threshold", [1], "$.facet[0]: unknown key 'threshold'"),
    "facet_data_type": ("facet.0.data_type", "numeric", "$.facet[0].data_type"),
    "methods_number": ("methods", 7, "$.methods: 7 is not of type 'object'"),
    "methods_list": ("methods", ["pre_training_bias"], "$.methods"),
    "methods_empty_section": ("methods.pre_training_bias", {}, "'methods' is a required property"),
    "metric_unknown": ("methods.pre_training_bias.methods", ["XYZ"], "'XYZ' is not valid"),
    "metric_dotted_i": ("methods.pre_training_bias.methods", ["C\u0130"], "non-ASCII"),
    "metric_kelvin": ("methods.pre_training_bias.methods", ["\u212aS"], "non-ASCII"),
    "metric_long_s": ("methods.pre_training_bias.methods", ["J\u017f"], "non-ASCII"),
    "metric_all_lookalike": ("methods.pre_training_bias.methods", "\u0430ll", "non-ASCII"),
    "metric_empty_list": ("methods.pre_training_bias.methods", [], "$.methods.pre_training_bias.methods"),
    "metric_post_in_pre": ("methods.pre_training_bias.methods", ["DPPL"], "'DPPL' is not valid"),
    "probability_threshold_text": ("probability_threshold", "high", "$.probability_threshold: 'high'"),
    "probability_threshold_2e9": ("probability_threshold", 2e9, "above the maximum 1000000000.0"),
    "probability_threshold_negative": ("probability_threshold", -2e9, "below the minimum -1000000000.0"),
    "probability_threshold_huge": ("probability_threshold", 1e308, "above the maximum 1000000000.0"),
    "excluded_columns_string": ("excluded_columns", "pred", "$.excluded_columns"),
    "unknown_key": ("lable", "label", "unknown key 'lable'. Did you mean 'label'?"),
    "unknown_secret_key": ("aws_secret_access_key", SECRET_ACCESS_KEY, "unknown key 'aws_secret_access_key'"),
    "report_name_empty": ("methods.report", {"name": ""}, "$.methods.report.name"),
    "report_no_name": ("methods.report", {"title": "x"}, "'name' is a required property"),
    "label_data_type": ("label_data_type", "binary", "$.label_data_type"),
}

_BOUNDS = {  # id -> (path under a config that needs it, value, fragment)
    "num_samples_0": ("methods.shap.num_samples", 0, "$.methods.shap.num_samples: 0 is below the minimum 1"),
    "num_samples_1e12": ("methods.shap.num_samples", 10**12, "above the maximum 1000000"),
    "num_samples_float": ("methods.shap.num_samples", 1.5, "$.methods.shap.num_samples: 1.5 is not of type"),
    "num_samples_text": ("methods.shap.num_samples", "100", "$.methods.shap.num_samples"),
    "num_clusters_huge": ("methods.shap.num_clusters", 10**9, "above the maximum 1000"),
    "seed_negative": ("methods.shap.seed", -1, "$.methods.shap.seed: -1 is below the minimum 0"),
    "seed_2_70": ("methods.shap.seed", 2**70, "$.methods.shap.seed"),
    "agg_method": ("methods.shap.agg_method", "max", "$.methods.shap.agg_method"),
    "grid_2_40": ("methods.pdp", {"grid_resolution": 2**40, "features": ["age"]}, "above the maximum 1000"),
    "grid_1e8": ("methods.pdp", {"grid_resolution": 10**8, "features": ["age"]}, "above the maximum 1000"),
    "grid_0": ("methods.pdp", {"grid_resolution": 0, "features": ["age"]}, "below the minimum 1"),
    "top_k_huge": ("methods.pdp", {"grid_resolution": 5, "top_k_features": 10**7}, "above the maximum 10000"),
    "max_concurrency_1e9": ("predictor.max_concurrency", 10**9, "$.predictor.max_concurrency"),
    "max_concurrency_0": ("predictor.max_concurrency", 0, "below the minimum 1"),
    "max_payload_1e308": ("predictor.max_payload_mb", 1e308, "$.predictor.max_payload_mb: 1e+308 is above"),
    "max_payload_0": ("predictor.max_payload_mb", 0, "must be greater than 0"),
    "timeout_1e300": ("predictor.request_timeout_seconds", 1e300, "$.predictor.request_timeout_seconds"),
    "timeout_negative": ("predictor.request_timeout_seconds", -1, "must be greater than 0"),
    "max_retries_1e6": ("predictor.max_retries", 10**6, "above the maximum 20"),
    "max_retries_negative": ("predictor.max_retries", -1, "below the minimum 0"),
    "instances_1e6": ("predictor.initial_instance_count", 10**6, "above the maximum 100"),
    "endpoint_url_ftp": ("predictor.endpoint_url", "ftp://model:21/x", "expected an http:// or https:// URL"),
    "endpoint_url_words": ("predictor.endpoint_url", "my model", "expected an http:// or https:// URL"),
    "endpoint_name_prefix": ("predictor.endpoint_name_prefix", "-bad-", "$.predictor.endpoint_name_prefix"),
    "content_type": ("predictor.content_type", "text/xml", "$.predictor.content_type"),
    "accept_type_lookalike": ("predictor.accept_type", "text/\u0441sv", "non-ASCII"),
}

_TS = {"dataset_type": "application/json", "methods": {"asymmetric_shapley_value": {"granularity": "timewise"}},
       "time_series_data_config": {"item_id": 0, "timestamp": 1, "target_time_series": 2},
       "predictor": {"endpoint_url": "http://127.0.0.1:9/invocations",
                     "time_series_predictor_config": {"forecast": "predictions.mean"}}}

_CROSS = {  # id -> (config, fragment)
    "no_methods": (with_(BIAS, "methods", {}), "$.methods: no analysis requested"),
    "no_dataset_type": (with_(BIAS, "dataset_type", DELETE), "'dataset_type' is required"),
    "bias_no_label": (with_(BIAS, "label", DELETE), "$.label: required for bias metrics"),
    "bias_no_facet": (with_(BIAS, "facet", DELETE), "$.facet: required"),
    "bias_no_values": (with_(BIAS, "label_values_or_threshold", DELETE), "$.label_values_or_threshold"),
    "jsonlines_no_features": (with_(BIAS, "dataset_type", "application/jsonlines"), "$.features: required"),
    "post_no_predictor": (with_(MODELLED, "predictor", DELETE), "$.predictor: required"),
    "shap_no_predictor": (with_(SHAP, "predictor", DELETE), "$.predictor: required"),
    "predictor_no_source": (with_(MODELLED, "predictor", {"content_type": "text/csv"}), "$.predictor: give exactly"),
    "endpoint_and_model": (with_(MODELLED, "predictor", {"endpoint_name": "a", "model_name": "b"}),
                           "either endpoint_name or model_name"),
    "image_no_model_data": (with_(MODELLED, "predictor", {"image_uri": "img"}), "$.predictor.model_data"),
    "model_no_instance": (with_(MODELLED, "predictor", {"model_name": "m"}), "$.predictor.instance_type"),
    "parquet_no_content_type": (with_(with_(MODELLED, "dataset_type", "application/x-parquet"), "predictor",
                                      {"endpoint_url": "http://127.0.0.1:9/x"}), "$.predictor.content_type"),
    "baseline_and_clusters": (with_(SHAP, "methods.shap.num_clusters", 2), "mutually exclusive"),
    "pdp_without_features": (with_(SHAP, "methods", {"pdp": {"grid_resolution": 5}}), "$.methods.pdp.features"),
    "facet_dataset_json": (with_(with_(with_(BIAS, "dataset_type", "application/json"), "features", "f"),
                                 "facet_dataset_uri", "f.csv"),
                           "$.facet_dataset_uri: only supported with dataset_type text/csv"),
    "facet_headers_alone": (with_(BIAS, "facet_headers", ["sex"]), "$.facet_headers: only meaningful"),
    "time_series_csv": (with_(BIAS, "time_series_data_config",
                              {"target_time_series": 0, "item_id": 1, "timestamp": 2}), "$.time_series_data_config"),
    "image_config": (with_(SHAP, "methods.shap.image_config", {"model_type": "IMAGE_CLASSIFICATION"}),
                     "image explanations need dataset_type application/x-image"),
    "image_dataset": (with_(BIAS, "dataset_type", "application/x-image"), "dataset_type: application/x-image"),
    "time_series_with_bias": ({**_TS, **{k: BIAS[k] for k in ("label", "label_values_or_threshold", "facet")},
                               "methods": {"asymmetric_shapley_value": {}, **BIAS["methods"]}},
                              "time_series_data_config: runs only methods.asymmetric_shapley_value"),
    "time_series_no_target_in_request": (with_(_TS, "predictor.record_template", '{"start": $start_time}'),
                                         "predictor.record_template: must contain $target_time_series"),
    "time_series_csv_requests": (with_(_TS, "predictor.content_type", "text/csv"),
                                 "predictor.content_type: text/csv cannot carry time series"),
}

_COLUMNS = {  # id -> (config, fragment): the config is valid, the data does not have what it names
    "label_missing": (with_(BIAS, "label", "income"), "label: column 'income' not found"),
    "label_index": (with_(BIAS, "label", 99), "label: index 99 is out of range"),
    "label_negative_index": (with_(BIAS, "label", -1), "label: index -1 is out of range"),
    "facet_missing": (with_(BIAS, "facet.0.name_or_index", "gender"), "facet[0].name_or_index: column 'gender'"),
    "group_missing": (with_(BIAS, "group_variable", "region"), "group_variable: column 'region'"),
    "excluded_missing": (with_(BIAS, "excluded_columns", ["zip"]), "excluded_columns: column 'zip'"),
    "join_missing": (with_(BIAS, "joinsource_name_or_index", "id"), "joinsource_name_or_index: column 'id'"),
    "predicted_missing": (with_(with_(BIAS, "predicted_label", "guess"), "methods.post_training_bias",
                                {"methods": "all"}), "predicted_label: column 'guess'"),
    "label_newline": (with_(BIAS, "label", "lab\nel"), "label: column 'lab\\nel' not found"),
    "headers_short": (with_(BIAS, "headers", ["age", "sex"]), "'headers' in the config names 2"),
    "features_jmespath": ({**with_(BIAS, "dataset_type", "application/jsonlines"), "features": "[["},
                          "features: '[[' is not a valid JMESPath expression (incomplete expression at position"),
    "label_jmespath": ({**with_(BIAS, "dataset_type", "application/jsonlines"), "features": "f", "label": "a.["},
                       "label: 'a.[' is not a valid JMESPath expression"),
    "baseline_width": (with_(SHAP, "methods.shap.baseline", [[1, 2]]), "methods.shap.baseline"),
    "pdp_feature_missing": (with_(SHAP, "methods.pdp", {"grid_resolution": 5, "features": ["zip"]}),
                            "methods.pdp.features: 'zip' is not a feature"),
    "explain_feature_index": (with_(SHAP, "methods.shap.features_to_explain", [7]),
                              "methods.shap.features_to_explain: 7 is not a feature"),
    "baseline_not_list": (with_(SHAP, "methods.shap.baseline", {"a": 1}), "methods.shap.baseline"),
}


def config_cases() -> list[Case]:
    cases = [Case(f"text_{k}", CONFIG, 2, frag, config=text, files=DATA_FILE) for k, (text, frag) in _TEXTS.items()]
    cases += [Case(f"schema_{k}", CONFIG, 2, frag, config=with_(BIAS, path, value), files=DATA_FILE)
              for k, (path, value, frag) in _SCHEMA.items()]
    for k, (path, value, frag) in _BOUNDS.items():
        base = SHAP if path.startswith(("methods.shap", "methods.pdp", "predictor")) else BIAS
        cases.append(Case(f"bound_{k}", CONFIG, 2, frag, config=with_(base, path, value), files=DATA_FILE))
    cases += [Case(f"cross_{k}", CONFIG, 2, frag, config=config, files=DATA_FILE)
              for k, (config, frag) in _CROSS.items()]
    cases += [Case(f"column_{k}", CONFIG, 2, frag, config=config, files=DATA_FILE)
              for k, (config, frag) in _COLUMNS.items()]
    cases += [
        Case("flag_methods_unknown", CONFIG, 2, "--methods: unknown section 'bias'", config=with_(BIAS, "methods", {}),
             files=DATA_FILE, args=("--methods", "bias")),
        Case("flag_methods_on_number", CONFIG, 2, "$.methods: expected an object, got int",
             config=with_(BIAS, "methods", 7), files=DATA_FILE, args=("--methods", "shap")),
        Case("flag_dataset_type_bad", CONFIG, 2, "$.dataset_type: 'csv' is not valid",
             config=with_(BIAS, "dataset_type", DELETE), files=DATA_FILE, args=("--dataset-type", "csv")),
        Case("config_missing", CONFIG, 2, "Analysis config not found: /nonexistent/analysis_config.json",
             files=DATA_FILE, args=("--config", "/nonexistent/analysis_config.json")),
        Case("config_directory", CONFIG, 2, "it is a directory", files=DATA_FILE, args=("--config", "/tmp")),
        Case("config_dev_zero", CONFIG, 2, "/dev/zero", files=DATA_FILE, args=("--config", "/dev/zero")),
    ]
    return cases
