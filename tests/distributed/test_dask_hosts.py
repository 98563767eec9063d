"""A multi-host job as SageMaker runs it, with two processes standing for the hosts (each with its own
/opt/ml and resourceconfig.json; the host names are 127.0.0.1 and localhost): the leader's scheduler
takes the follower's workers, the analysis equals the one-host run, local SHAP values come as part
files, and the follower exits 0 when the leader is done. (The container version of this test, with
hosts algo-1 and algo-2 on a Docker network, is tests/integration/test_image_hosts.py.)"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dask_helpers import job_config

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
HOSTS = ["127.0.0.1", "localhost"]
#: The hosts run without reports: they are rendered from analysis.json, which is compared.
NO_REPORTS = ("import sys, analyzer.job; from analyzer.cli import main; "
              "analyzer.job._write_reports = lambda *a, **k: (None, None); sys.exit(main(sys.argv[1:]))")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _host(base: Path, current: str, config: dict, data: Path) -> Path:
    (base / "config").mkdir(parents=True)
    (base / "config" / "resourceconfig.json").write_text(json.dumps({"current_host": current, "hosts": HOSTS}))
    (base / "config" / "processingjobconfig.json").write_text(json.dumps({"ProcessingJobName": "two-hosts"}))
    (base / "processing" / "input" / "config").mkdir(parents=True)
    (base / "processing" / "input" / "config" / "analysis_config.json").write_text(json.dumps(config))
    (base / "processing" / "input" / "data").mkdir(parents=True)
    (base / "processing" / "input" / "data" / "adult.csv").write_bytes(data.read_bytes())
    return base


def test_two_hosts_share_the_work_and_give_the_one_host_result(tmp_path: Path, dask_model_server: str,
                                                               adult_csv: Path, one_host: Path) -> None:
    config = job_config(dask_model_server)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ANALYZER_LEADER_PORT": str(_free_port()),
           "ANALYZER_DASK_PORT": str(_free_port()), "ANALYZER_DASK_WORKERS": "1", "ANALYZER_DASK_CHUNK_ROWS": "32"}
    bases = [_host(tmp_path / host, host, config, adult_csv) for host in HOSTS]
    procs = [subprocess.Popen([sys.executable, "-c", NO_REPORTS, "--base-dir", str(base)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for base in bases]
    try:
        logs = [proc.communicate(timeout=300)[0] for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
    assert [proc.returncode for proc in procs] == [0, 0], "\n\n".join(log[-3000:] for log in logs)
    leader, follower = (base / "processing" / "output" for base in bases)
    assert (leader / "analysis.json").read_bytes() == (one_host / "analysis.json").read_bytes()
    parts = sorted((leader / "explanations_shap" / "out.csv").iterdir())
    assert [p.name for p in parts] == ["part-00000.csv", "part-00001.csv"]
    joined = pd.concat([pd.read_csv(p) for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(joined, pd.read_csv(one_host / "explanations_shap" / "out.csv"))
    assert list(joined.columns)[0] == "Id"
    assert not follower.exists() or not any(follower.iterdir())      # followers write no results
    assert "1 Dask worker(s) joined the scheduler" in logs[1] and "The leader 127.0.0.1 has finished." in logs[1]
    assert "Dask cluster" in logs[0] and ": 2 workers, 2 threads" in logs[0]
    assert "Completed: not the leader host" in (bases[1] / "output" / "message").read_text()
