"""Every bash block of README.md parses, and the runnable ones run, in order, in a sandbox.

See tests/readme_blocks.py for the markers. Docker blocks: tests/integration/test_readme_docker.py.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from readme_blocks import blocks, make_sandbox, run_session, session_script  # noqa: E402

SESSION_TIMEOUT_S = 1200


def test_blocks_are_found_and_every_one_parses():
    found = blocks()
    assert sum(b.mode == "run" for b in found) >= 4, found
    for block in found:
        done = subprocess.run(["bash", "-n"], input=block.code, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, f"README.md line {block.line}: {done.stderr}"


def test_markers_are_checked():
    text = "<!-- readme-test: syntax-only -->\n```bash\ntrue\n```\n"
    with pytest.raises(ValueError, match="needs a reason"):
        blocks(text)
    with pytest.raises(ValueError, match="unknown readme-test marker"):
        blocks("<!-- readme-test: maybe -->\n```bash\ntrue\n```\n")
    (block,) = blocks("<!-- readme-test: docker -->\n\n```bash\ndocker ps\n```\n")
    assert (block.mode, block.line, block.code) == ("docker", 3, "docker ps\n")


def test_a_failing_block_fails_the_session(tmp_path: Path):
    (block,) = blocks("text\n```bash\ntrue\nfalse\necho not reached\n```\n")
    done = run_session(tmp_path, session_script([block]), timeout=60)
    assert done.returncode != 0 and "not reached" not in done.stdout
    assert "[readme test] README.md line 2" in done.stdout


@pytest.mark.slow
def test_readme_commands_run(tmp_path: Path, datasets: Path):
    sandbox = make_sandbox(tmp_path / "clone")
    runnable = [b for b in blocks() if b.mode == "run"]
    done = run_session(sandbox, session_script(runnable), timeout=SESSION_TIMEOUT_S)
    assert done.returncode == 0, done.stdout[-6000:]
    # The demo's FT (the ft_encoding extension) is a number for every facet value.
    analysis = json.loads((sandbox / "demo-output" / "output" / "analysis.json").read_text())
    for entries in analysis["post_training_bias_metrics"]["facets"].values():
        for entry in entries:
            ft = next(m for m in entry["metrics"] if m["name"] == "FT")
            assert isinstance(ft["value"], float), ft
    # "Explain your own model": what the output-files table promises is there.
    own = sandbox / "my-output"
    assert list(json.loads((own / "analysis.json").read_text())["explanations"]["kernel_shap"]) == ["label0"]
    header = (own / "explanations_shap" / "out.csv").read_text().splitlines()[0].split(",")
    assert header and all(name.endswith("_label0") for name in header), header
    assert {"report.html", "report.pdf", "report.ipynb", "analysis_config.json"} <= {f.name for f in own.iterdir()}
