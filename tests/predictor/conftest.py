"""Fixtures for predictor tests: one small Adult model and the example model server on a thread."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from predictor_servers import running, serve, small_model


@pytest.fixture(scope="session")
def adult_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_model(tmp_path_factory.mktemp("adult_model"))


@pytest.fixture(scope="session")
def model_server(adult_model: Path) -> Iterator[str]:
    """Base URL of the example model server (CSV answers: the score)."""
    with running(serve.build_server(adult_model, "127.0.0.1", 0)) as url:
        yield url


@pytest.fixture(scope="session")
def labelled_model_server(adult_model: Path) -> Iterator[str]:
    """The same model, CSV answers ``label,score``."""
    with running(serve.build_server(adult_model, "127.0.0.1", 0, csv_output="label,score")) as url:
        yield url
