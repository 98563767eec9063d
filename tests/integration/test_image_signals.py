"""`docker stop` (SIGTERM to PID 1) during a long job: the analyzer stops, cleans up, leaves no
analysis.json, writes the reason to the message file and exits 143 well before docker's SIGKILL."""
from __future__ import annotations

import socket
import subprocess
import threading
import time
import uuid
from typing import Any, Iterator

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.slow]

STOP_GRACE_S = 30      # docker stop's wait before SIGKILL; the analyzer must exit long before it
CONNECT_WAIT_S = 90


class SilentModel:
    """A model endpoint on 127.0.0.1 that accepts requests and never answers: the job hangs
    in 'Getting predictions' until it is stopped."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self._held.append(conn)
            self.connected.set()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent_model() -> Iterator[SilentModel]:
    model = SilentModel()
    yield model
    model.close()


def _docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


#: pid, real uid and command line of every process in the container (slim images have no `ps`).
PROCESS_LISTING = """import os
for pid in sorted(p for p in os.listdir("/proc") if p.isdigit()):
    try:
        uid = next(l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("Uid:"))
        print(pid, uid, " ".join(open(f"/proc/{pid}/cmdline").read().replace(chr(0), " ").split()))
    except OSError:
        pass
"""


def test_docker_stop_during_predictions_leaves_no_results(
        job_factory: Any, analyzer_image: str, silent_model: SilentModel) -> None:
    config = {**job_factory.config(),
              "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
              "predictor": {"endpoint_url": f"http://127.0.0.1:{silent_model.port}/invocations",
                            "content_type": "text/csv", "accept_type": "text/csv",
                            "request_timeout_seconds": 600, "max_retries": 0}}
    job = job_factory.make(config, job_factory.rows())
    for sub in ("processing/output", "output"):  # root-owned, as SageMaker mounts them
        (job.base / sub).chmod(0o755)
    name = f"clarify-sigterm-{uuid.uuid4().hex[:8]}"
    # --network host: the container's 127.0.0.1 is this machine's loopback, where the model listens.
    started = _docker("run", "-d", "--name", name, "--network", "host", *job.docker_args(), analyzer_image)
    assert started.returncode == 0, started.stderr
    try:
        assert silent_model.connected.wait(CONNECT_WAIT_S), _docker("logs", name).stderr[-3000:]
        listing = _docker("exec", name, "python", "-c", PROCESS_LISTING)
        began = time.monotonic()
        stopped = _docker("stop", "-t", str(STOP_GRACE_S), name, timeout=STOP_GRACE_S + 30)
        took = time.monotonic() - began
        assert stopped.returncode == 0, stopped.stderr
        exit_code = _docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip()
        logs = _docker("logs", name)
        logs = logs.stdout + logs.stderr
    finally:
        _docker("rm", "-f", name)

    # The analysis (PID 1 after the entrypoint's exec) runs as the image's user, not as root.
    processes = [line.split(" ", 2) for line in listing.stdout.splitlines()]
    analysis = [p for p in processes if "-m analyzer" in p[2]]
    assert [(pid, uid) for pid, uid, _ in analysis] == [("1", "10001")], listing.stdout + listing.stderr
    assert exit_code == "143", logs[-3000:]
    assert took < STOP_GRACE_S / 2, f"docker stop took {took:.1f}s: the SIGTERM handler did not run"
    assert "Signal 15 received, cleaning up" in logs
    assert not (job.base / "processing" / "output" / "analysis.json").exists()
    assert list((job.base / "processing" / "output").iterdir()) == []
    message = (job.base / "output" / "message").read_text()
    assert "signal 15" in message and "no results" in message


MUTE_MODEL_DOCKERFILE = b"""FROM {base}
# A model image whose server never answers /ping: the job waits for it until stopped.
ENTRYPOINT ["python3", "-c", "import time; time.sleep(600)"]
"""
MODEL_LABEL = "clarify-analyzer.role"


def test_docker_stop_while_a_model_container_starts_removes_it(
        job_factory: Any, analyzer_image: str, base_image: str, docker_client: Any, tmp_path: Any) -> None:
    """The local-container backend (Docker socket mounted): stopping the job tears the model down."""
    import io
    import os

    model_image = "clarify-test-mute-model:latest"
    docker_client.images.build(fileobj=io.BytesIO(MUTE_MODEL_DOCKERFILE.replace(b"{base}", base_image.encode())),
                               tag=model_image, rm=True, timeout=300)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "model.joblib").write_bytes(b"not used")
    config = {**job_factory.config(),
              "methods": {"post_training_bias": {"methods": "all"}},
              "predictor": {"image_uri": model_image, "model_data": "/opt/ml/model-data",
                            "content_type": "text/csv", "accept_type": "text/csv"}}
    job = job_factory.make(config, job_factory.rows())
    network = f"clarify-sigterm-{uuid.uuid4().hex[:8]}"
    name = f"{network}-job"
    socket_gid = str(os.stat("/var/run/docker.sock").st_gid)
    docker_client.networks.create(network, driver="bridge")
    try:
        started = _docker("run", "-d", "--name", name, "--network", network, "-e", f"ANALYZER_DOCKER_NETWORK={network}",
                          "-v", "/var/run/docker.sock:/var/run/docker.sock", "--group-add", socket_gid,
                          "-v", f"{model_dir}:/opt/ml/model-data:ro", *job.docker_args(), analyzer_image)
        assert started.returncode == 0, started.stderr
        deadline = time.monotonic() + CONNECT_WAIT_S
        while not docker_client.containers.list(filters={"label": MODEL_LABEL, "network": network}):
            assert time.monotonic() < deadline, _docker("logs", name).stderr[-3000:]
            time.sleep(0.2)
        stopped = _docker("stop", "-t", str(STOP_GRACE_S), name, timeout=STOP_GRACE_S + 30)
        assert stopped.returncode == 0, stopped.stderr
        exit_code = _docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip()
        logs = _docker("logs", name)
        logs = logs.stdout + logs.stderr
        left = docker_client.containers.list(all=True, filters={"label": MODEL_LABEL, "network": network})
    finally:
        _docker("rm", "-f", name)
        for container in docker_client.containers.list(all=True, filters={"label": MODEL_LABEL, "network": network}):
            container.remove(force=True)
        docker_client.networks.get(network).remove()
        docker_client.images.remove(model_image, force=True)

    assert exit_code == "143", logs[-3000:]
    assert "Signal 15 received, cleaning up" in logs
    assert left == [], [c.name for c in left]
    assert list((job.base / "processing" / "output").iterdir()) == []
