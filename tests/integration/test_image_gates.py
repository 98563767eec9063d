"""`docker run` as a CI gate: flags after the image name, a YAML rules file mounted with the inputs,
exit 1 with constraint_violations.json and the CompletedWithViolations message; exit 0 when nothing fails."""
from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _docker_run(job: Any, image: str, *args: str) -> tuple[int, str]:
    """`docker run` with the README's mounts and ``args`` after the image name (the CLI's flags)."""
    done = subprocess.run(["docker", "run", "--rm", *job.docker_args(), image, *args], capture_output=True,
                          text=True, timeout=180, stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout + done.stderr


def test_docker_run_gate_exits_1_on_violations_and_0_otherwise(job_factory: Any, analyzer_image: str) -> None:
    job = job_factory.make(job_factory.config(), job_factory.rows())
    rules = job.base / "processing" / "input" / "gates.yaml"
    # example rows: women get the positive label about half as often, so DPL > 0.05 holds and CI < -1 cannot.
    rules.write_text("- rule: 'Sex=Female:DPL>0.05'\n  description: label gap\n- abs(CI)>1\n")

    code, logs = _docker_run(job, analyzer_image, "--fail-on", "KS>1",
                             "--thresholds", "/opt/ml/processing/input/gates.yaml")

    assert code == 1, logs
    output = job.base / "processing" / "output"
    violations = json.loads((output / "constraint_violations.json").read_text())["violations"]
    assert [(v["metric_name"], v["constraint_check_type"], v["rule"]) for v in violations] == [
        ("DPL", "threshold_check", "Sex=Female:DPL>0.05")]
    assert violations[0]["description"].endswith("violates the rule Sex=Female:DPL>0.05: label gap")
    message = (job.base / "output" / "message").read_text()
    assert message.startswith("CompletedWithViolations: 1 violation (1 threshold_check) in 3 checks")
    assert (output / "analysis.json").is_file()
    assert "Violation (threshold_check) Sex = Female, DPL (pre-training)" in logs

    code, logs = _docker_run(job, analyzer_image, "run", "--fail-on", "KS>1")
    assert code == 0, logs
    assert json.loads((output / "constraint_violations.json").read_text())["violations"] == []
    assert (job.base / "output" / "message").read_text().startswith("Completed: ")
