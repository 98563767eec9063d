"""Jobs with SHAP and PDP that read their dataset in chunks (analyzer.stages.explain_chunks): the same
analysis.json, out.csv and baseline.csv bytes as reading it whole, for CSV, JSON Lines and Parquet and
chunk sizes that do not divide 32; a model failure in a middle chunk publishes nothing; a column whose
type the chunks cannot tell reads the dataset whole."""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest

import model_servers
from analyzer import job
from analyzer.cli import main
from analyzer.report.blocks import Chart
from analyzer.report.document import build_report

FILES = ("analysis.json", "explanations_shap/out.csv", "explanations_shap/baseline.csv")
FEATURES = ["a", "b", "c", "d"]


def _score(row: list[str]) -> list[float]:
    a, b, c, d = row
    z = 0.3 * float(a) - 0.02 * float(b) + (0.5 if c == "x" else -0.2) + 0.1 * float(d or 0)
    p = round(1 / (1 + math.exp(-z)), 6)
    return [round(1 - p, 6), p]


class _Model:
    """Two scores per CSV row (or the second only); with ``fail_after`` requests answered, every later request
    fails (500)."""

    def __init__(self, fail_after: int | None = None, outputs: int = 2) -> None:
        self.fail_after, self.requests, self.lock = fail_after, 0, threading.Lock()
        self.outputs = outputs

    def __call__(self, body: str, kind: str) -> tuple[str, str]:
        with self.lock:
            self.requests += 1
            if self.fail_after is not None and self.requests > self.fail_after:
                raise RuntimeError("the model broke")
        rows = [r for r in csv.reader(io.StringIO(body)) if r]
        return "".join(",".join(repr(s) for s in _score(r)[-self.outputs:]) + "\n" for r in rows), "text/csv"


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"id": np.arange(n) + 1000, "a": rng.integers(0, 5, n), "b": rng.normal(50, 10, n).round(2),
                         "c": rng.choice(["x", "y", "z"], n), "d": rng.integers(0, 3, n),
                         "label": rng.integers(0, 2, n)})


def _write(frame: pd.DataFrame, folder: Path, kind: str) -> tuple[Path, dict]:
    if kind == "text/csv":
        frame.to_csv(folder / "d.csv", index=False)
        return folder / "d.csv", {"label": "label", "joinsource_name_or_index": "id"}
    if kind == "application/x-parquet":
        frame.to_parquet(folder / "d.parquet", index=False)
        return folder / "d.parquet", {"label": "label", "joinsource_name_or_index": "id"}
    with (folder / "d.jsonl").open("w") as f:
        for record in frame.to_dict(orient="records"):
            f.write(json.dumps({"id": record["id"], "features": [record[c] for c in FEATURES],
                                "label": record["label"]}) + "\n")
    return folder / "d.jsonl", {"features": "features", "label": "label", "headers": [*FEATURES, "label"]}


def _run(folder: Path, config: dict, data: Path, chunk_rows: str, model: _Model, reports: list | None = None,
         **predictor: object) -> tuple[int, Path]:
    work = folder / f"rows-{chunk_rows}"
    work.mkdir()
    with model_servers.serving(model) as url:
        config = {**config, "predictor": {"endpoint_url": url, "content_type": "text/csv", "accept_type": "text/csv",
                                **predictor}}
        (work / "config.json").write_text(json.dumps(config))
        def report(writer: object, config: object, analysis: job.Analysis, checks: object = None) -> tuple:
            if reports is not None:     # what the reports would show, without rendering them
                context = job._report_context(config, analysis)
                reports.append(build_report(analysis.document, context, "Report"))
            return None, None

        with mock.patch.object(job, "_write_reports", report):
            code = main(["run", "--config", str(work / "config.json"), "--data", str(data), "--output",
                         str(work / "out"), "--base-dir", str(work / "ml"), "--chunk-rows", chunk_rows])
    return code, work


def _same_as_whole(folder: Path, config: dict, data: Path, chunk_rows: str, outputs: int = 2) -> dict:
    code, whole = _run(folder, config, data, "off", _Model(outputs=outputs))
    assert code == 0, (whole / "ml/output/message").read_text()
    code, part = _run(folder, config, data, chunk_rows, _Model(outputs=outputs))
    assert code == 0, (part / "ml/output/message").read_text()
    for name in FILES:
        if (whole / "out" / name).exists():
            assert (part / "out" / name).read_bytes() == (whole / "out" / name).read_bytes(), name
    return json.loads((whole / "out/analysis.json").read_text())


