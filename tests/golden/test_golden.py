"""Golden runs: the same analysis.json and out.csv, byte for byte, as the committed files in
tests/golden/<case>/ (see golden_cases.py for the jobs and how to regenerate after an intended change)."""
from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from golden_cases import CASES, HERE, expected_files, run_case
from components import require_component


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_run(name: str, datasets: Path, tmp_path: Path) -> None:
    require_component(datasets.exists(), f"{datasets} is missing; run `make data`")
    files = expected_files(name)
    assert "analysis.json" in files, f"no golden files for {name}: run tests/golden/golden_cases.py {name}"
    out = run_case(name, datasets, tmp_path)
    for rel in files:
        expected, actual = (HERE / name / rel).read_bytes(), (out / rel).read_bytes()
        if expected != actual:
            diff = difflib.unified_diff(expected.decode().splitlines(), actual.decode().splitlines(),
                                        f"golden/{name}/{rel}", f"now/{name}/{rel}", lineterm="", n=2)
            pytest.fail(f"{name}/{rel} changed:\n" + "\n".join(list(diff)[:60]))
    # Only the compared files may differ in presence: an out.csv that appears or disappears is a change.
    produced = {rel for rel in ("analysis.json", "explanations_shap/out.csv") if (out / rel).exists()}
    assert produced == set(files)
