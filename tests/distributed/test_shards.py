"""Workers that read their own rows (analyzer.distributed.shards): the shards' rows, read on the workers
of a real two-worker Dask cluster, are the rows of a whole read, in order; files the workers cannot
read are named; S3 files are fetched by the workers and deleted when the job ends."""
from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pytest

from analyzer.config import parse_config
from analyzer.data import FileIndex, Start, open_chunks, resolve_files
from analyzer.distributed.settings import ScaleSettings
from analyzer.distributed.shards import ShardSource, check_files, cut, forget, prepare, shard_frames
from analyzer.errors import DataError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "storage"))  # the shared S3 harness
from s3_harness import bucket, moto_server, s3  # noqa: E402,F401  (fixtures)

from components import require_module  # noqa: E402

BASE = {"label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "f", "value_or_threshold": ["a"]}],
        "methods": {"pre_training_bias": {"methods": ["CI"]}}}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """Two in-process workers (threads of this process: fast to start, same results)."""
    distributed = require_module("distributed", "the Dask tests need dask[distributed]")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as c, \
            distributed.Client(c) as client:
        yield client


def _frame(n: int, start: int = 0) -> pd.DataFrame:
    i = range(start, start + n)
    return pd.DataFrame({"x": [k * 0.5 for k in i], "f": ["a" if k % 3 else "b" for k in i],
                         "code": [str(k % 4) if k % 5 else "" for k in i], "y": [k % 2 for k in i]})


def _whole(config: dict, uri: Path, text: tuple[str, ...]) -> pd.DataFrame:
    parsed = parse_config(config)
    chunks = open_chunks(parsed, uri, resolve_files(uri), 10_000, lambda layout: text)
    return pd.concat(list(chunks.frames()), ignore_index=True)


def _sharded(client: Any, config: dict, uri: Path | str, text: tuple[str, ...], rows: int) -> pd.DataFrame:
    source, layout, shards = prepare(client, parse_config(config), uri, rows, lambda layout: text,
                                     ScaleSettings(chunk_rows=rows), uuid.uuid4().hex)
    assert [s.offset for s in shards] == [sum(t.rows for t in shards[:i]) for i in range(len(shards))]
    frames = client.gather([client.submit(lambda s: pd.concat(list(shard_frames(source, s))), shard, pure=False)
                            for shard in shards])
    assert [len(f) for f in frames] == [s.rows for s in shards] and all(s.rows <= rows for s in shards)
    client.run(forget, source.token)
    return pd.concat(frames, ignore_index=True)


def test_cut_keeps_files_apart_and_counts_offsets() -> None:
    shards = cut([FileIndex(5), FileIndex(0), FileIndex(3, groups=(2, 1))], 2)
    assert [(s.file, s.first, s.stop, s.offset) for s in shards] == [
        (0, 0, 2, 0), (0, 2, 4, 2), (0, 4, 5, 4), (2, 0, 2, 5), (2, 2, 3, 7)]
    assert [s.number for s in shards] == list(range(5))
    assert shards[4].start == Start(row=2, at=2, byte=None, group=1)


@pytest.mark.parametrize("rows", [1, 7, 50])
def test_csv_shards_are_the_rows_of_a_whole_read(tmp_path: Path, client: Any, rows: int) -> None:
    """Three files with repeated header rows (one file has no rows), text columns kept as text."""
    folder = tmp_path / "parts"
    folder.mkdir()
    _frame(40).to_csv(folder / "part-0.csv", index=False)
    _frame(0).to_csv(folder / "part-1.csv", index=False)
    _frame(23, 40).to_csv(folder / "part-2.csv", index=False)
    config = {**BASE, "dataset_type": "text/csv"}
    whole = _whole(config, folder, ("code", "f"))
    sharded = _sharded(client, config, folder, ("code", "f"), rows)
    assert len(whole) == 63
    pd.testing.assert_frame_equal(sharded, whole)
    assert sharded["code"].dtype == object and sharded["code"].isna().sum() == whole["code"].isna().sum()


