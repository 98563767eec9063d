"""Whole jobs on a real Dask cluster (LocalCluster, two worker processes) against the same job on
one host: identical analysis.json and local SHAP values, and clean failures."""
from __future__ import annotations

import os
import re
import shutil
import signal
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from dask_helpers import job_config as _config
from dask_helpers import run_job as _job

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _no_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reports are rendered from analysis.json, which is compared; they only cost time here."""
    monkeypatch.setattr("analyzer.job._write_reports", lambda *args, **kwargs: (None, None))


def _same_result(out: Path, reference: Path) -> None:
    assert (out / "analysis.json").read_bytes() == (reference / "analysis.json").read_bytes()
    local = (out / "explanations_shap" / "out.csv").read_bytes()
    assert local == (reference / "explanations_shap" / "out.csv").read_bytes()
    assert local.startswith(b"Id,") and local.count(b"\n") == 101


def _killing(monkeypatch: pytest.MonkeyPatch, when: str, kill: Callable[[Any], None]) -> list[str]:
    """Run ``kill(client)`` once, right after the first ``when`` task was sent to the workers."""
    import analyzer.distributed.predictor as predictor

    original_all, original_in_order, done = predictor.wait_all, predictor.in_order, []

    def wait_all(client: Any, futures: list, settings: Any, what: str, on_result: Any) -> None:
        if what == when and not done:
            kill(client)
            done.append(what)
        original_all(client, futures, settings, what, on_result)

    def in_order(client: Any, settings: Any, what: str, count: int, submit: Any, on_result: Any, window: int) -> None:
        def submitted(i: int) -> Any:
            future = submit(i)
            if what == when and not done:
                kill(client)
                done.append(what)
            return future

        original_in_order(client, settings, what, count, submitted, on_result, window)

    monkeypatch.setattr(predictor, "wait_all", wait_all)
    monkeypatch.setattr(predictor, "in_order", in_order)
    return done


def test_a_two_worker_cluster_gives_the_one_host_result_even_when_a_worker_dies(
        tmp_path: Path, dask_model_server: str, local_cluster: Any, one_host: Path, adult_csv: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """Predictions, Kernel SHAP shards and PDP on two worker processes; one is killed (SIGKILL) once
    the Kernel SHAP shards are sent: its nanny restarts it, Dask retries its tasks, same bytes."""
    def kill_one(client: Any) -> None:
        pids = client.run(os.getpid)
        os.kill(sorted(pids.values())[0], signal.SIGKILL)

    done = _killing(monkeypatch, "Kernel SHAP", kill_one)
    capsys.readouterr()
    code, out = _job(tmp_path, "scaled", _config(dask_model_server), adult_csv,
                     "--scheduler", local_cluster.scheduler_address, "--dask-chunk-rows", "32")
    assert done and code == 0
    _same_result(out, one_host)
    text = capsys.readouterr().err
    assert "Dask cluster" in text and "2 workers" in text and "Scaling out on Dask: " in text
    assert "The workers read the dataset themselves: 1 file(s), 100 rows, in 4 shards of up to 32 rows." in text
    shares = re.search(r"Kernel SHAP on the workers in [0-9.]+ s: (.*)", text)
    assert shares and sum(map(int, re.findall(r" (\d+) task", shares.group(1)))) == 4


def test_a_model_file_the_workers_cannot_open_is_named(tmp_path: Path, local_cluster: Any, adult_csv: Path,
                                                       dask_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The leader loaded the model; the file is gone when the workers look (as on hosts that do not
    share the leader's disk): one line naming the file and the worker, no output."""
    from analyzer.distributed.session import Cluster

    model = tmp_path / "model.tar.gz"
    shutil.copy(dask_model / "model.tar.gz", model)
    share = Cluster.predictor

    def leader_only(*args: Any) -> Any:
        model.unlink()
        return share(*args)

    monkeypatch.setattr(Cluster, "predictor", leader_only)
    config = _config("http://unused")
    config["predictor"] = {"in_process": True, "model_data": str(model), "allow_pickle": True,
                           "label": "predicted_label", "probability": "score"}
    code, out = _job(tmp_path, "missing", config, adult_csv, "--scheduler", local_cluster.scheduler_address)
    first = (tmp_path / "opt_missing" / "output" / "message").read_text().splitlines()[0]
    assert code == 5, first
    assert str(model) in first and "on Dask worker tcp://127.0.0.1:" in first
    assert not out.exists() or not any(out.iterdir())


def test_a_dataset_the_workers_cannot_read_is_named(tmp_path: Path, dask_model_server: str, local_cluster: Any,
                                                     adult_csv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers read the data themselves: a file only the leader sees (gone once the leader has
    listed it, as on workers that do not share its disk) ends the job with one line naming the file and
    the worker, exit 3 and no output."""
    import analyzer.storage

    data = tmp_path / "leader-only" / "adult.csv"
    data.parent.mkdir()
    shutil.copy(adult_csv, data)
    locate = analyzer.storage.locate

    def leader_only(*args: Any, **kwargs: Any) -> list[str]:
        found = locate(*args, **kwargs)
        shutil.rmtree(data.parent)
        return found

    monkeypatch.setattr(analyzer.storage, "locate", leader_only)
    code, out = _job(tmp_path, "leader_data", _config(dask_model_server), data,
                     "--scheduler", local_cluster.scheduler_address)
    first = (tmp_path / "opt_leader_data" / "output" / "message").read_text().splitlines()[0]
    assert code == 3, first
    assert str(data) in first and "on S3 or on a path every worker sees" in first and "on Dask worker tcp://" in first
    assert not out.exists() or not any(out.iterdir())


def test_an_unreachable_scheduler_is_a_flag_error(tmp_path: Path, adult_csv: Path, dask_model_server: str) -> None:
    code, out = _job(tmp_path, "nosched", _config(dask_model_server), adult_csv,
                     "--scheduler", "tcp://127.0.0.1:9", "--dask-lost-timeout", "2")
    assert code == 2
    first = (tmp_path / "opt_nosched" / "output" / "message").read_text().splitlines()[0]
    assert "--scheduler" in first and "tcp://127.0.0.1:9" in first
    assert not out.exists() or not any(out.iterdir())


def test_losing_every_worker_fails_cleanly_within_the_timeout(tmp_path: Path, dask_model_server: str,
                                                              local_cluster: Any, adult_csv: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Last in the module: it takes the shared cluster's workers away."""
    done = _killing(monkeypatch, "Kernel SHAP", lambda client: local_cluster.scale(0))
    began = time.monotonic()
    code, out = _job(tmp_path, "lost", _config(dask_model_server), adult_csv,
                     "--scheduler", local_cluster.scheduler_address, "--dask-lost-timeout", "3")
    assert done and code == 6 and time.monotonic() - began < 60
    first = (tmp_path / "opt_lost" / "output" / "message").read_text().splitlines()[0]
    assert first.startswith("ClientError: No Dask worker for 3 s while running the Kernel SHAP"), first
    assert not out.exists() or not any(out.iterdir())
