"""Fixtures for tests that need a Docker engine, a base image or the analyzer image.

Any ``tests/integration/test_*.py`` can use them (the predictor's model-container tests too):

``docker_client``
    A docker SDK client for a running engine. When none answers, ``scripts/bootstrap-docker.sh``
    is run to install/start one if ``CI=true`` (or ``ANALYZER_BOOTSTRAP_DOCKER=1``); if there is
    still none, the test FAILS under ``CI=true`` and is SKIPPED (with the reason) otherwise.
``base_image``
    A Python 3.11 base tag for ``docker build --build-arg BASE_IMAGE=...``: env
    ``ANALYZER_BASE_IMAGE`` when that image exists, else what the bootstrap prints last
    (``python:3.11-slim`` when present, or the local stand-in built offline). Session-scoped.
``model_server_image``
    ``scripts/model_server``'s model image (scikit-learn models, also on image requests), built
    once per session with the host's library versions.
``analyzer_image``
    The analyzer image built once per session from this working tree with
    ``scripts/build-image.sh`` (docker's layer cache makes a rebuild take seconds). Set
    ``ANALYZER_IMAGE`` to test a prebuilt tag instead.
``example_job``
    A small pre-training bias job (config + CSV written into ``tmp_path``), with helpers to run
    it with ``docker run`` and in-process through ``analyzer.cli.main``.

``job_factory``
    ``.make(config, rows)`` for other jobs; ``.require(reason)`` fails under CI and skips
    elsewhere (use it for any missing component); ``.rows()``, ``.config()`` give the example.
Every wait here is bounded: a hung engine or build fails the test, never the session.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, Sequence

import pytest

from components import in_ci, require_component

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = ROOT / "scripts" / "bootstrap-docker.sh"
BUILD = ROOT / "scripts" / "build-image.sh"
TEST_IMAGE_TAG = "clarify-analyzer:test"
BOOTSTRAP_TIMEOUT_S = 900     # cold: apt-get install docker.io + mmdebstrap (~2 min here)
BUILD_TIMEOUT_S = 1200        # cold: pip installs the whole dependency set (~2 min here)
ENGINE_TIMEOUT_S = 30
CONTAINER_TIMEOUT_S = 180


def require(reason: str) -> NoReturn:
    """A missing component: a failure in CI (where it must exist), a skip on a developer's machine."""
    require_component(False, reason)
    raise AssertionError("unreachable")  # require_component fails or skips


