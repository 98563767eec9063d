"""Bias metrics from shards the workers read, predict and count themselves
(analyzer.distributed.bias_shards) on a real two-worker Dask cluster: the same sections, to the byte,
as the one-host chunked path and a whole read, for CSV (text columns), JSON Lines and Parquet, with
FlipTest; parts merged in shard order whatever order the shards finish in; a worker's error ends the
job with one line naming the worker."""
from __future__ import annotations

import json
import os
import re
import signal
import sys
import tempfile
import threading
import time
import uuid
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer import job
from analyzer.config import AnalysisConfig, parse_config
from analyzer.data import load_dataset, open_chunks, resolve_files
from analyzer.distributed import bias_shards
from analyzer.distributed.session import Cluster
from analyzer.distributed.settings import ScaleSettings
from analyzer.distributed.shards import forget, prepare
from analyzer.bias import TooManyDistinct, counts
from analyzer.errors import AnalyzerError, DataError, EndpointError, Interrupted
from analyzer.output import to_json_text
from analyzer.stages.chunked import ChunkPlan, run_chunked
from analyzer.stages import text_columns

from components import require_component, require_module
from predictor_servers import FaultPlan, fault_server, running

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stages"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "golden"))
from chunked_jobs import csv_jobs, outcome  # noqa: E402

METHODS = {"pre_training_bias": {"methods": "all"},
           "post_training_bias": {"methods": "all", "ft_encoding": "one_hot"}}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """Two in-process workers (threads of this process: fast to start, same results); the dashboard on a
    free port: with 8787 taken (another cluster on the machine) dask warns, and warnings fail tests."""
    distributed = require_module("distributed", "the Dask tests need dask[distributed]")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as c, \
            distributed.Client(c) as client:
        yield client


@pytest.fixture(scope="module")
def model_url() -> Iterator[str]:
    """score = first feature / 100 (age): predicted label 1 from age 51."""
    with running(fault_server(FaultPlan())) as url:
        yield url


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    return pd.DataFrame({
        "Id": [f"r{seed}-{i}" for i in range(n)], "age": age, "sex": rng.choice(["F", "M"], n, p=[0.3, 0.7]),
        "hours": rng.integers(10, 60, n) / 2, "group": rng.integers(0, 4, n),
        "y": np.where(rng.random(n) < 0.8, age > 45, age <= 45).astype(int)})


def _data(folder: Path, kind: str) -> Path:
    """Two files (40 and 23 rows); CSV: a text facet read as text, ints in the group column."""
    folder.mkdir()
    for number, frame in enumerate([_frame(40, 1), _frame(23, 2)]):
        if kind == "text/csv":
            frame.to_csv(folder / f"part-{number}.csv", index=False)
        elif kind == "application/x-parquet":
            frame.assign(pred=(frame["age"] > 50).astype(int)).to_parquet(folder / f"part-{number}.parquet",
                                                                          row_group_size=8)
        else:
            lines = [json.dumps({"features": [int(r.age), r.sex, float(r.hours), int(r.group)], "label": int(r.y)})
                     for r in frame.itertuples()]
            (folder / f"part-{number}.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def _config(kind: str, url: str, post: Any = "all") -> AnalysisConfig:
    raw: dict[str, Any] = {
        "dataset_type": kind, "label": "y", "label_values_or_threshold": [1], "group_variable": "group",
        "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]},
                  {"name_or_index": "age", "value_or_threshold": [40]},
                  {"name_or_index": "group", "data_type": "categorical"}],   # every value, as first seen
        "methods": {**METHODS, "post_training_bias": {**METHODS["post_training_bias"], "methods": post}},
        "predictor": {"endpoint_url": f"{url}/invocations", "content_type": "text/csv", "accept_type": "text/csv"}}
    if kind == "text/csv":
        raw["joinsource_name_or_index"] = "Id"
    elif kind == "application/jsonlines":
        raw.update(features="features", label="label", headers=["age", "sex", "hours", "group", "y"])
    else:   # predicted labels in the data: no model
        raw.update(predicted_label="pred", excluded_columns=["Id"])
        del raw["predictor"]
    return parse_config(raw)


def _sections(results: Any) -> str:
    return to_json_text({result.key: result.section for result in results})


