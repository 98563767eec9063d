"""Jobs whose Dask workers read the data themselves (analyzer.distributed.sharded) give the one-host bytes:
analysis.json, out.csv (one file, or Clarify's part files on several hosts) and the report's local chart,
for CSV part files, Parquet and JSON Lines, with the mean or the median of the local values."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pytest

from components import require_module
from dask_helpers import job_config, run_job
from predictor_servers import adult_frame

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """Two in-process workers: fast to start, and the tasks still travel pickled."""
    distributed = require_module("distributed", "the Dask tests need dask[distributed]")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as c:
        yield c.scheduler_address


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    data = adult_frame(90)
    data.insert(0, "Id", [f"r{i}" for i in range(len(data))])
    return data


def _explain_only(url: str, **shap: Any) -> dict:
    config = job_config(url)
    config["methods"].pop("post_training_bias")
    config["methods"]["shap"].update(shap)
    return config


def _write(frame: pd.DataFrame, folder: Path, kind: str) -> tuple[Path, dict]:
    """The rows in three part files of ``kind``; the config keys that read them."""
    folder.mkdir()
    parts = [frame.iloc[:40], frame.iloc[40:41], frame.iloc[41:]]
    for i, part in enumerate(parts):
        if kind == "csv":
            part.to_csv(folder / f"part-{i}.csv", index=False)
        elif kind == "parquet":
            part.to_parquet(folder / f"part-{i}.parquet", row_group_size=16)
        else:
            features = part.drop(columns=["Id", "Target"]).astype(object).values.tolist()
            rows = (json.dumps({"features": f, "label": y}) for f, y in zip(features, part["Target"]))
            (folder / f"part-{i}.jsonl").write_text("\n".join(rows) + "\n")
    if kind == "csv":
        return folder, {}
    if kind == "parquet":
        return folder, {"dataset_type": "application/x-parquet"}
    names = [c for c in frame.columns if c not in ("Id", "Target")]
    return folder, {"dataset_type": "application/jsonlines", "features": "features", "label": "label",
                    "headers": [*names, "label"]}


@pytest.mark.parametrize("kind, agg", [("csv", "mean_abs"), ("parquet", "median"), ("jsonlines", "mean_sq")])
def test_workers_reading_their_shards_give_the_one_host_bytes(tmp_path: Path, scheduler: str, frame: pd.DataFrame,
                                                              dask_model_server: str, kind: str, agg: str,
                                                              capsys: pytest.CaptureFixture,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    if kind != "csv":   # the report (its local chart) is compared once
        monkeypatch.setattr("analyzer.job._write_reports", lambda *args, **kwargs: (None, None))
    data, keys = _write(frame, tmp_path / "data", kind)
    config = {**_explain_only(dask_model_server, agg_method=agg), **keys}
    config["predictor"]["content_type"] = "text/csv"   # the model's, whatever the dataset's
    if kind == "jsonlines":   # no join column in these records
        config.pop("joinsource_name_or_index")
    code, alone = run_job(tmp_path, "alone", config, data)
    assert code == 0
    capsys.readouterr()
    code, out = run_job(tmp_path, "sharded", config, data, "--scheduler", scheduler, "--dask-chunk-rows", "16")
    assert code == 0
    said = capsys.readouterr().err
    assert "The workers read the dataset themselves: 3 file(s), 90 rows, in 8 shards" in said, said[-3000:]
    for name in ("analysis.json", "explanations_shap/out.csv", "explanations_shap/baseline.csv"):
        assert (out / name).read_bytes() == (alone / name).read_bytes(), name
    if kind != "csv":
        return
    chart = [(run / "report.html").read_text() for run in (alone, out)]
    starts = [text.index("shap-local") for text in chart]
    assert chart[0][starts[0]:starts[0] + 30_000] == chart[1][starts[1]:starts[1] + 30_000]
