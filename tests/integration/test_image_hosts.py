"""A two-host job with real containers, as SageMaker runs one: hosts ``algo-1`` and ``algo-2`` on a
user-defined Docker network, each with its own /opt/ml and resourceconfig.json, sharing a model
server container. The follower is killed while Kernel SHAP runs: the leader's own worker takes its
tasks and the job completes with the one-host analysis and Clarify's part files; the follower
container, the server and the network are removed whatever happens."""
from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "distributed"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "predictor"))
from dask_helpers import job_config, run_job  # noqa: E402
from predictor_servers import adult_frame, small_model  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.docker]
ROOT = Path(__file__).resolve().parents[2]
HOSTS = ["algo-1", "algo-2"]
JOB_TIMEOUT_S = 600


def _wait_for(container: Any, text: bytes, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in container.logs():
        container.reload()
        assert container.status != "exited" and time.monotonic() < deadline, container.logs()[-3000:].decode()
        time.sleep(0.3)


def _host_dir(base: Path, host: str, config: dict, data: Path) -> Path:
    (base / "config").mkdir(parents=True)
    (base / "config" / "resourceconfig.json").write_text(json.dumps({"current_host": host, "hosts": HOSTS}))
    (base / "config" / "processingjobconfig.json").write_text(json.dumps({"ProcessingJobName": "two-hosts"}))
    for sub in ("processing/input/config", "processing/input/data", "processing/output", "output"):
        (base / sub).mkdir(parents=True)
    (base / "processing" / "input" / "config" / "analysis_config.json").write_text(json.dumps(config))
    (base / "processing" / "input" / "data" / "adult.csv").write_bytes(data.read_bytes())
    return base


def test_two_host_containers_lose_the_follower_and_complete(docker_client: Any, analyzer_image: str,
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "model").mkdir()
    model = small_model(tmp_path / "model")
    data = tmp_path / "adult.csv"
    frame = adult_frame(100)
    frame.insert(0, "Id", [f"r{i}" for i in range(len(frame))])
    frame.to_csv(data, index=False)
    tag = uuid.uuid4().hex[:8]
    network = docker_client.networks.create(f"clarify-hosts-{tag}", driver="bridge")
    containers: list[Any] = []
    try:
        server = docker_client.containers.run(
            analyzer_image, entrypoint=["python", "/srv/serve.py", "--model-dir", "/opt/ml/model"],
            name=f"clarify-model-{tag}", detach=True, network=network.name, ports={"8080/tcp": ("127.0.0.1", None)},
            volumes={str(model): {"bind": "/opt/ml/model", "mode": "ro"},
                     str(ROOT / "scripts" / "model_server"): {"bind": "/srv", "mode": "ro"}})
        containers.append(server)
        _wait_for(server, b"listening on", 60)
        server.reload()
        port = server.attrs["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostPort"]
        # the same job on one host (in this process, against the same model server) is the reference
        monkeypatch.setattr("analyzer.job._write_reports", lambda *args, **kwargs: (None, None))
        code, alone = run_job(tmp_path, "alone", job_config(f"http://127.0.0.1:{port}"), data)
        assert code == 0
        config = job_config(f"http://clarify-model-{tag}:8080")
        for host in HOSTS:   # SageMaker's host names, one container each, on the job's own network
            base = _host_dir(tmp_path / host, host, config, data)
            container = docker_client.containers.create(
                analyzer_image, name=f"{host}-{tag}", hostname=host, user=f"{os.getuid()}:{os.getgid()}", environment={
                    "ANALYZER_DASK_WORKERS": "1", "ANALYZER_DASK_CHUNK_ROWS": "32",
                    "ANALYZER_LEADER_HEARTBEAT_TIMEOUT": "20"},
                volumes={str(base): {"bind": "/opt/ml", "mode": "rw"}})
            containers.append(container)
            network.connect(container, aliases=[host])
            container.start()
        leader, follower = containers[1], containers[2]
        _wait_for(leader, b"Shap analyzer: explaining 100 rows, 14 columns in 4 shards on 2 worker threads", 300)
        follower.kill()        # mid-job: its worker's tasks go back to the leader's worker
        result = leader.wait(timeout=JOB_TIMEOUT_S)
        logs = leader.logs().decode()
        assert result["StatusCode"] == 0, logs[-4000:]
    finally:
        for container in containers:
            container.remove(force=True)
        network.remove()
    assert "Dask cluster" in logs and ": 2 workers, 2 threads" in logs     # both hosts' workers joined
    out = tmp_path / "algo-1" / "processing" / "output"
    assert (out / "analysis.json").read_bytes() == (alone / "analysis.json").read_bytes()
    parts = sorted((out / "explanations_shap" / "out.csv").iterdir())
    assert [p.name for p in parts] == ["part-00000.csv", "part-00001.csv"]
    joined = pd.concat([pd.read_csv(p) for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(joined, pd.read_csv(alone / "explanations_shap" / "out.csv"))
    assert not any((tmp_path / "algo-2" / "processing" / "output").iterdir())
