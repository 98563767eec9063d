"""Configs built by the SageMaker SDK's monitor classes load unchanged for captured data."""
from __future__ import annotations

import os
from typing import Any

import pytest

from analyzer.capture.config import complete_for_capture
from analyzer.config.loader import parse_config


@pytest.fixture(scope="module")
def sdk() -> Any:
    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    try:
        from sagemaker import clarify
        from sagemaker.model_monitor import clarify_model_monitoring
    except ImportError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and the SageMaker SDK is missing: {exc}")
        pytest.skip(f"the SageMaker SDK is not installed: {exc}")
    return clarify, clarify_model_monitoring


def test_bias_analysis_config_loads_unchanged(sdk: Any) -> None:
    clarify, monitoring = sdk
    bias = clarify.BiasConfig(label_values_or_threshold=[1], facet_name="sex", facet_values_or_threshold=[1],
                              group_name="tenure")
    raw = monitoring.BiasAnalysisConfig(bias, headers=["sex", "age", "income", "tenure", "label"],
                                        label="label")._to_dict()
    config = parse_config(complete_for_capture(raw))
    assert config.dataset_type == "application/sagemakercapturejson"
    assert config.methods.pre_training_bias and config.methods.post_training_bias
    assert (config.label, config.predicted_label, config.group_variable) == ("label", "predicted_label", "tenure")
    assert config.facet[0].name_or_index == "sex" and config.facet[0].value_or_threshold == (1,)
    assert config.predictor is None                          # predictions come from the capture


def test_explainability_analysis_config_loads_unchanged(sdk: Any) -> None:
    clarify, monitoring = sdk
    shap = clarify.SHAPConfig(baseline=[[0, 40, 50000, 10]], num_samples=20, agg_method="mean_abs")
    model = clarify.ModelConfig(model_name="churn-model", instance_type="ml.m5.xlarge", instance_count=1,
                                content_type="text/csv", accept_type="text/csv")
    raw = monitoring.ExplainabilityAnalysisConfig(shap, model, headers=["sex", "age", "income", "tenure"],
                                                  label_headers=["churn"])._to_dict()
    config = parse_config(complete_for_capture(raw))
    assert config.methods.shap is not None and config.methods.shap.num_samples == 20
    assert not config.methods.needs_bias
    assert config.predictor is not None and config.predictor.model_name == "churn-model"
    assert config.predictor.label_headers == ("churn",)
