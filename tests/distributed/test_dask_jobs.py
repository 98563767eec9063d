"""Whole jobs on a real Dask cluster (LocalCluster, two worker processes) against the same job on
one host: identical analysis.json and local SHAP values, and clean failures."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from analyzer.cli import main
from predictor_servers import adult_frame

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _no_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reports are rendered from analysis.json, which is compared; they only cost time here."""
    monkeypatch.setattr("analyzer.job._write_reports", lambda *args, **kwargs: (None, None))


def _config(url: str, **predictor: Any) -> dict:
    return {"dataset_type": "text/csv", "label": "Target", "label_values_or_threshold": [">50K"],
            "facet": [{"name_or_index": "Sex", "value_or_threshold": ["Female"]}],
            "joinsource_name_or_index": "Id",
            "methods": {"post_training_bias": {"methods": ["DPPL", "DI", "AD"]},
                        "shap": {"num_samples": 40, "num_clusters": 2, "seed": 3, "agg_method": "mean_abs",
                                 "save_local_shap_values": True},
                        "pdp": {"features": ["Age", "Education-Num"], "grid_resolution": 5}},
            "predictor": {"endpoint_url": f"{url}/invocations", "accept_type": "application/jsonlines",
                          "label": "predicted_label", "probability": "score", **predictor}}


def _job(tmp_path: Path, name: str, config: dict, data: Path, *flags: str) -> tuple[int, Path]:
    (tmp_path / f"{name}.json").write_text(json.dumps(config))
    out = tmp_path / name
    code = main(["run", "--config", str(tmp_path / f"{name}.json"), "--data", str(data), "--output", str(out),
                 "--base-dir", str(tmp_path / f"opt_{name}"), *flags])
    return code, out


@pytest.fixture(scope="module")
def adult_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = adult_frame(100)
    frame.insert(0, "Id", [f"r{i}" for i in range(len(frame))])
    path = tmp_path_factory.mktemp("dask_data") / "adult.csv"
    frame.to_csv(path, index=False)
    return path


def test_a_two_worker_cluster_gives_the_one_host_result(tmp_path: Path, dask_model_server: str, local_cluster: Any,
                                                        adult_csv: Path, capsys: pytest.CaptureFixture) -> None:
    config = _config(dask_model_server)
    code, alone = _job(tmp_path, "alone", config, adult_csv)
    assert code == 0
    capsys.readouterr()
    code, scaled = _job(tmp_path, "scaled", config, adult_csv, "--scheduler", local_cluster.scheduler_address,
                        "--dask-chunk-rows", "40")
    assert code == 0
    assert (scaled / "analysis.json").read_bytes() == (alone / "analysis.json").read_bytes()
    local = (scaled / "explanations_shap" / "out.csv").read_bytes()
    assert local == (alone / "explanations_shap" / "out.csv").read_bytes()
    assert local.startswith(b"Id,") and local.count(b"\n") == 101
    text = capsys.readouterr().err
    assert "Dask cluster" in text and "2 workers" in text
    tasks = re.search(r"Kernel SHAP: 100 records in (\d+) tasks on 2 worker threads", text)
    assert tasks and int(tasks.group(1)) >= 2   # 40-record shards, cut where influence blocks start


def test_a_model_file_the_workers_cannot_open_is_named(tmp_path: Path, local_cluster: Any, adult_csv: Path,
                                                       dask_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The leader loaded the model; the file is gone when the workers look (as on hosts that do not
    share the leader's disk): one line naming the file and the worker, no output."""
    import analyzer.job

    model = tmp_path / "model.tar.gz"
    shutil.copy(dask_model / "model.tar.gz", model)
    on_cluster = analyzer.job._on_cluster

    def leader_only(*args: Any) -> Any:
        model.unlink()
        return on_cluster(*args)

    monkeypatch.setattr(analyzer.job, "_on_cluster", leader_only)
    config = _config("http://unused")
    config["predictor"] = {"in_process": True, "model_data": str(model), "allow_pickle": True,
                           "label": "predicted_label", "probability": "score"}
    code, out = _job(tmp_path, "missing", config, adult_csv, "--scheduler", local_cluster.scheduler_address)
    first = (tmp_path / "opt_missing" / "output" / "message").read_text().splitlines()[0]
    assert code == 5, first
    assert str(model) in first and "on Dask worker tcp://127.0.0.1:" in first
    assert not out.exists() or not any(out.iterdir())


def test_an_unreachable_scheduler_is_a_flag_error(tmp_path: Path, adult_csv: Path, dask_model_server: str) -> None:
    code, out = _job(tmp_path, "nosched", _config(dask_model_server), adult_csv,
                     "--scheduler", "tcp://127.0.0.1:9", "--dask-lost-timeout", "2")
    assert code == 2
    first = (tmp_path / "opt_nosched" / "output" / "message").read_text().splitlines()[0]
    assert "--scheduler" in first and "tcp://127.0.0.1:9" in first
    assert not out.exists() or not any(out.iterdir())
