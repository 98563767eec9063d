"""predictor.in_process: the model from model_data answers exactly as the same model behind
scripts/model_server over HTTP, through the same label/probability rules."""
from __future__ import annotations

import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))

from analyzer.config import parse_config  # noqa: E402
from analyzer.errors import ConfigError, EndpointError  # noqa: E402
from analyzer.models.artifacts import load_model  # noqa: E402
from analyzer.predictor import open_predictor, predicted_labels  # noqa: E402
from predictor_servers import running, serve  # noqa: E402
from tree_fixtures import NUM_FEATURES, dataset, save, train  # noqa: E402

FEATURES = [f"f{i}" for i in range(NUM_FEATURES)]
KINDS = ["xgb", "xgb_reg", "lgb", "lgb_reg", "rf", "rf_reg", "gb", "dt", "hgb"]
RESPONSES = [
    {},
    {"accept_type": "application/jsonlines", "label": "predicted_label", "probability": "score"},
    {"accept_type": "application/json", "probability": "predictions[*].score"},
    {"accept_type": "application/jsonlines", "label": "predicted_label"},
    {"accept_type": "application/jsonlines", "probability": "[score][0]"},  # any JMESPath: decoded from bytes
]


def _config(predictor: dict, methods: dict | None = None):
    return parse_config({"dataset_type": "text/csv", "label": "y", "predictor": predictor,
                         "methods": methods or {"post_training_bias": {"methods": ["DPPL"]}},
                         "facet": [{"name_or_index": "f4"}], "label_values_or_threshold": [1]})


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    x, y = dataset()
    root = tmp_path_factory.mktemp("tree_models")
    return {kind: save(train(kind, x, y), kind, root / kind) for kind in KINDS}


def _predict(config, frame):
    with open_predictor(config, feature_names=FEATURES) as predictor:
        return predictor.predict(frame)


@pytest.mark.parametrize("kind", KINDS)
def test_in_process_answers_equal_the_model_server(models, kind):
    frame = dataset(120, seed=11, missing=kind.startswith(("xgb", "lgb")))[0]
    directory = models[kind]
    with running(serve.build_server(directory, "127.0.0.1", 0)) as url:
        for response in RESPONSES:
            if kind.endswith("reg") and response.get("probability") == "[score][0]":
                continue
            if "score" in str(response.get("probability")) and (kind.endswith("_reg") and kind[:2] in ("rf", "gb")):
                continue  # scikit-learn regressors answer a label only (no score)
            remote = _predict(_config({"endpoint_url": f"{url}/invocations", **response}), frame)
            config = _config({"in_process": True, "model_data": str(directory), "allow_pickle": True, **response})
            local = _predict(config, frame)
            for name in ("scores", "labels"):
                ours, theirs = getattr(local, name), getattr(remote, name)
                assert (ours is None) == (theirs is None), (response, name)
                if ours is not None:
                    np.testing.assert_array_equal(ours, theirs, err_msg=str(response))
            assert local.score_names == remote.score_names
            np.testing.assert_array_equal(predicted_labels(local, config), predicted_labels(remote, config))


def test_label_and_score_columns_of_csv_answers(models, tmp_path):
    directory = save(train("xgb", *dataset()), "xgb", tmp_path / "m", meta={"csv_output": "label,score"})
    frame = dataset(50, seed=2)[0]
    response = {"label": 0, "probability": 1, "label_headers": ["yes"]}
    with running(serve.build_server(directory, "127.0.0.1", 0)) as url:
        remote = _predict(_config({"endpoint_url": f"{url}/invocations", **response}), frame)
    local = _predict(_config({"in_process": True, "model_data": str(directory), **response}), frame)
    np.testing.assert_array_equal(local.scores, remote.scores)
    np.testing.assert_array_equal(local.labels, remote.labels)
    assert local.score_names == remote.score_names == ("yes",)


def test_a_pickle_is_refused_without_the_opt_in(models, monkeypatch):
    monkeypatch.delenv("ANALYZER_ALLOW_PICKLE", raising=False)
    with pytest.raises(ConfigError, match=r"model.joblib is a Python pickle.*runs code.*allow_pickle"):
        load_model(str(models["rf"]))
    monkeypatch.setenv("ANALYZER_ALLOW_PICKLE", "1")
    assert load_model(str(models["rf"])).kind == "sklearn"


def test_a_pickled_xgboost_model_of_the_old_builtin_containers_needs_the_opt_in(models, tmp_path, monkeypatch):
    import pickle

    import xgboost

    monkeypatch.delenv("ANALYZER_ALLOW_PICKLE", raising=False)
    booster = xgboost.Booster()
    booster.load_model(bytearray((models["xgb"] / "xgboost-model").read_bytes()))
    (tmp_path / "xgboost-model").write_bytes(pickle.dumps(booster))  # what XGBoost containers 1.0-1.2 wrote
    with pytest.raises(ConfigError, match="xgboost-model is a Python pickle"):
        load_model(str(tmp_path))
    loaded = load_model(str(tmp_path), allow_pickle=True)
    frame = dataset(20, seed=1)[0]
    np.testing.assert_array_equal(loaded.predict(frame)[1], load_model(str(models["xgb"])).predict(frame)[1])


def test_tarballs_single_files_and_forced_formats(models, tmp_path):
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(models["lgb"] / "model.txt", arcname="model.txt")
    assert load_model(str(archive)).kind == "lightgbm"
    assert load_model(str(models["xgb"] / "xgboost-model")).kind == "xgboost"
    both = tmp_path / "both"
    both.mkdir()
    (both / "xgboost-model").write_bytes((models["xgb"] / "xgboost-model").read_bytes())
    (both / "model.txt").write_text((models["lgb"] / "model.txt").read_text())
    with pytest.raises(ConfigError, match="several kinds.*model_format"):
        load_model(str(both))
    assert load_model(str(both), model_format="lightgbm").kind == "lightgbm"
    with pytest.raises(EndpointError, match="holds no sklearn model"):
        load_model(str(tmp_path / "both"), model_format="sklearn")


def test_in_process_needs_model_data():
    with pytest.raises(ConfigError, match="model_data: required with in_process"):
        _config({"in_process": True})
