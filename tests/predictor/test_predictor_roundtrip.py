"""Every request format and template of spec §1.3 against every response format, through the real
example model server; each must give the model's own predictions, in order."""
from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from analyzer.predictor import open_predictor, predicted_labels
from predictor_servers import adult_frame, analysis_config

FEATURES = ["Age", "Workclass", "fnlwgt", "Education", "Education-Num", "Marital Status", "Occupation",
            "Relationship", "Ethnic group", "Sex", "Capital Gain", "Capital Loss", "Hours per week", "Country"]
PER_FEATURE = "{" + ",".join(f'"{name}":"${{{name}}}"' for name in FEATURES) + "}"

REQUESTS = {
    "csv": {"content_type": "text/csv"},
    "jsonlines-default": {"content_type": "application/jsonlines"},
    "jsonlines-template": {"content_type": "application/jsonlines", "content_template": '{"features":$features}'},
    "json-records-features": {"content_type": "application/json", "content_template": "$records"},
    "json-records-kvp": {"content_type": "application/json", "content_template": '{"instances":$records}',
                         "record_template": "$features_kvp"},
    "json-records-names": {"content_type": "application/json", "content_template": '{"instances":$records}',
                           "record_template": '{"features":$features,"names":$feature_names}'},
    "json-records-placeholders": {"content_type": "application/json", "content_template": '{"instances":$records}',
                                  "record_template": PER_FEATURE},
    "json-single-record": {"content_type": "application/json", "content_template": '{"instances":[$record]}',
                           "record_template": "$features_kvp"},
}
RESPONSES = {
    "csv-scores": {"accept_type": "text/csv"},
    "csv-label-score": {"accept_type": "text/csv", "label": 0, "probability": 1},
    "jsonlines": {"accept_type": "application/jsonlines", "label": "predicted_label", "probability": "score"},
    "json": {"accept_type": "application/json", "label": "predictions[*].predicted_label",
             "probability": "predictions[*].score"},
}


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return adult_frame(23)[FEATURES]


@pytest.fixture(scope="module")
def expected(adult_model: Path, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    model = joblib.load(adult_model / "model.joblib")
    meta = json.loads((adult_model / "model_meta.json").read_text())
    x = rows.astype({c: str for c in meta["categorical"]})
    return model.predict(x), model.predict_proba(x)[:, 1]


@pytest.mark.parametrize("response", RESPONSES)
@pytest.mark.parametrize("request_format", REQUESTS)
def test_round_trip(request_format, response, rows, expected, model_server, labelled_model_server):
    server = labelled_model_server if response == "csv-label-score" else model_server
    predictor = {"endpoint_url": f"{server}/invocations", **REQUESTS[request_format], **RESPONSES[response]}
    config = analysis_config(predictor, label_values_or_threshold=[">50K"])
    with open_predictor(config, feature_names=FEATURES) as model:
        output = model.predict(rows)
    labels, scores = expected
    np.testing.assert_allclose(output.scores.ravel(), scores, rtol=1e-12)
    if response == "csv-scores":
        assert output.labels is None
        assert predicted_labels(output, config).tolist() == (scores > 0.5).astype(int).tolist()
    else:
        assert output.labels.tolist() == labels.tolist()
        assert predicted_labels(output, config).tolist() == labels.tolist()


def test_single_record_template_sends_one_request_per_record(rows, model_server):
    calls = []
    config = analysis_config({"endpoint_url": f"{model_server}/invocations", **REQUESTS["json-single-record"],
                              **RESPONSES["json"]})
    with open_predictor(config, feature_names=FEATURES) as model:
        original = model.transport.invoke
        model.transport.invoke = lambda body, *a: calls.append(body) or original(body, *a)
        model.predict(rows.iloc[:5])
    # Requests run concurrently, so compare as sets; the order of the results is checked above.
    assert sorted(json.loads(c)["instances"][0]["Age"] for c in calls) == sorted(rows["Age"].iloc[:5])
