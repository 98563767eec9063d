"""Images and time series on the local model-container backend (``image_uri`` + ``model_data``) give
the HTTP backend's results for the same model: the pixel classifier in scripts/model_server's image,
the forecaster of tests/forecast_model.py in an image made from it. One container run per modality."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "predictor"))

from analyzer.predictor.container_backend import CONTAINER_LABEL, OWNER_ENV, OWNER_LABEL  # noqa: E402
from forecast_model import ForecastModel, serving  # noqa: E402
from modality_models import (  # noqa: E402
    explain_series,
    image_config,
    image_results,
    message,
    pixel_model,
    run_job,
    time_series_config,
    write_images,
    write_series,
)
from predictor_servers import running, serve  # noqa: E402

pytestmark = [pytest.mark.docker, pytest.mark.slow]

DOCKER = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"
RUN_OWNER = f"modality-tests-{os.getpid()}-{time.time_ns()}"


@pytest.fixture(autouse=True)
def _own_containers(monkeypatch: pytest.MonkeyPatch, docker_client) -> Iterator[None]:
    """This run's model containers carry its own owner label; none may be left behind."""
    monkeypatch.setenv(OWNER_ENV, RUN_OWNER)
    yield
    left = docker_client.containers.list(all=True, filters={"label": [f"{CONTAINER_LABEL}=model",
                                                                      f"{OWNER_LABEL}={RUN_OWNER}"]})
    assert [c.name for c in left] == []


@pytest.fixture(scope="module")
def forecast_image(docker_client, model_server_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The model server's image plus tests/forecast_model.py as its `serve` (NumPy only: one layer)."""
    context = tmp_path_factory.mktemp("forecast_image")
    shutil.copy(ROOT / "tests" / "forecast_model.py", context / "forecast_model.py")
    (context / "Dockerfile").write_text(
        f"FROM {model_server_image}\nCOPY forecast_model.py /opt/program/forecast_model.py\n"
        'ENTRYPOINT ["python", "/opt/program/forecast_model.py"]\nCMD ["serve"]\n')
    tag = f"clarify-forecast-model:test-{os.getpid()}"
    build = subprocess.run([DOCKER, "build", "-q", "-t", tag, str(context)], capture_output=True, text=True,
                           timeout=300, stdin=subprocess.DEVNULL)
    assert build.returncode == 0, build.stderr[-3000:]
    yield tag
    docker_client.images.remove(tag, force=True)


def test_images_in_a_model_container_match_http(tmp_path: Path, model_server_image: str) -> None:
    model_dir = pixel_model(tmp_path / "model")
    images = write_images(tmp_path / "images", 2)
    with running(serve.build_server(model_dir, "127.0.0.1", 0)) as url:
        code, out = run_job(tmp_path / "http", image_config(endpoint_url=f"{url}/invocations"), images)
    assert code == 0, message(tmp_path / "http")
    container = image_config(image_uri=model_server_image, model_data=str(model_dir))
    code, out_container = run_job(tmp_path / "container", container, images)
    assert code == 0, message(tmp_path / "container")
    assert image_results(out_container) == image_results(out)   # same JPEG decoding: Pillow pinned


def test_time_series_in_a_model_container_match_http(tmp_path: Path, forecast_image: str) -> None:
    model = ForecastModel.fitted()
    data = write_series(tmp_path / "series.json")
    with serving(model) as url:
        expected = explain_series(time_series_config(endpoint_url=url), data, tmp_path / "http")
    container = time_series_config(image_uri=forecast_image, model_data=str(model.save(tmp_path / "model")))
    assert explain_series(container, data, tmp_path / "container") == expected
