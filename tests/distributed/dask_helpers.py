"""The job the Dask tests run (post-training bias, Kernel SHAP with local values and a join column,
PDP) and how they run it in-process."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from analyzer.cli import main


def job_config(url: str, **predictor: Any) -> dict:
    return {"dataset_type": "text/csv", "label": "Target", "label_values_or_threshold": [">50K"],
            "facet": [{"name_or_index": "Sex", "value_or_threshold": ["Female"]}],
            "joinsource_name_or_index": "Id",
            "methods": {"post_training_bias": {"methods": ["DPPL", "DI", "AD"]},
                        "shap": {"num_samples": 40, "num_clusters": 2, "seed": 3, "agg_method": "mean_abs",
                                 "save_local_shap_values": True},
                        "pdp": {"features": ["Age"], "grid_resolution": 5}},
            "predictor": {"endpoint_url": f"{url}/invocations", "accept_type": "application/jsonlines",
                          "label": "predicted_label", "probability": "score", **predictor}}


def run_job(tmp_path: Path, name: str, config: dict, data: Path, *flags: str) -> tuple[int, Path]:
    (tmp_path / f"{name}.json").write_text(json.dumps(config))
    out = tmp_path / name
    code = main(["run", "--config", str(tmp_path / f"{name}.json"), "--data", str(data), "--output", str(out),
                 "--base-dir", str(tmp_path / f"opt_{name}"), *flags])
    return code, out
