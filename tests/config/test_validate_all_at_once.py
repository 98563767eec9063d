"""`validate` reports schema problems and the cross-field problems of the valid parts at once."""
from __future__ import annotations

import json
from pathlib import Path

from analyzer.cli import main
from analyzer.config import validate
from analyzer.config.checks import CHECKS
from analyzer.config.schema import invalid_paths
from analyzer.errors import ConfigError

BASE = {"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "s"}], "methods": {"pre_training_bias": {"methods": "all"}}}


def test_schema_and_cross_field_problems_together() -> None:
    raw = {**BASE, "label_values_or_threshold": [],            # cross-field: empty for bias
           "facet_headers": ["f"],                             # cross-field: without facet_dataset_uri
           "methods": {"pre_training_bias": {"methods": "all"},
                       "shap": {"num_sample": 10}}}            # schema: unknown key (did you mean)
    problems = validate(raw)
    assert any("$.methods.shap: unknown key 'num_sample'. Did you mean 'num_samples'?" in p for p in problems)
    assert "$.label_values_or_threshold: required (non-empty) for bias metrics." in problems
    assert "$.facet_headers: only meaningful together with facet_dataset_uri." in problems
    # shap without a predictor is a cross-field problem of a part the schema accepted
    assert any(p.startswith("$.predictor: required") for p in problems)


def test_a_rejected_value_is_not_reported_twice() -> None:
    # dataset_type of the wrong type: the schema says so; "dataset_type is required" must not follow,
    # and the checks that read dataset_type do not run on it; the others still do.
    problems = validate({**BASE, "dataset_type": 5, "facet": []})
    assert any(p.startswith("$.dataset_type:") for p in problems)
    assert not any("'dataset_type' is required" in p for p in problems)
    assert "$.facet: required (non-empty) for bias metrics." in problems or any(
        p.startswith("$.facet") for p in problems)


def test_wrong_container_types_do_not_crash_the_checks() -> None:
    for change in ({"methods": ["shap"]}, {"predictor": ["x"]}, {"time_series_data_config": 3},
                   {"facet": "s"}, {"methods": {"shap": [], "pdp": 1}}):
        problems = validate({**BASE, **change})
        assert problems, change
        assert all(p.startswith("$") for p in problems)


def test_invalid_paths_name_the_rejected_values() -> None:
    raw = {**BASE, "extra": 1, "methods": {"shap": {"num_sample": 1}}, "predictor": {"model_name": 3}}
    paths = invalid_paths(raw)
    assert ("extra",) in paths
    assert ("methods", "shap", "num_sample") in paths
    assert ("predictor", "model_name") in paths


def test_every_check_declares_what_it_reads() -> None:
    for check, reads in CHECKS:
        assert reads, check.__name__


def test_validate_command_prints_both_kinds(tmp_path: Path, capsys) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({**BASE, "label_values_or_threshold": [], "lable": "y"}))
    assert main(["validate", str(path)]) == ConfigError.exit_code
    err = capsys.readouterr().err
    assert "unknown key 'lable'" in err and "label_values_or_threshold: required" in err
    assert "2 problem(s)" in err