@pytest.mark.parametrize("kind", ["application/jsonlines", "application/x-parquet"])
def test_json_lines_and_parquet_shards_are_the_rows_of_a_whole_read(tmp_path: Path, client: Any, kind: str) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    for number, frame in enumerate([_frame(30), _frame(11, 30)]):
        if kind == "application/x-parquet":
            frame.to_parquet(folder / f"part-{number}.parquet", row_group_size=8)
        else:
            lines = [json.dumps({"features": [r.x, r.f, r.code], "label": int(r.y)}) for r in frame.itertuples()]
            (folder / f"part-{number}.jsonl").write_text("\n".join(lines) + "\n")
    config = {**BASE, "dataset_type": kind}
    if kind == "application/jsonlines":
        config = {**config, "features": "features", "label": "label", "headers": ["x", "f", "code", "label"]}
    whole = _whole(config, folder, ())
    pd.testing.assert_frame_equal(_sharded(client, config, folder, (), 4), whole)


def test_a_file_a_worker_cannot_read_is_named_with_the_worker(tmp_path: Path, client: Any) -> None:
    missing = tmp_path / "not-on-this-host.csv"
    source = ShardSource(parse_config({**BASE, "dataset_type": "text/csv"}), str(tmp_path), (str(missing),), 10)
    with pytest.raises(DataError) as caught:
        client.submit(check_files, source, pure=False).result()
    message = str(caught.value)
    assert str(missing) in message and "on S3 or on a path every worker sees" in message
    assert "(on Dask worker " in message


@pytest.mark.s3
def test_s3_files_are_fetched_by_the_workers_and_deleted_at_the_end(client: Any, s3: Any, bucket: str,  # noqa: F811
                                                                      tmp_path: Path) -> None:
    from analyzer.distributed import shards

    for number, frame in enumerate([_frame(25), _frame(9, 25)]):
        s3.put_object(Bucket=bucket, Key=f"data/part-{number}.csv", Body=frame.to_csv(index=False).encode())
        frame.to_csv(tmp_path / f"part-{number}.csv", index=False)
    config = {**BASE, "dataset_type": "text/csv"}
    whole = _whole(config, tmp_path, ())
    uri = f"s3://{bucket}/data"
    source, _, found = prepare(client, parse_config(config), uri, 10, lambda layout: (), ScaleSettings(),
                               uuid.uuid4().hex)
    assert source.files == (f"{uri}/part-0.csv", f"{uri}/part-1.csv")
    frames = [pd.concat(list(shard_frames(source, shard))) for shard in found]
    pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), whole)
    copies = [path for (token, _), path in shards._FILES.items() if token == source.token]
    assert copies and all(path.exists() for path in copies)
    assert sum(client.run(forget, source.token).values()) + forget(source.token) >= len(copies)
    assert not any(path.exists() for path in copies)


@pytest.mark.parametrize("changes, reason", [
    ({}, None),
    ({"dataset_type": "application/json", "features": "[*].f"}, "dataset_type application/json is read whole"),
    ({"facet_dataset_uri": "/data/facets.csv"}, "datasets joined from other files are read whole"),
    ({"predictor": {"model_name": "m", "instance_type": "local", "initial_instance_count": 1,
                    "content_type": "text/csv"}},
     "the model runs in a container on the leader"),
    ({"methods": {"shap": {"baseline": [[1, "a"]], "algorithm": "tree_exact"}}}, "tree_exact reads the dataset whole"),
])
def test_why_the_workers_cannot_read_a_job_for_themselves(changes: dict, reason: str | None) -> None:
    from analyzer.distributed.sharded import why_not_sharded

    raw = {**BASE, "dataset_type": "text/csv", "methods": {"shap": {"baseline": [[1, "a"]]}},
           "predictor": {"endpoint_url": "http://127.0.0.1:9/invocations", "content_type": "text/csv"}}
    found = why_not_sharded(parse_config({**raw, **changes}))
    assert found == reason if reason is None else reason in (found or "")
