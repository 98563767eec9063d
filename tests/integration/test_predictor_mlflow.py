"""A third-party inference server: MLflow's scoring server (its FastAPI app, served by uvicorn on
127.0.0.1) with MLflow's own formats: {"dataframe_records"|"dataframe_split": ...} in,
{"predictions": [...]} out, reached through content_template/record_template and JMESPath."""
from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

import joblib
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "predictor"))

from analyzer.predictor import open_predictor, predicted_labels  # noqa: E402
from predictor_servers import adult_frame, analysis_config, require_component, small_model  # noqa: E402

# MLflow warns about its own internal type hints while importing its pyfunc signatures.
pytestmark = [pytest.mark.filterwarnings("ignore:.*type hint is inferred as AnyType:UserWarning"),
              pytest.mark.slow]  # starts an MLflow model server: minutes on a loaded machine


def _mlflow():
    try:
        import mlflow.pyfunc
        import mlflow.sklearn
        import uvicorn
        from mlflow.pyfunc import scoring_server
    except ImportError as exc:
        require_component(False, f"mlflow (mlflow-skinny with fastapi/uvicorn) is not installed: {exc}")
    return mlflow, scoring_server, uvicorn


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    return small_model(tmp_path_factory.mktemp("mlflow_model"))


def _serve(model_dir: Path, predict_fn: str, tmp: Path):
    mlflow, scoring_server, uvicorn = _mlflow()
    saved = tmp / f"mlflow-{predict_fn}"
    mlflow.sklearn.save_model(joblib.load(model_dir / "model.joblib"), str(saved), pyfunc_predict_fn=predict_fn,
                             serialization_format="pickle")
    app = scoring_server.init(mlflow.pyfunc.load_model(str(saved)))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "MLflow's scoring server did not start"
        time.sleep(0.05)
    return server, thread, sock, f"http://127.0.0.1:{sock.getsockname()[1]}/invocations"


@pytest.fixture(scope="module")
def mlflow_servers(trained, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mlflow_serving")
    started = [_serve(trained, fn, tmp) for fn in ("predict_proba", "predict")]
    yield {"predict_proba": started[0][3], "predict": started[1][3]}
    for server, thread, sock, _ in started:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


FRAME = adult_frame(80).dropna().head(60)  # the pipeline encodes missing values only as strings
FEATURES = [c for c in FRAME.columns if c != "Target"]


def _expected(trained):
    model = joblib.load(trained / "model.joblib")
    return model.predict(FRAME[FEATURES]), model.predict_proba(FRAME[FEATURES])[:, 1]


@pytest.mark.parametrize("template", ['{"dataframe_records":$records}', '{"dataframe_records":[$record]}'])
def test_mlflow_probabilities_through_jmespath(mlflow_servers, trained, template):
    config = analysis_config({"endpoint_url": mlflow_servers["predict_proba"], "content_type": "application/json",
                              "content_template": template, "record_template": "$features_kvp",
                              "accept_type": "application/json", "probability": "predictions[*][1]"})
    with open_predictor(config, feature_names=FEATURES) as predictor:
        output = predictor.predict(FRAME[FEATURES])
    _, scores = _expected(trained)
    np.testing.assert_allclose(output.scores.ravel(), scores)
    assert predicted_labels(output, config).tolist() == (scores > 0.5).astype(int).tolist()


def test_mlflow_labels_with_dataframe_split_style_records(mlflow_servers, trained):
    config = analysis_config({"endpoint_url": mlflow_servers["predict"], "content_type": "application/json",
                              "content_template": '{"dataframe_split":{"columns":' +
                              str(FEATURES).replace("'", '"') + ',"data":$records}}',
                              "accept_type": "application/json", "label": "predictions"},
                             label_values_or_threshold=[">50K"])
    with open_predictor(config, feature_names=FEATURES) as predictor:
        output = predictor.predict(FRAME[FEATURES])
    labels, _ = _expected(trained)
    assert output.labels.tolist() == labels.tolist()