def _sharded(client: Any, config: AnalysisConfig, folder: Path, rows: int, at_least: int = 5,
             text: Any = None) -> str:
    settings = ScaleSettings(chunk_rows=rows)
    source, layout, shards = prepare(client, config, folder, rows, text or text_columns(config), settings,
                                     uuid.uuid4().hex)
    assert len(shards) >= at_least
    try:
        if config.predictor is None:
            return _sections(bias_shards.run_sharded_bias(config, Cluster(client, settings), source, layout,
                                                          shards).bias)
        with Cluster(client, settings).predictor(None, config, layout.features) as predictor:  # type: ignore[arg-type]
            return _sections(bias_shards.run_sharded_bias(config, predictor, source, layout, shards).bias)
    finally:
        client.run(forget, source.token)


def _one_host(config: AnalysisConfig, folder: Path, rows: int) -> str:
    chunked = _sections(run_chunked(config, folder, ChunkPlan(resolve_files(folder), rows)).bias)
    assert chunked == _sections(job.analyse(config, load_dataset(config, folder)).bias)
    return chunked


def test_csv_shards_finishing_out_of_order_give_the_one_host_sections(
        tmp_path: Path, client: Any, model_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shard 0 is read last (it waits until shard 3 was read): its parts still come first."""
    config = _config("text/csv", model_url)
    folder = _data(tmp_path / "csv", "text/csv")
    finished: list[int] = []
    later = threading.Event()
    real = bias_shards._frames

    def frames(source: Any, shard: Any) -> Iterator[pd.DataFrame]:
        if shard.number == 0:
            later.wait(timeout=20)
        rows = list(real(source, shard))
        finished.append(shard.number)
        if shard.number == 3:
            later.set()
        return iter(rows)

    monkeypatch.setattr(bias_shards, "_frames", frames)
    sharded = _sharded(client, config, folder, 7)
    assert finished.index(0) > finished.index(3)
    document = json.loads(sharded)
    ft = [m for m in document["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"] if m["name"] == "FT"]
    assert isinstance(ft[0]["value"], float)    # FlipTest ran, on the rows the workers kept
    assert sharded == _one_host(config, folder, 7)


@pytest.mark.parametrize("kind", ["application/jsonlines", "application/x-parquet"])
def test_json_lines_and_parquet_shards_give_the_one_host_sections(tmp_path: Path, client: Any, model_url: str,
                                                                    kind: str) -> None:
    """JSON Lines with the model's predictions, Parquet with the predicted labels in the data."""
    config = _config(kind, model_url)
    folder = _data(tmp_path / "data", kind)
    assert _sharded(client, config, folder, 6) == _one_host(config, folder, 6)


def test_an_error_on_a_worker_ends_the_job_in_one_line_naming_it(tmp_path: Path, client: Any,
                                                                 model_url: str) -> None:
    """The last row of a file got a cell too many after the leader counted the rows: the shard reading
    it fails, the other shards are cancelled, the job stops with the reader's one line."""
    config = _config("text/csv", model_url)
    folder = _data(tmp_path / "csv", "text/csv")
    settings = ScaleSettings(chunk_rows=7)
    source, layout, shards = prepare(client, config, folder, 7, text_columns(config), settings, uuid.uuid4().hex)
    last = folder / "part-1.csv"
    last.write_text(last.read_text().rstrip("\n") + ",1\n")
    began = time.monotonic()
    with pytest.raises(DataError) as caught, \
            Cluster(client, settings).predictor(None, config, layout.features) as predictor:  # type: ignore[arg-type]
        bias_shards.run_sharded_bias(config, predictor, source, layout, shards)
    message = str(caught.value)
    assert message.startswith(f"Cannot parse {last} as text/csv")
    assert "(on Dask worker " in message and "\n" not in message
    assert time.monotonic() - began < 30
    client.run(forget, source.token)


def test_a_record_the_model_fails_on_ends_the_job_naming_the_worker(tmp_path: Path, client: Any) -> None:
    """The model always fails on one record past the first shards: the job stops with the whole read's
    line (the record numbered in the dataset, not in its chunk) and the worker's name; one host reading
    in chunks says the same."""
    folder = _data(tmp_path / "csv", "text/csv")
    ages = pd.concat([_frame(40, 1)["age"], _frame(23, 2)["age"]], ignore_index=True)
    record = next(i for i in range(15, len(ages)) if (ages == ages[i]).sum() == 1)
    poison = float(ages[record])
    with running(fault_server(FaultPlan(poison=poison, poison_alone_ok=False))) as url:
        config = _config("text/csv", url)
        config = replace(config, predictor=replace(config.predictor, max_retries=0))
        messages = []
        for run in (lambda: _sharded(client, config, folder, 7),
                    lambda: run_chunked(config, folder, ChunkPlan(resolve_files(folder), 7)),
                    lambda: job.analyse(config, load_dataset(config, folder))):
            with pytest.raises(EndpointError) as caught:
                run()
            messages.append(str(caught.value))
    assert "HTTP 500: model failed on this input" in messages[0] and "\n" not in messages[0]
    assert re.search(rf"\(records {record}\.\.{record}\) \(on Dask worker [^)]+\)$", messages[0])
    assert re.sub(r" \(on Dask worker [^)]*\)", "", messages[0]) == messages[1] == messages[2]


def test_too_many_distinct_rows_stop_the_merge(tmp_path: Path, client: Any, model_url: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The leader's counts would grow with the rows: TooManyDistinct, which the job answers by reading
    the dataset whole (as on one host)."""
    monkeypatch.setattr(counts, "MAX_DISTINCT", 20)
    config = _config("text/csv", model_url)
    with pytest.raises(TooManyDistinct, match="more than 20 distinct"):
        _sharded(client, config, _data(tmp_path / "csv", "text/csv"), 7)


@pytest.mark.slow
def test_worker_processes_send_parts_that_pickle_even_when_one_dies(tmp_path: Path, model_url: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Two worker processes: the tasks, the counting and the parts (text columns, FT rows) travel pickled.
    One worker is killed (SIGKILL) once every shard's task is sent: its nanny restarts it, Dask runs its
    tasks again, the sections are the same."""
    import analyzer.distributed.predictor as dask_predictor

    distributed = require_module("distributed", "the Dask tests need dask[distributed]")
    config = _config("text/csv", model_url)
    folder = _data(tmp_path / "csv", "text/csv")
    original, killed = dask_predictor.in_order, []

    def in_order(client: Any, settings: Any, what: str, count: int, submit: Any, on_result: Any, window: int) -> None:
        def submit_then_kill(number: int) -> Any:
            future = submit(number)
            if number == count - 1 and not killed:
                pids = client.run(os.getpid)
                os.kill(sorted(pids.values())[0], signal.SIGKILL)
                killed.append(number)
            return future

        original(client, settings, what, count, submit_then_kill, on_result, window)

    monkeypatch.setattr(dask_predictor, "in_order", in_order)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  host="127.0.0.1") as cluster, distributed.Client(cluster) as process_client:
        assert _sharded(process_client, config, folder, 9) == _one_host(config, folder, 9)
    assert killed


@pytest.mark.slow
@settings(max_examples=15, deadline=None)
@given(job_=csv_jobs(), split=st.floats(0, 1))
def test_random_csvs_in_two_files_sharded_equal_chunked(client: Any, job_: tuple[str, dict, int],
                                                        split: float) -> None:
    """Text, numbers, blanks and look-alikes over two files, read by the workers shard by shard: the
    one-host chunked read's sections, or its error in the same words. (Not the whole read's: that one
    types each CSV file on its own before concatenating, so '0' in one file and 'x' in the other give
    an int and a str there, two strs in chunks; one file: test_chunked.py checks chunked == whole.)"""
    text, raw, rows = job_
    config = parse_config(raw)
    header, *lines = text.splitlines(keepends=True)
    cut = round(split * len(lines))
    with tempfile.TemporaryDirectory() as folder:
        for number, part in enumerate([lines[:cut], lines[cut:]]):
            Path(folder, f"part-{number}.csv").write_text(header + "".join(part))
        files = resolve_files(Path(folder))
        chunked = outcome(lambda: run_chunked(config, Path(folder), ChunkPlan(files, rows)).bias)
        try:
            sharded = _sharded(client, config, Path(folder), rows, at_least=1)
        except AnalyzerError as exc:
            sharded = f"{type(exc).__name__}: {exc}"
    assert re.sub(r" \(on Dask worker [^)]*\)", "", sharded) == chunked


def test_a_model_the_workers_cannot_call_is_refused_before_any_task(tmp_path: Path, client: Any,
                                                                    model_url: str) -> None:
    """Cluster.predictor hands back the leader's own predictor for a model in a local container: the
    caller must read on one host then; calling this anyway is a programming error, said at once."""
    config = _config("text/csv", model_url)
    folder = _data(tmp_path / "csv", "text/csv")
    layout = open_chunks(config, folder, resolve_files(folder), 10).layout
    with pytest.raises(TypeError, match="the workers cannot call it"):
        bias_shards.run_sharded_bias(config, Cluster(client, ScaleSettings()), None, layout, [])  # type: ignore[arg-type]


def test_more_columns_read_as_text_for_other_stages_give_the_same_sections(tmp_path: Path, client: Any,
                                                                           model_url: str) -> None:
    """Without FT the one host reads only the bias columns as text; a source that keeps every column as
    text (as other stages may) gives the same sections, one that keeps fewer is refused."""
    config = _config("text/csv", model_url, post=["DPPL", "DI", "AD", "CDDPL"])
    folder = _data(tmp_path / "csv", "text/csv")
    every = _sharded(client, config, folder, 7, text=lambda layout: list(layout.frame.columns))
    assert every == _one_host(config, folder, 7)
    with pytest.raises(ValueError, match=r"the workers read \['sex', 'y'\] with their chunks' types"):
        _sharded(client, config, folder, 7, text=lambda layout: ["age", "group"])


# adult: the HTTP model on the workers, shards of 50 rows; german: JSON Lines, scores in the data
# thresholded after counting, shards of 40 rows (compas joins another dataset: read on one host)
@pytest.mark.parametrize("name, rows", [("adult_bias", 50), ("german_bias", 40)])
def test_golden_bias_jobs_sharded(name: str, rows: int, datasets: Path, tmp_path: Path, client: Any) -> None:
    """The committed analysis.json of the golden cases (Clarify's numbers), byte for byte."""
    from golden_cases import CASES, HERE, serving

    require_component(datasets.exists(), f"{datasets} is missing; run `make data`")
    prepared = CASES[name](datasets, tmp_path)
    with serving(prepared.model) if prepared.model else nullcontext(None) as url:
        raw = dict(prepared.config)
        if url:
            raw["predictor"] = {**raw["predictor"], "endpoint_url": url}
        config = parse_config(raw)
        sections = _sharded(client, config, Path(prepared.data), rows)
    document = to_json_text({"version": "1.0", **json.loads(sections)})
    assert document.encode() == (HERE / name / "analysis.json").read_bytes()


def test_a_stop_ends_the_merge_and_cancels_the_shards_left(tmp_path: Path, client: Any, model_url: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM while the workers count (a stop noted by analyzer.signals): Interrupted within a poll, and
    the shards not yet counted are cancelled, not left running on the cluster."""
    from analyzer import signals

    config = _config("text/csv", model_url)
    folder = _data(tmp_path / "csv", "text/csv")
    real, counting = bias_shards._frames, threading.Event()

    def slow(source: Any, shard: Any) -> Iterator[pd.DataFrame]:
        counting.set()
        time.sleep(0.4)   # ten shards on two workers: 2 s of work left when the stop comes
        return real(source, shard)

    def check() -> None:   # the stop arrives once a worker counts
        if counting.is_set():
            raise Interrupted("Stopped: SIGTERM received")

    monkeypatch.setattr(bias_shards, "_frames", slow)
    monkeypatch.setattr(signals, "check", check)
    began = time.monotonic()
    with pytest.raises(Interrupted):
        _sharded(client, config, folder, 7)
    assert counting.is_set() and time.monotonic() - began < 10
    def left() -> list[str]:   # work still queued or running (an erred task of an earlier test may linger)
        return client.run_on_scheduler(lambda dask_scheduler: [
            str(key) for key, task in dask_scheduler.tasks.items()
            if task.state in ("waiting", "queued", "processing", "no-worker")])

    deadline = time.monotonic() + 1
    while left() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert left() == []
