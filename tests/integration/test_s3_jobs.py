"""Whole jobs (analyzer.cli.main) reading from and writing to moto's S3 server on 127.0.0.1.

Every S3 job is compared with the same job on local files: analysis.json must be byte-identical.
"""
from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "storage"))  # the shared S3 harness
from s3_harness import Fault, FaultProxy, keys  # noqa: E402
from s3_harness import bucket, moto_server, proxy, s3  # noqa: E402,F401  (fixtures)

from analyzer.cli import main  # noqa: E402
from analyzer.config import parse_config  # noqa: E402
from analyzer.data import load_dataset  # noqa: E402

pytestmark = pytest.mark.s3

PARTS = 20
ADULT = {"dataset_type": "text/csv", "label": "Target", "label_values_or_threshold": [">50K"],
         "facet": [{"name_or_index": "Sex", "value_or_threshold": ["Female"]}], "group_variable": "Education",
         "methods": {"pre_training_bias": {"methods": "all"}}}


@pytest.fixture(scope="module")
def adult(datasets: Path) -> pd.DataFrame:
    return pd.read_csv(datasets / "adult" / "adult_train.csv")


@pytest.fixture(autouse=True)
def _fast_reports(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The notebook/HTML/PDF reports take ~2 s per job and are not what these tests check: only
    test_csv_prefix_of_20_parts writes (and uploads) them. raising=False: if the job module changes,
    the tests get slower, not wrong."""
    if request.node.name != "test_csv_prefix_of_20_parts":
        import analyzer.job

        monkeypatch.setattr(analyzer.job, "_write_reports", lambda *args, **kwargs: (None, None), raising=False)


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The job's temporary area lives here, so tests can check it is cleaned up."""
    path = tmp_path / "scratch"
    path.mkdir()
    monkeypatch.setenv("ANALYZER_TMPDIR", str(path))
    return path


def _csv_parts(frame: pd.DataFrame, n: int) -> list[bytes]:
    """n part files, each with the header row, as Spark writes them."""
    size = -(-len(frame) // n)
    return [frame.iloc[i * size:(i + 1) * size].to_csv(index=False).encode() for i in range(n)]


def _store(s3: Any, bucket: str, prefix: str, local: Path, files: dict[str, bytes], **extra: Any) -> None:
    """The same files under an S3 prefix and a local directory."""
    for name, body in files.items():
        s3.put_object(Bucket=bucket, Key=f"{prefix}/{name}", Body=body, **extra)
        (local / name).parent.mkdir(parents=True, exist_ok=True)
        (local / name).write_bytes(body)


def _job(tmp_path: Path, config: dict, data: str, output: str, name: str) -> int:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(config))
    return main(["--config", str(path), "--data", data, "--output", output])


def _compare(tmp_path: Path, s3: Any, bucket: str, config_local: dict, config_s3: dict, local: str,
             remote: str) -> dict:
    """Run the job on local files and on S3 (results to S3); analysis.json must be identical."""
    assert _job(tmp_path, config_local, local, str(tmp_path / "out-local"), "local") == 0
    assert _job(tmp_path, config_s3, remote, f"s3://{bucket}/results/", "s3") == 0
    expected = (tmp_path / "out-local" / "analysis.json").read_bytes()
    got = s3.get_object(Bucket=bucket, Key="results/analysis.json")["Body"].read()
    assert got == expected
    local_names = sorted(p.relative_to(tmp_path / "out-local").as_posix()
                         for p in (tmp_path / "out-local").rglob("*") if p.is_file())
    assert keys(s3, bucket, "results/") == [f"results/{n}" for n in local_names]
    return json.loads(got)


@pytest.mark.slow  # tens of seconds on a loaded 2-core machine
def test_csv_prefix_of_20_parts(tmp_path: Path, s3: Any, bucket: str, adult: pd.DataFrame, base_dir: Path,
                                scratch: Path) -> None:
    parts = {f"part-{i:05d}.csv": body for i, body in enumerate(_csv_parts(adult, PARTS))}
    parts["_SUCCESS"] = b""
    _store(s3, bucket, "adult", tmp_path / "adult", parts)
    analysis = _compare(tmp_path, s3, bucket, ADULT, ADULT, str(tmp_path / "adult"), f"s3://{bucket}/adult/")
    assert analysis["pre_training_bias_metrics"]["facets"]["Sex"][0]["value_or_threshold"] == "Female"
    assert (base_dir / "output" / "message").read_text().startswith("Completed")
    assert {"results/report.html", "results/report.pdf"} <= set(keys(s3, bucket, "results/"))
    assert list(scratch.iterdir()) == []  # downloads and staged outputs are gone


def test_loaded_frames_equal_for_csv_parts(tmp_path: Path, s3: Any, bucket: str, adult: pd.DataFrame) -> None:
    parts = {f"p{i}.csv": body for i, body in enumerate(_csv_parts(adult.head(3000), 5))}
    _store(s3, bucket, "d", tmp_path / "d", parts)
    config = parse_config(ADULT)
    pd.testing.assert_frame_equal(load_dataset(config, f"s3://{bucket}/d").frame,
                                  load_dataset(config, tmp_path / "d").frame)


def _small(adult: pd.DataFrame) -> pd.DataFrame:
    frame = adult.loc[:1999, ["Age", "Sex", "Education-Num", "Hours per week", "Target"]].copy()
    frame["Target"] = (frame["Target"] == ">50K").astype(int)
    return frame


def test_parquet_prefix(tmp_path: Path, s3: Any, bucket: str, adult: pd.DataFrame, base_dir: Path) -> None:
    frame = _small(adult)
    files = {}
    for i in range(4):
        buffer = io.BytesIO()
        frame.iloc[i * 500:(i + 1) * 500].to_parquet(buffer, index=False)
        files[f"part-{i}.parquet"] = buffer.getvalue()
    _store(s3, bucket, "pq", tmp_path / "pq", files)
    config = {"dataset_type": "application/x-parquet", "label": "Target", "label_values_or_threshold": [1],
              "facet": [{"name_or_index": "Sex", "value_or_threshold": ["Female"]}],
              "methods": {"pre_training_bias": {"methods": "all"}}}
    _compare(tmp_path, s3, bucket, config, config, str(tmp_path / "pq"), f"s3://{bucket}/pq")


def test_jsonlines_prefix_with_gzip_parts(tmp_path: Path, s3: Any, bucket: str, adult: pd.DataFrame,
                                          base_dir: Path) -> None:
    frame = _small(adult)
    frame["Sex"] = (frame["Sex"] == "Female").astype(int)
    lines = [json.dumps({"features": row[:-1], "label": row[-1]}) for row in frame.values.tolist()]
    text = ["\n".join(lines[i * 500:(i + 1) * 500]) + "\n" for i in range(4)]
    _store(s3, bucket, "jl", tmp_path / "jl", {"part-0.jsonl": text[0].encode(),
                                              "part-1.jsonl.gz": gzip.compress(text[1].encode())})
    # gzip stored without a .gz suffix, marked only by Content-Encoding (locally it keeps its suffix)
    s3.put_object(Bucket=bucket, Key="jl/part-2.jsonl", Body=gzip.compress(text[2].encode()), ContentEncoding="gzip")
    (tmp_path / "jl" / "part-2.jsonl.gz").write_bytes(gzip.compress(text[2].encode()))
    _store(s3, bucket, "jl", tmp_path / "jl", {"part-3.jsonl": text[3].encode()})
    config = {"dataset_type": "application/jsonlines", "features": "features", "label": "label",
              "headers": ["Age", "Sex", "Education-Num", "Hours per week", "Target"],
              "label_values_or_threshold": [1], "facet": [{"name_or_index": "Sex", "value_or_threshold": [1]}],
              "methods": {"pre_training_bias": {"methods": "all"}}}
    _compare(tmp_path, s3, bucket, config, config, str(tmp_path / "jl"), f"s3://{bucket}/jl/")


def test_single_gzip_object_without_suffix(tmp_path: Path, s3: Any, bucket: str, adult: pd.DataFrame,
                                           base_dir: Path) -> None:
    body = adult.head(4000).to_csv(index=False).encode()
    s3.put_object(Bucket=bucket, Key="one/train", Body=gzip.compress(body))
    (tmp_path / "train.csv").write_bytes(body)
    _compare(tmp_path, s3, bucket, ADULT, ADULT, str(tmp_path / "train.csv"), f"s3://{bucket}/one/train")


@pytest.mark.slow  # tens of seconds on a loaded 2-core machine
def test_joined_facet_and_prediction_datasets(tmp_path: Path, s3: Any, bucket: str, adult: pd.DataFrame,
                                              base_dir: Path) -> None:
    frame = adult.head(6000).reset_index(drop=True)
    frame["Target"] = (frame["Target"] == ">50K").astype(int)  # comparable with thresholded scores
    frame.insert(0, "id", range(len(frame)))
    main_part = frame.drop(columns=["Sex"])
    facet = frame.loc[:, ["id", "Sex"]].sample(frac=1.0, random_state=0)                 # another row order
    predictions = frame.loc[:, ["id"]].assign(score=(frame["Education-Num"] / 16).round(3)).iloc[::-1]
    files = {f"main/part-{i}.csv": body for i, body in enumerate(_csv_parts(main_part, 3))}
    files["facet/facet.csv"] = facet.to_csv(index=False, header=False).encode()
    files["pred/part-0.csv"] = predictions.to_csv(index=False, header=False).encode()
    _store(s3, bucket, "j", tmp_path / "j", files)
    common = {**ADULT, "label_values_or_threshold": [1], "joinsource_name_or_index": "id",
              "facet_headers": ["id", "Sex"],
              "predicted_label_headers": ["id", "score"], "predicted_label": "score", "probability_threshold": 0.6,
              "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}}
    local = {**common, "facet_dataset_uri": str(tmp_path / "j" / "facet" / "facet.csv"),
             "predicted_label_dataset_uri": str(tmp_path / "j" / "pred")}
    remote = {**common, "facet_dataset_uri": f"s3://{bucket}/j/facet/facet.csv",
              "predicted_label_dataset_uri": f"s3://{bucket}/j/pred/"}
    analysis = _compare(tmp_path, s3, bucket, local, remote, str(tmp_path / "j" / "main"), f"s3://{bucket}/j/main")
    assert {"pre_training_bias_metrics", "post_training_bias_metrics"} <= set(analysis)


def test_throttled_reads_are_retried(tmp_path: Path, s3: Any, bucket: str, adult: pd.DataFrame, base_dir: Path,
                                     proxy: FaultProxy) -> None:
    parts = {f"part-{i:05d}.csv": body for i, body in enumerate(_csv_parts(adult.head(4000), 4))}
    _store(s3, bucket, "t", tmp_path / "t", parts)
    proxy.faults += [Fault("GET", "/t/part-00002.csv", 503, "SlowDown", times=2),
                     Fault("PUT", "/results/analysis.json", 500, "InternalError", times=1)]
    _compare(tmp_path, s3, bucket, ADULT, ADULT, str(tmp_path / "t"), f"s3://{bucket}/t/")
    assert [f.hits for f in proxy.faults] == [2, 1]


def test_persistent_read_failure(tmp_path: Path, s3: Any, bucket: str, adult: pd.DataFrame, base_dir: Path,
                                 proxy: FaultProxy, scratch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYZER_S3_MAX_ATTEMPTS", "2")
    parts = {f"part-{i:05d}.csv": body for i, body in enumerate(_csv_parts(adult.head(4000), 4))}
    _store(s3, bucket, "t", tmp_path / "t", parts)
    proxy.faults.append(Fault("GET", "/t/part-00003.csv", 503, "SlowDown", times=None))
    assert _job(tmp_path, ADULT, f"s3://{bucket}/t/", f"s3://{bucket}/results/", "s3") == 5
    message = (base_dir / "output" / "message").read_text()
    assert message == (f"ClientError: dataset s3://{bucket}/t/part-00003.csv: S3 kept failing (SlowDown, HTTP 503) "
                       "after 2 attempt(s) while reading; try again later or raise ANALYZER_S3_MAX_ATTEMPTS.")
    assert keys(s3, bucket, "results/") == []
    assert list(scratch.iterdir()) == []


def test_persistent_upload_failure(tmp_path: Path, s3: Any, bucket: str, adult: pd.DataFrame, base_dir: Path,
                                   proxy: FaultProxy, scratch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYZER_S3_MAX_ATTEMPTS", "2")
    s3.put_object(Bucket=bucket, Key="t/train.csv", Body=adult.head(2000).to_csv(index=False).encode())
    proxy.faults.append(Fault("PUT", "/results/analysis.json", 503, "SlowDown", times=None))
    assert _job(tmp_path, ADULT, f"s3://{bucket}/t/train.csv", f"s3://{bucket}/results", "s3") == 5
    message = (base_dir / "output" / "message").read_text()
    assert message.startswith(f"ClientError: output s3://{bucket}/results/analysis.json: S3 kept failing")
    assert message.endswith(f"Nothing was published under s3://{bucket}/results/.")
    assert keys(s3, bucket) == ["t/train.csv"]
    assert list(scratch.iterdir()) == []


def test_missing_inputs_name_the_uri(tmp_path: Path, s3: Any, bucket: str, base_dir: Path) -> None:
    assert _job(tmp_path, ADULT, f"s3://{bucket}/nothing/", str(tmp_path / "out"), "s3") == 3
    assert (base_dir / "output" / "message").read_text() == (
        f"ClientError: dataset s3://{bucket}/nothing/: no such object, and no objects under the prefix "
        f"s3://{bucket}/nothing/.")
    assert _job(tmp_path, ADULT, "s3://no-such-bucket-z/x.csv", str(tmp_path / "out"), "s3") == 5
    message = (base_dir / "output" / "message").read_text()
    assert "the bucket 'no-such-bucket-z' does not exist (NoSuchBucket)" in message
    assert not (tmp_path / "out" / "analysis.json").exists()
