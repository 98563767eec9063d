"""A multi-host job's Dask part without containers: the leader's scheduler with its own worker and
a follower's worker joining by name, each running inside its host's process (no second interpreter
to start), and the follower's worker leaving when the block ends."""
from __future__ import annotations

import os
import socket

import pytest

from analyzer.distributed.follower import workers_for
from analyzer.distributed.session import HOSTS_WAIT_ENV, PORT_ENV, open_cluster
from analyzer.distributed.settings import ScaleSettings

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_one_worker_per_host_runs_in_the_host_process_and_joins_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PORT_ENV, str(_free_port()))
    monkeypatch.setenv(HOSTS_WAIT_ENV, "60")
    one = ScaleSettings(workers=1, threads=1)
    with workers_for("127.0.0.1", "algo-2", one), open_cluster(one, ["algo-1", "algo-2"]) as cluster:
        names = {str(w["name"]) for w in cluster.client.scheduler_info(n_workers=-1)["workers"].values()}
        pids = set(cluster.client.run(os.getpid).values())
    assert "algo-2/0" in names and len(names) == 2          # the leader waited for the follower's worker
    assert pids == {os.getpid()}                             # both workers are threads of this process
