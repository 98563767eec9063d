"""README blocks marked <!-- readme-test: docker -->, run against the image the tests build.

The README names the image clarify-analyzer:latest; here that name is replaced by the session's
test image, so a developer's own :latest tag is neither needed nor touched.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from readme_blocks import blocks, make_sandbox, run_session, session_script  # noqa: E402

pytestmark = [pytest.mark.docker, pytest.mark.slow]
README_IMAGE = "clarify-analyzer:latest"


def test_readme_docker_blocks_run(docker_client: Any, analyzer_image: str, datasets: Path, tmp_path: Path) -> None:
    selected = [b for b in blocks() if b.mode == "docker"]
    assert selected, "the README should show at least one docker run"
    sandbox = make_sandbox(tmp_path / "clone")
    sandbox.chmod(0o777)      # the container's user (the caller's uid) writes out/ and status/ here
    done = run_session(sandbox, session_script(selected, {README_IMAGE: analyzer_image}), timeout=600)
    assert done.returncode == 0, done.stdout[-6000:]
    assert (sandbox / "status" / "message").read_text().startswith("Completed")
    assert "pre_training_bias_metrics" in json.loads((sandbox / "out" / "analysis.json").read_text())
