"""Fixtures for the Dask tests: a real LocalCluster with two worker processes, and the example model
server (on a thread of the test process, reached by the workers over 127.0.0.1)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "predictor"))

from components import require_module  # noqa: E402
from predictor_servers import running, serve, small_model  # noqa: E402


@pytest.fixture(scope="session")
def dask_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_model(tmp_path_factory.mktemp("dask_model"))


@pytest.fixture(scope="session")
def dask_model_server(dask_model: Path) -> Iterator[str]:
    with running(serve.build_server(dask_model, "127.0.0.1", 0)) as url:
        yield url


@pytest.fixture(scope="module")
def local_cluster() -> Iterator[Any]:
    """Two worker processes, one thread each; the tests' PYTHONPATH reaches the workers."""
    distributed = require_module("distributed", "the Dask tests need dask[distributed]")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  host="127.0.0.1") as cluster:
        yield cluster
