"""A SageMaker-compatible model image run locally with Docker: ``<image> serve``, model files in
/opt/ml/model, GET /ping, POST /invocations on port 8080. The container is always removed.

Model files are copied into the container (``put_archive``) rather than bind-mounted, so the same
code works when the analyzer itself runs in a container that talks to the host's Docker engine.
In that case set ``ANALYZER_DOCKER_NETWORK`` to a user-defined network both containers share: the
model container joins it and is reached by name; otherwise port 8080 is published on 127.0.0.1.
"""
from __future__ import annotations

import io
import logging
import os
import secrets
import shutil
import socket
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from analyzer.errors import EndpointError, StorageError
from analyzer.predictor.cleanup import deferred_signals
from analyzer.predictor.http_backend import HttpTransport

log = logging.getLogger("analyzer.predictor.container")

NETWORK_ENV = "ANALYZER_DOCKER_NETWORK"
PING_TIMEOUT_SECONDS = 120.0
CONTAINER_LABEL = "clarify-analyzer.role"
# Which run started a container: ANALYZER_CONTAINER_OWNER when set (tests give each run its own),
# else host:pid. Lets a run (or a person) find its own containers among others on a shared engine.
OWNER_LABEL = "clarify-analyzer.owner"
OWNER_ENV = "ANALYZER_CONTAINER_OWNER"
MODEL_DIR = "/opt/ml/model"


def _docker() -> Any:
    try:
        import docker
        return docker.from_env(timeout=60)
    except Exception as exc:  # docker.errors.DockerException and socket errors alike
        raise EndpointError(f"predictor.image_uri needs a Docker engine, but none answered: {exc}") from None


def _owner() -> str:
    return os.environ.get(OWNER_ENV) or f"{socket.gethostname()}:{os.getpid()}"


@contextmanager
def model_files(model_data: str) -> Iterator[Path]:
    """A local directory with the model files: the directory itself, or a tarball extracted."""
    path = Path(model_data[len("file://"):] if model_data.startswith("file://") else model_data)
    if model_data.startswith("s3://"):
        from analyzer.storage import fetch  # an object (model.tar.gz) or a prefix of model files
        files = fetch(model_data, what="predictor.model_data")
        path = files[0] if len(files) == 1 else Path(os.path.commonpath([str(f.parent) for f in files]))
        if path.is_file() and not tarfile.is_tarfile(path):  # an S3 prefix holding one model file
            path = path.parent
    if path.is_dir():
        yield path
        return
    if not path.is_file():
        raise StorageError(f"predictor.model_data: {model_data} is neither a directory nor a file.")
    temp = Path(tempfile.mkdtemp(prefix="clarify-model-"))
    try:
        try:
            with tarfile.open(path) as archive:
                archive.extractall(temp, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise StorageError(f"predictor.model_data: {model_data} is not a readable .tar.gz: {exc}") from None
        yield temp
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _archive(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        archive.add(str(directory), arcname=MODEL_DIR.lstrip("/"))
    return buffer.getvalue()


def _logs(container: Any) -> str:
    try:
        return container.logs(tail=40).decode("utf-8", "replace").strip()
    except Exception:  # noqa: BLE001 - logs are only a diagnostic
        return "(no logs)"


def _wait_for_ping(container: Any, url: str, timeout: float) -> None:
    began = time.monotonic()
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    log.info("Model container answered /ping after %.1f s", time.monotonic() - began)
                    return
        except (urllib.error.URLError, OSError):
            pass
        container.reload()
        if container.status in ("exited", "dead"):
            raise EndpointError(f"The model container ({container.image.tags or container.image.id}) exited before "
                                f"answering /ping. Its last log lines:\n{_logs(container)}")
        if time.monotonic() - began > timeout:
            raise EndpointError(f"The model container did not answer {url} within {timeout:.0f} s. "
                                f"Its last log lines:\n{_logs(container)}")
        time.sleep(0.2)


def _ensure_image(client: Any, image: str) -> None:
    import docker.errors

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        log.info("Pulling model image %s", image)
        try:
            client.images.pull(image)
        except docker.errors.DockerException as exc:
            raise EndpointError(f"predictor.image_uri: image {image} is not available locally and could not be "
                                f"pulled: {exc}") from None


@contextmanager
def model_container(image: str, model_data: str, *, timeout: float,
                    environment: dict[str, str] | None = None,
                    headers: dict[str, str] | None = None) -> Iterator[HttpTransport]:
    """Start ``image serve`` with ``model_data`` at /opt/ml/model; yield a transport; remove it."""
    import docker.errors

    client = _docker()
    _ensure_image(client, image)
    network = os.environ.get(NETWORK_ENV)
    name = f"clarify-model-{int(time.time())}-{secrets.token_hex(3)}"
    container = None
    transport = None
    try:
        with model_files(model_data) as directory:
            log.info("Starting model container %s from %s with model data %s", name, image, model_data)
            options: dict[str, Any] = {"network": network} if network else {"ports": {"8080/tcp": ("127.0.0.1", None)}}
            container = client.containers.create(image, command=["serve"], name=name, detach=True,
                                                 environment=dict(environment or {}),
                                                 labels={CONTAINER_LABEL: "model", OWNER_LABEL: _owner()},
                                                 **options)
            container.put_archive("/", _archive(directory))
        container.start()
        container.reload()
        if network:
            base = f"http://{name}:8080"
        else:
            binding = (container.ports.get("8080/tcp") or [{}])[0]
            if not binding.get("HostPort"):
                raise EndpointError(f"The model container exited at once. Its last log lines:\n{_logs(container)}")
            base = f"http://127.0.0.1:{binding['HostPort']}"
        _wait_for_ping(container, f"{base}/ping", PING_TIMEOUT_SECONDS)
        transport = HttpTransport(f"{base}/invocations", timeout=timeout, extra_headers=headers)
        transport.description = f"model container {name} ({image})"
        yield transport
    except docker.errors.DockerException as exc:
        raise EndpointError(f"Docker failed to run the model image {image}: {exc}") from None
    finally:
        with deferred_signals():
            if transport is not None:
                transport.close()
            if container is None:  # interrupted between the engine creating it and us knowing it
                try:
                    container = client.containers.get(name)
                except docker.errors.DockerException:
                    pass
            if container is not None:
                log.info("Removing model container %s", name)
                try:
                    container.remove(force=True)
                except docker.errors.NotFound:
                    pass
                except docker.errors.DockerException as exc:
                    log.error("Could not remove model container %s: %s", name, exc)
