"""Fixtures for the Dask tests: a real LocalCluster with two worker processes, and the example model
server (on a thread of the test process, reached by the workers over 127.0.0.1)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "predictor"))

from components import require_module  # noqa: E402
from dask_helpers import job_config, run_job  # noqa: E402
from predictor_servers import adult_frame, running, serve, small_model  # noqa: E402


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
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  host="127.0.0.1") as cluster:
        yield cluster


@pytest.fixture(scope="session")
def adult_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100 Adult rows with a join column ``Id``."""
    frame = adult_frame(100)
    frame.insert(0, "Id", [f"r{i}" for i in range(len(frame))])
    path = tmp_path_factory.mktemp("dask_data") / "adult.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def one_host(tmp_path_factory: pytest.TempPathFactory, dask_model_server: str, adult_csv: Path) -> Path:
    """The job on one host, without Dask: the reference every cluster run must equal."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("analyzer.job._write_reports", lambda *args, **kwargs: (None, None))
        code, out = run_job(tmp_path_factory.mktemp("one_host"), "alone", job_config(dask_model_server), adult_csv)
    assert code == 0
    return out
