"""SDK idioms end to end through the CLI against a model simple enough to check by hand
(score = x / 100): a score located by ``predictor.label`` (issue 12 item 1), the one-score idiom
with ``label_headers`` (item 2), and ``custom_attributes`` / ``target_model`` sent as SageMaker's
headers (item 5). Configs come from the real SDK's config generator."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pytest

from analyzer.cli import main
from predictor_servers import running

clarify = pytest.importorskip("sagemaker.clarify")
pytestmark = pytest.mark.slow   # each case is a whole job with its reports

SEEN_HEADERS: list[dict[str, str]] = []
LOCK = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    """CSV in (x, s), CSV out ``label,score`` with score = x / 100 and label = 1 when score > 0.5."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *_: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        with LOCK:
            SEEN_HEADERS.append(dict(self.headers))
        scores = [float(line.split(",")[0]) / 100 for line in body.splitlines() if line]
        answer = "".join(f"{int(s > 0.5)},{s}\n" for s in scores).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture(scope="module")
def score_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    with running(server) as url:
        yield f"{url}/invocations"


def _frame(classes: tuple = (0, 1)) -> pd.DataFrame:
    # 60 rows: few enough distinct labels (< 5 %) for Clarify's rule to read the label as categorical
    x = [(7 * i) % 100 for i in range(60)]
    s = ["f" if i % 3 == 0 or i % 7 == 0 else "m" for i in range(60)]
    y = [classes[(xi + len(si)) % 3 > 0] for xi, si in zip(x, s, strict=True)]
    return pd.DataFrame({"y": y, "x": x, "s": s})


def _sdk_config(label_config: Any, classes: tuple = (0, 1)) -> dict:
    data = clarify.DataConfig(s3_data_input_path="s3://b/in", s3_output_path="s3://b/out", label="y",
                              headers=["y", "x", "s"], dataset_type="text/csv")
    bias = clarify.BiasConfig(label_values_or_threshold=[classes[1]], facet_name="s", facet_values_or_threshold=["f"])
    model = clarify.ModelConfig(endpoint_name="ignored", content_type="text/csv", accept_type="text/csv",
                                custom_attributes="trace=42", target_model="model-b.tar.gz")
    return clarify._AnalysisConfigGenerator.bias_post_training(data, bias, label_config, ["DPPL", "DI"], model)


def _run(tmp_path: Path, config: dict, url: str, classes: tuple = (0, 1)) -> dict:
    config["predictor"].pop("endpoint_name")
    config["predictor"]["endpoint_url"] = url
    data = tmp_path / "data.csv"
    _frame(classes).to_csv(data, index=False, header=False)
    (tmp_path / "config.json").write_text(json.dumps(config))
    code = main(["run", "--config", str(tmp_path / "config.json"), "--data", str(data), "--output",
                 str(tmp_path / "out"), "--base-dir", str(tmp_path / "opt_ml")])
    assert code == 0, (tmp_path / "opt_ml" / "output" / "message").read_text()
    metrics = json.loads((tmp_path / "out" / "analysis.json").read_text())
    return {m["name"]: m["value"] for m in metrics["post_training_bias_metrics"]["facets"]["s"][0]["metrics"]}


def _by_hand(threshold: float) -> dict:
    frame = _frame()
    predicted = frame["x"] / 100 > threshold
    q_d = predicted[frame["s"] == "f"].mean()     # the facet value is the sensitive group d
    q_a = predicted[frame["s"] != "f"].mean()
    return {"DPPL": q_a - q_d, "DI": q_d / q_a}


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_score_located_by_label_is_thresholded(tmp_path: Path, score_server: str, threshold: float):
    """ModelPredictedLabelConfig(label=1, probability_threshold=t): column 1 holds the score."""
    config = _sdk_config(clarify.ModelPredictedLabelConfig(label=1, probability_threshold=threshold))
    assert config["predictor"]["label"] == 1 and config["probability_threshold"] == threshold
    got = _run(tmp_path, config, score_server)
    assert got == pytest.approx(_by_hand(threshold))


def test_plain_int_model_predicted_label_config(tmp_path: Path, score_server: str):
    """run_bias(..., model_predicted_label_config=1): the SDK writes predictor.label = 1."""
    config = _sdk_config(1)
    assert config["predictor"]["label"] == 1 and "probability_threshold" not in config
    assert _run(tmp_path, config, score_server) == pytest.approx(_by_hand(0.5))


def test_one_score_with_label_headers(tmp_path: Path, score_server: str):
    """The SDK docstring's binary idiom: one score, probability_threshold, label_headers = the classes."""
    classes = ("no", "yes")
    config = _sdk_config(clarify.ModelPredictedLabelConfig(probability=1, probability_threshold=0.3,
                                                            label_headers=list(classes)), classes)
    assert _run(tmp_path, config, score_server, classes) == pytest.approx(_by_hand(0.3))


def test_custom_attributes_and_target_model_are_sent_as_sagemaker_headers(tmp_path: Path, score_server: str):
    SEEN_HEADERS.clear()
    _run(tmp_path, _sdk_config(clarify.ModelPredictedLabelConfig(label=0)), score_server)
    assert SEEN_HEADERS
    for headers in SEEN_HEADERS:
        assert headers["X-Amzn-SageMaker-Custom-Attributes"] == "trace=42"
        assert headers["X-Amzn-SageMaker-Target-Model"] == "model-b.tar.gz"


def test_model_scores_error_names_predictor_label(tmp_path: Path, score_server: str):
    """run_explainability(model_scores=2): the SDK writes predictor.label; the error must say so."""
    data = clarify.DataConfig(s3_data_input_path="s3://b/in", s3_output_path="s3://b/out", label="y",
                              headers=["y", "x", "s"], dataset_type="text/csv")
    model = clarify.ModelConfig(endpoint_name="ignored", content_type="text/csv", accept_type="text/csv")
    shap = clarify.SHAPConfig(baseline=[[50, "m"]], num_samples=2)
    config = clarify._AnalysisConfigGenerator.explainability(data, model, 2, shap)
    assert config["predictor"]["label"] == 2 and "probability" not in config["predictor"]
    config["predictor"].pop("endpoint_name")
    config["predictor"].update(endpoint_url=score_server, max_retries=0)
    (tmp_path / "data.csv").write_text(_frame().to_csv(index=False, header=False))
    (tmp_path / "config.json").write_text(json.dumps(config))
    code = main(["run", "--config", str(tmp_path / "config.json"), "--data", str(tmp_path / "data.csv"),
                 "--output", str(tmp_path / "out"), "--base-dir", str(tmp_path / "opt_ml")])
    message = (tmp_path / "opt_ml" / "output" / "message").read_text()
    assert code == 4 and "has no column 2 (predictor.label)" in message and "predictor.probability" not in message
