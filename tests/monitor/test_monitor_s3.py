"""Rules file and baseline constraints from S3 (moto's server), results published to S3 with
constraint_violations.json; a missing S3 baseline names its URI."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from s3_harness import keys  # on sys.path through this folder's conftest

from analyzer.cli import main

pytestmark = pytest.mark.s3

DATA = "s,y,p\nF,yes,yes\nF,no,no\nF,no,yes\nF,no,no\nM,yes,yes\nM,yes,no\nM,no,no\nM,yes,yes\nM,no,no\nM,yes,yes\n"
CONFIG = {"dataset_type": "text/csv", "label": "y", "predicted_label": "p", "label_values_or_threshold": ["yes"],
          "facet": [{"name_or_index": "s", "value_or_threshold": ["F"]}],
          "methods": {"post_training_bias": {"methods": ["DI", "DPPL"]}}}


def _baseline(di: float, dppl: float) -> str:
    metrics = [{"name": "DI", "description": "Disparate Impact (DI)", "value": di},
               {"name": "DPPL", "description": "Difference in Positive Proportions in Predicted Labels (DPPL)",
                "value": dppl}]
    return json.dumps({"version": "1.0", "post_training_bias_metrics": {
        "label": "y", "facets": {"s": [{"value_or_threshold": "F", "metrics": metrics}]},
        "label_value_or_threshold": "yes"}})


def test_rules_and_baseline_from_s3_results_to_s3(s3: Any, bucket: str, tmp_path: Path) -> None:
    # DATA: d = F predicts 2/4 positive, a = M 3/6: DI = 1.0, DPPL = 0.0; the baseline was better on neither.
    s3.put_object(Bucket=bucket, Key="baseline/analysis.json", Body=_baseline(0.95, 0.02))
    s3.put_object(Bucket=bucket, Key="gates/rules.yaml", Body="- DI<0.8\n- rule: abs(DPPL)>-1\n  description: always\n")
    (tmp_path / "data.csv").write_text(DATA)
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    code = main(["run", "--config", str(tmp_path / "config.json"), "--data", str(tmp_path / "data.csv"),
                 "--base-dir", str(tmp_path / "ml"), "--output", f"s3://{bucket}/out/",
                 "--thresholds", f"s3://{bucket}/gates/rules.yaml",
                 "--baseline-constraints", f"s3://{bucket}/baseline/analysis.json"])
    assert code == 1
    assert {"out/analysis.json", "out/constraint_violations.json"} <= set(keys(s3, bucket, "out/"))
    body = s3.get_object(Bucket=bucket, Key="out/constraint_violations.json")["Body"].read()
    violations = json.loads(body)["violations"]
    assert [(v["metric_name"], v["constraint_check_type"]) for v in violations] == [("DPPL", "threshold_check")]
    assert (tmp_path / "ml" / "output" / "message").read_text().startswith("CompletedWithViolations: 1 violation")


def test_missing_s3_baseline_is_a_data_error_naming_it(s3: Any, bucket: str, tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text(DATA)
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    code = main(["run", "--config", str(tmp_path / "config.json"), "--data", str(tmp_path / "data.csv"),
                 "--base-dir", str(tmp_path / "ml"), "--output", str(tmp_path / "out"),
                 "--baseline-constraints", f"s3://{bucket}/nothing/analysis.json"])
    assert code == 3
    assert f"s3://{bucket}/nothing/analysis.json" in (tmp_path / "ml" / "output" / "message").read_text()
    assert not (tmp_path / "out" / "analysis.json").exists()