def _bootstrap() -> str:
    """Run the bootstrap (idempotent); return the base tag it prints last, or raise RuntimeError."""
    if shutil.which("bash") is None:
        raise RuntimeError("bash is not installed")
    try:
        done = subprocess.run(["bash", str(BOOTSTRAP)], capture_output=True, text=True,
                              timeout=BOOTSTRAP_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{BOOTSTRAP.name} did not finish within {BOOTSTRAP_TIMEOUT_S}s") from None
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"{BOOTSTRAP.name} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def _ping() -> Any:
    import docker

    client = docker.from_env(timeout=ENGINE_TIMEOUT_S)
    client.ping()
    return client


@pytest.fixture(scope="session")
def docker_client() -> Any:
    """A docker SDK client whose engine answered a ping (see the module docstring)."""
    try:
        import docker  # noqa: F401 - a runtime dependency; its absence is a broken venv
    except ImportError:
        require("the docker Python SDK is not installed")
    try:
        return _ping()
    except Exception as first:  # docker.errors.DockerException, socket errors: no engine answers
        if not (in_ci() or os.environ.get("ANALYZER_BOOTSTRAP_DOCKER") == "1"):
            require(f"no Docker engine answers ({first}); start one with scripts/bootstrap-docker.sh")
        try:
            _bootstrap()
            return _ping()
        except Exception as exc:
            require(f"no Docker engine answers and {BOOTSTRAP.name} could not start one: {exc}")


@pytest.fixture(scope="session")
def base_image(docker_client: Any) -> str:
    """The base tag to build images FROM (python:3.11-slim or the offline stand-in)."""
    import docker

    wanted = os.environ.get("ANALYZER_BASE_IMAGE")
    if wanted:
        try:
            docker_client.images.get(wanted)
            return wanted
        except docker.errors.ImageNotFound:
            pass  # the bootstrap pulls it or builds the stand-in
    try:
        return _bootstrap()
    except RuntimeError as exc:
        require(f"no base image: {exc}")


@pytest.fixture(scope="session")
def analyzer_image(docker_client: Any) -> str:
    """The analyzer image of this working tree, built once per session (or ANALYZER_IMAGE)."""
    import docker

    prebuilt = os.environ.get("ANALYZER_IMAGE")
    if prebuilt:
        try:
            docker_client.images.get(prebuilt)
        except docker.errors.ImageNotFound:
            require(f"ANALYZER_IMAGE={prebuilt} does not exist locally")
        return prebuilt
    env = {**os.environ, "IMAGE": TEST_IMAGE_TAG}
    try:
        previous = docker_client.images.get(TEST_IMAGE_TAG).id
    except docker.errors.ImageNotFound:
        previous = None
    try:
        done = subprocess.run(["bash", str(BUILD)], capture_output=True, text=True, env=env,
                              timeout=BOOTSTRAP_TIMEOUT_S + BUILD_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"building the image took more than {BOOTSTRAP_TIMEOUT_S + BUILD_TIMEOUT_S}s", pytrace=False)
    if done.returncode != 0:
        pytest.fail(f"{BUILD.name} exited {done.returncode}:\n{done.stderr[-4000:]}", pytrace=False)
    # The tag moved to the new build: drop the old image, or every code change leaves one behind.
    # (The tag itself stays: its layers are the cache that makes the next build take seconds.)
    if previous is not None and docker_client.images.get(TEST_IMAGE_TAG).id != previous:
        try:
            docker_client.images.remove(previous)
        except docker.errors.APIError:
            pass  # still used by a container or another tag
    return TEST_IMAGE_TAG


@pytest.fixture(scope="session")
def model_server_image(docker_client: Any, base_image: str) -> Any:
    """``scripts/model_server`` as a SageMaker-compatible model image, built once per session with the
    host's numpy/pandas/scikit-learn/joblib/Pillow (a pickled model needs the versions it was trained
    with). The tag is this session's own: other test runs may share the engine."""
    import joblib
    import numpy
    import pandas
    import PIL
    import sklearn

    pins = (f"numpy=={numpy.__version__} pandas=={pandas.__version__} scikit-learn=={sklearn.__version__} "
            f"joblib=={joblib.__version__} pillow=={PIL.__version__}")
    tag = f"clarify-model-server:test-{os.getpid()}"
    docker = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"
    build = subprocess.run([docker, "build", "-q", "--build-arg", f"BASE_IMAGE={base_image}",
                            "--build-arg", f"PIP_PACKAGES={pins}", "-t", tag, str(ROOT / "scripts" / "model_server")],
                           capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, stdin=subprocess.DEVNULL)
    assert build.returncode == 0, build.stderr[-3000:]
    yield tag
    docker_client.images.remove(tag, force=True)


# ---- a small, hand-checkable example job ------------------------------------------------------

HEADERS = ["Age", "Sex", "Hours per week", "Group", "Target"]


def example_rows(n: int = 120, seed: int = 7) -> list[list[Any]]:
    """Adult-like rows: women get the positive label less often, so every metric has a value."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        sex = rng.choice(["Female", "Male"])
        age = rng.randint(18, 70)
        hours = rng.choice([20, 30, 40, 40, 40, 50, 60])
        group = rng.choice(["a", "b", "c"])
        positive = rng.random() < (0.2 if sex == "Female" else 0.4) + (0.1 if hours >= 50 else 0.0)
        rows.append([age, sex, hours, group, ">50K" if positive else "<=50K"])
    return rows


def example_config() -> dict[str, Any]:
    return {
        "dataset_type": "text/csv",
        "headers": HEADERS,
        "label": "Target",
        "label_values_or_threshold": [">50K"],
        "facet": [{"name_or_index": "Sex", "value_or_threshold": ["Female"]}],
        "group_variable": "Group",
        "methods": {"pre_training_bias": {"methods": "all"}},
    }


def write_csv(path: Path, rows: Sequence[Sequence[Any]], header: Sequence[str] | None = None) -> Path:
    lines = [",".join(header)] if header else []
    lines += [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class ContainerRun:
    code: int
    logs: str
    base: Path      # the host folder mounted as /opt/ml

    @property
    def output(self) -> Path:
        return self.base / "processing" / "output"

    @property
    def message(self) -> str:
        return (self.base / "output" / "message").read_text(encoding="utf-8")


@dataclass
class ExampleJob:
    """An /opt/ml tree on the host: config + data as the processing inputs, writable outputs."""

    base: Path
    config: dict[str, Any]

    @property
    def config_path(self) -> Path:
        return self.base / "processing" / "input" / "config" / "analysis_config.json"

    @property
    def data_path(self) -> Path:
        return self.base / "processing" / "input" / "data" / "data.csv"

    def docker_args(self) -> list[str]:
        """The volume flags of the README's `docker run` command."""
        return ["-v", f"{self.base / 'processing' / 'input'}:/opt/ml/processing/input:ro",
                "-v", f"{self.base / 'processing' / 'output'}:/opt/ml/processing/output",
                "-v", f"{self.base / 'output'}:/opt/ml/output"]

    def docker_run(self, image: str, *extra: str, timeout: float = CONTAINER_TIMEOUT_S) -> ContainerRun:
        cmd = ["docker", "run", "--rm", *self.docker_args(), *extra, image]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`{' '.join(cmd)}` did not finish within {timeout}s", pytrace=False)
        return ContainerRun(done.returncode, done.stdout + done.stderr, self.base)

    def run_in_process(self, out: Path) -> int:
        """The same job through analyzer.cli.main, in this process, writing to ``out``."""
        from analyzer.cli import main

        return main(["run", "--config", str(self.config_path), "--data", str(self.data_path.parent),
                     "--output", str(out), "--base-dir", str(out.parent / "opt_ml_in_process")])


def make_job(root: Path, config: dict[str, Any], rows: Sequence[Sequence[Any]]) -> ExampleJob:
    job = ExampleJob(base=root / "opt_ml", config=config)
    for sub in ("processing/input/config", "processing/input/data", "processing/output", "output"):
        (job.base / sub).mkdir(parents=True, exist_ok=True)
    # The image runs as uid 10001: let it write into folders this (root) test process created.
    for sub in ("processing/output", "output"):
        (job.base / sub).chmod(0o777)
    job.config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    write_csv(job.data_path, rows)
    return job


class JobFactory:
    """What test modules need beyond the fixtures (conftest modules are not importable by name)."""

    require = staticmethod(require)
    in_ci = staticmethod(in_ci)
    rows = staticmethod(example_rows)
    config = staticmethod(example_config)
    write_csv = staticmethod(write_csv)

    def __init__(self, root: Path) -> None:
        self.root = root

    def make(self, config: dict[str, Any], rows: Sequence[Sequence[Any]], name: str = "job") -> ExampleJob:
        return make_job(self.root / name, config, rows)


@pytest.fixture
def job_factory(tmp_path: Path) -> JobFactory:
    return JobFactory(tmp_path)


@pytest.fixture
def example_job(job_factory: JobFactory) -> ExampleJob:
    return job_factory.make(example_config(), example_rows())


@pytest.fixture
def quiet_logging() -> Any:
    """analyzer.cli reconfigures the root logger (force=True); restore pytest's handlers afterwards."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)

