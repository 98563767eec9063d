"""The scale-out knobs (flags > environment > machine defaults, bounds with exit 2), and that a
one-host job never imports dask."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.distributed.settings import BOUNDS, ScaleSettings, default_workers, scale_settings
from analyzer.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_flags_win_over_the_environment_and_defaults_come_from_the_machine() -> None:
    env = {"ANALYZER_DASK_SCHEDULER": "tcp://env:8786", "ANALYZER_DASK_WORKERS": "3", "ANALYZER_DASK_IN_FLIGHT": "7"}
    got = scale_settings({"scheduler": "tcp://flag:1", "workers": "5", "chunk_rows": 64}, env)
    assert got == ScaleSettings(scheduler="tcp://flag:1", workers=5, threads=1, chunk_rows=64, in_flight=7,
                                lost_timeout=60)
    assert scale_settings({}, env).scheduler == "tcp://env:8786"
    assert scale_settings({}, {}).workers == default_workers() >= 1
    assert scale_settings({}, {}).scheduler is None and scale_settings({}, {}).chunk_rows is None


def test_default_workers_follow_cpus_and_memory() -> None:
    gib = 1 << 30
    assert default_workers(cpus=8, memory=64 * gib) == 8
    assert default_workers(cpus=8, memory=3 * gib) == 3     # one per GiB
    assert default_workers(cpus=8, memory=gib // 2) == 1
    assert default_workers(cpus=2, memory=0) == 2            # memory unknown: CPUs


@pytest.mark.parametrize("knob", sorted(BOUNDS))
def test_each_knob_is_bounded_and_named(knob: str) -> None:
    flag, env, low, high = BOUNDS[knob]
    for bad in (low - 1, high + 1, "many"):
        with pytest.raises(ConfigError) as flag_error:
            scale_settings({knob: bad}, {})
        assert flag_error.value.message.startswith(f"{flag}: ") and f"{low}..{high}" in flag_error.value.message
        with pytest.raises(ConfigError) as env_error:
            scale_settings({}, {env: str(bad)})
        assert env_error.value.message.startswith(f"{env}: ")


def test_a_bad_knob_fails_the_run_with_exit_2(tmp_path: Path) -> None:
    from analyzer.cli import main

    (tmp_path / "c.json").write_text("{}")
    code = main(["run", "--config", str(tmp_path / "c.json"), "--base-dir", str(tmp_path), "--dask-workers", "0"])
    assert code == 2
    assert (tmp_path / "output" / "message").read_text().startswith("ClientError: --dask-workers: 0 is out of range")


def test_a_one_host_job_never_imports_dask(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("a,label\n1,0\n2,1\n3,1\n4,0\n")
    config = {"dataset_type": "text/csv", "label": "label", "label_values_or_threshold": [1],
              "facet": [{"name_or_index": "a", "value_or_threshold": [2]}],
              "methods": {"pre_training_bias": {"methods": ["CI"]}}}
    (tmp_path / "c.json").write_text(json.dumps(config))
    script = ("import sys, analyzer.job; from analyzer.cli import main; "
              "analyzer.job._write_reports = lambda *a, **k: (None, None); "   # the reports only cost time here
              f"code = main(['run', '--config', {str(tmp_path / 'c.json')!r}, '--data', {str(data)!r}, "
              f"'--output', {str(tmp_path / 'out')!r}, '--base-dir', {str(tmp_path)!r}]); "
              "assert code == 0, code; "
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ANALYZER_DASK_WORKERS": "2"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