SHAP = {"baseline": [[2, 50.0, "y", 1]], "num_samples": 9, "seed": 5, "save_local_shap_values": True}
BIAS = {"label_values_or_threshold": [1], "label_data_type": "categorical",
        "facet": [{"name_or_index": "c", "value_or_threshold": ["y"]}]}


@pytest.mark.parametrize("kind, rows, n", [("text/csv", "3", 20), ("application/jsonlines", "7", 70),
                                           ("application/x-parquet", "33", 70)])
def test_shap_pdp_and_post_training_in_chunks_same_bytes(kind: str, rows: str, n: int, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    data, read = _write(_frame(n), tmp_path, kind)
    shap = {**SHAP, "baseline": [{"features": SHAP["baseline"][0]}]} if kind == "application/jsonlines" else SHAP
    config = {"dataset_type": kind, **read, **BIAS,
              "methods": {"shap": shap, "pdp": {"grid_resolution": 4, "top_k_features": 3},
                          "post_training_bias": {"methods": "all"}, "pre_training_bias": {"methods": "all"}}}
    document = _same_as_whole(tmp_path, config, data, rows)
    assert list(document) == ["version", "post_training_bias_metrics", "pre_training_bias_metrics", "explanations"]
    assert len(document["explanations"]["pdp"]) == 3
    log = capsys.readouterr().err
    assert f"Reading the dataset in chunks of {rows} rows" in log
    chunks = math.ceil(n / int(rows))
    assert f"Kernel SHAP: chunk {chunks} done, {n} of {n} records." in log      # a progress line per chunk
    assert f"PDP: chunk {chunks} done, {n} of {n} rows." in log


def test_pdp_alone_and_the_automatic_baseline_in_chunks_same_bytes(tmp_path: Path) -> None:
    data, read = _write(_frame(45), tmp_path, "text/csv")
    (tmp_path / "pdp").mkdir()
    _same_as_whole(tmp_path / "pdp", {"dataset_type": "text/csv", **read, "methods": {
        "pdp": {"features": ["c", "b"], "grid_resolution": 3}}}, data, "10")
    (tmp_path / "auto").mkdir()
    document = _same_as_whole(tmp_path / "auto", {"dataset_type": "text/csv", **read, "methods": {
        "shap": {"num_clusters": 3, "num_samples": 12, "seed": 2, "agg_method": "mean_sq",
                 "save_local_shap_values": True}}}, data, "13")
    assert document["explanations"]["kernel_shap"]["label0"]["analyzer_diagnostics"]["baseline_rows"] == 3


@pytest.mark.parametrize("rows, outputs, n", [("1", 2, 12), ("7", 1, 45), ("16", 2, 45)])
def test_the_median_in_chunks_same_bytes(rows: str, outputs: int, n: int, tmp_path: Path,
                                         capsys: pytest.CaptureFixture) -> None:
    """agg_method median streams too: the local values go to scratch files, their median and its standard
    error are the whole read's; the scratch folder is gone after the job."""
    from analyzer.explain._median import MedianSpill

    data, read = _write(_frame(n), tmp_path, "text/csv")
    pdp = {"pdp": {"grid_resolution": 3, "top_k_features": 2}} if rows != "1" else {}  # top features: the median's
    config = {"dataset_type": "text/csv", **read, "methods": {"shap": {**SHAP, "agg_method": "median"}, **pdp}}
    spilled: list[list[str]] = []
    finish = MedianSpill.finish

    def spy(spill: MedianSpill, players: np.ndarray) -> np.ndarray:
        assert spill.folder is not None and spill.folder.parent == tmp_path / "tmp"
        spilled.append(sorted(p.name for p in spill.folder.iterdir()))
        return finish(spill, players)

    (tmp_path / "tmp").mkdir()
    with mock.patch("tempfile.tempdir", str(tmp_path / "tmp")), mock.patch.object(MedianSpill, "finish", spy):
        document = _same_as_whole(tmp_path, config, data, rows, outputs)
    assert spilled == [["median-columns", "median-local", "median-patterns", "median-se"]]   # the chunked job's
    assert list((tmp_path / "tmp").iterdir()) == []
    assert f"Kernel SHAP: chunk {math.ceil(n / int(rows))} done" in capsys.readouterr().err
    kernel = document["explanations"]["kernel_shap"]
    assert len(kernel) == outputs
    diagnostics = next(iter(kernel.values()))["analyzer_diagnostics"]
    assert diagnostics["agg_method"] == "median" and any(diagnostics["global_shap_standard_errors"].values())


@pytest.mark.parametrize("points", [None, 20])
def test_the_chunked_report_draws_the_whole_reads_local_chart(points: int | None, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The local SHAP chart of each output: the same SVG as the whole read's, whether it draws every row (45)
    or a sample (charts.MAX_POINTS 20: the chunked job keeps those 20 rows)."""
    from analyzer.report import charts

    if points is not None:
        monkeypatch.setattr(charts, "MAX_POINTS", points)
    data, read = _write(_frame(45), tmp_path, "text/csv")
    config = {"dataset_type": "text/csv", **read, "methods": {"shap": SHAP}}
    reports: list = []
    for rows in ("off", "7"):
        code, work = _run(tmp_path, config, data, rows, _Model(), reports)
        assert code == 0, (work / "ml/output/message").read_text()
    whole, part = ([c for c in r.blocks(Chart) if c.kind == "shap-local"] for r in reports)
    assert [c.caption for c in part] == ["Local SHAP values, output label0", "Local SHAP values, output label1"]
    assert ("20 of 45 rows" if points else "45 rows") in part[0].svg and all(c.svg.startswith("<svg") for c in part)
    assert [c.svg for c in part] == [c.svg for c in whole]


def test_a_stop_while_the_median_spills_removes_its_files(tmp_path: Path) -> None:
    """SIGTERM in the middle of the SHAP pass: exit 143, no output, and the scratch files are gone."""
    data, read = _write(_frame(40), tmp_path, "text/csv")
    (tmp_path / "tmp").mkdir()
    slow = _Model()
    answer = slow.__call__
    spilled: list[list[str]] = []

    def respond(body: str, kind: str) -> tuple[str, str]:
        time.sleep(0.05)
        return answer(body, kind)

    with model_servers.serving(respond) as url:
        config = {"dataset_type": "text/csv", **read, "methods": {"shap": {**SHAP, "agg_method": "median"}},
                  "predictor": {"endpoint_url": url, "content_type": "text/csv", "accept_type": "text/csv"}}
        (tmp_path / "config.json").write_text(json.dumps(config))
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "TMPDIR": str(tmp_path / "tmp"),
               "MPLCONFIGDIR": str(tmp_path)}
        with subprocess.Popen(
                [sys.executable, "-m", "analyzer", "run", "--config", str(tmp_path / "config.json"), "--data",
                 str(data), "--output", str(tmp_path / "out"), "--base-dir", str(tmp_path / "ml"), "--chunk-rows", "5"],
                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                text=True) as job_process:
            assert job_process.stderr is not None
            for line in job_process.stderr:
                if "Kernel SHAP: chunk 2 done" in line:
                    spilled = [sorted(f.name for f in d.iterdir())
                               for d in (tmp_path / "tmp").glob("analyzer-median-*")]
                    job_process.send_signal(signal.SIGTERM)
                    break
            job_process.stderr.read()
            code = job_process.wait(timeout=60)
    assert spilled and "median-local" in spilled[0]           # the files were there while the job ran
    assert code == 143
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_a_failure_in_a_middle_chunk_publishes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data, read = _write(_frame(40), tmp_path, "text/csv")
    config = {"dataset_type": "text/csv", **read, "methods": {"shap": {**SHAP, "num_samples": 4}}}
    code, work = _run(tmp_path, config, data, "5", _Model(fail_after=6), max_retries=0)
    assert code == 4
    message = (work / "ml/output/message").read_text()
    assert "\n" not in message.strip() and "Traceback" not in message
    assert list((work / "out").iterdir()) == []                           # no out.csv, no staging folder
    log = capsys.readouterr().err
    done = [int(n) for n in re.findall(r"Kernel SHAP: chunk (\d+) done", log)]
    assert done and 1 <= max(done) < 8, done                              # it failed in a middle chunk


def test_a_column_typed_differently_by_its_chunks_reads_whole(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    frame = _frame(30).astype({"a": object, "c": object, "d": object})
    frame.loc[20, "d"] = ""      # chunk 3 (rows 20-29) reads 'd' as floats, the others as ints: floats read whole
    frame.loc[25, "a"] = "2.5"   # and 'a' too
    frame.to_csv(tmp_path / "d.csv", index=False)
    config = {"dataset_type": "text/csv", "label": "label", "joinsource_name_or_index": "id",
              "methods": {"shap": {**SHAP, "num_samples": 4}}}
    _same_as_whole(tmp_path, config, tmp_path / "d.csv", "10")
    assert "Reading the dataset whole after all" not in capsys.readouterr().err
    (tmp_path / "mixed").mkdir()
    frame.loc[0:9, "c"] = 1      # 'c' is text read whole; its first chunk reads as ints
    frame.to_csv(tmp_path / "mixed/d.csv", index=False)
    _same_as_whole(tmp_path / "mixed", config, tmp_path / "mixed/d.csv", "10")
    assert "Reading the dataset whole after all: column 'c' reads as" in capsys.readouterr().err
