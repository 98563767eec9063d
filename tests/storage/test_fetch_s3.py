"""fetch / fetch_one against moto's S3 server: objects, prefixes, part-file rules, gzip, errors."""
from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analyzer.data.sources import resolve_files
from analyzer.errors import DataError, StorageError
from analyzer.storage import fetch, fetch_one, scratch_session

pytestmark = pytest.mark.s3


def _put(s3: Any, bucket: str, key: str, body: bytes | str, **extra: Any) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode() if isinstance(body, str) else body, **extra)


def test_single_object(s3: Any, bucket: str) -> None:
    _put(s3, bucket, "data/train.csv", "a,b\n1,2\n")
    (path,) = fetch(f"s3://{bucket}/data/train.csv")
    assert path.read_text() == "a,b\n1,2\n"
    assert path.parts[-3:] == (bucket, "data", "train.csv")  # local path still shows bucket and key


def test_prefix_of_twenty_parts_in_key_order_with_markers_skipped(s3: Any, bucket: str) -> None:
    for i in reversed(range(20)):
        _put(s3, bucket, f"out/part-{i:05d}.csv", f"{i}\n")
    for junk in ("out/", "out/_SUCCESS", "out/.part-00000.csv.crc", "out/_temporary/0/part-x.csv",
                 "out/sub/", "out/.hidden/x.csv"):
        _put(s3, bucket, junk, "junk\n")
    _put(s3, bucket, "out/sub/part-a.csv", "sub\n")
    _put(s3, bucket, "outside/part-0.csv", "no\n")
    _put(s3, bucket, "out2/part-0.csv", "no\n")  # a sibling sharing the string prefix is not inside
    for uri in (f"s3://{bucket}/out", f"s3://{bucket}/out/"):
        files = fetch(uri)
        assert [p.read_text() for p in files] == [f"{i}\n" for i in range(20)] + ["sub\n"]


def test_whole_bucket(s3: Any, bucket: str) -> None:
    _put(s3, bucket, "b.csv", "2\n")
    _put(s3, bucket, "a.csv", "1\n")
    assert [p.read_text() for p in fetch(f"s3://{bucket}")] == ["1\n", "2\n"]


@pytest.mark.parametrize("key, extra", [
    ("d.csv.gz", {}),                                     # suffix says gzip
    ("d.csv", {"ContentEncoding": "gzip"}),               # only Content-Encoding says it
    ("part-00000", {}),                                   # nothing says it: magic bytes do
])
def test_gzip_objects_get_a_gz_suffix(s3: Any, bucket: str, key: str, extra: dict) -> None:
    _put(s3, bucket, key, gzip.compress(b"x,y\n1,2\n"), **extra)
    (path,) = fetch(f"s3://{bucket}/{key}", content_type="text/csv")
    assert path.suffix == ".gz"
    assert pd.read_csv(path).to_dict("list") == {"x": [1], "y": [2]}


def test_gz_name_with_plain_content_loses_the_suffix(s3: Any, bucket: str) -> None:
    _put(s3, bucket, "d.csv.gz", "x\n1\n")
    (path,) = fetch(f"s3://{bucket}/d.csv.gz")
    assert path.name == "d.csv" and path.read_text() == "x\n1\n"


def test_resolve_files_reads_s3_for_every_reader(s3: Any, bucket: str) -> None:
    _put(s3, bucket, "p/part-1.csv", "x\n1\n")
    assert [p.name for p in resolve_files(f"s3://{bucket}/p/", what="facet dataset")] == ["part-1.csv"]


def test_no_such_bucket(s3: Any) -> None:
    with pytest.raises(StorageError, match=r"^dataset s3://no-such-bucket-x/data\.csv: the bucket "
                                           r"'no-such-bucket-x' does not exist \(NoSuchBucket\)"):
        fetch("s3://no-such-bucket-x/data.csv")


def test_no_such_key_or_prefix(s3: Any, bucket: str) -> None:
    with pytest.raises(DataError, match=rf"^facet dataset s3://{bucket}/nothing: no such object, and no objects "
                                        rf"under the prefix s3://{bucket}/nothing/\.$"):
        fetch(f"s3://{bucket}/nothing", what="facet dataset")


def test_prefix_with_only_markers(s3: Any, bucket: str) -> None:
    _put(s3, bucket, "d/", "")
    _put(s3, bucket, "d/_SUCCESS", "")
    with pytest.raises(DataError, match=rf"^dataset s3://{bucket}/d/: the prefix contains no data files "
                                        r"\(2 marker, hidden or _SUCCESS object\(s\) skipped\)\.$"):
        fetch(f"s3://{bucket}/d/")


def test_invalid_uri(s3: Any) -> None:
    with pytest.raises(StorageError, match=r"^dataset s3:///x: not a valid S3 URI"):
        fetch("s3:///x")


def test_declared_type_is_checked_naming_the_object(s3: Any, bucket: str, tmp_path: Path) -> None:
    pd.DataFrame({"x": [1]}).to_parquet(tmp_path / "p.parquet")
    _put(s3, bucket, "mixed/a.csv", "x\n1\n")
    _put(s3, bucket, "mixed/b.csv", (tmp_path / "p.parquet").read_bytes())
    with pytest.raises(DataError, match=rf"^dataset s3://{bucket}/mixed/b\.csv: not a text/csv file \(it is "
                                        r"Parquet\); set dataset_type to application/x-parquet\.$"):
        fetch(f"s3://{bucket}/mixed/", content_type="text/csv")
    with pytest.raises(DataError, match=rf"^dataset s3://{bucket}/mixed/a\.csv: not an application/x-parquet "
                                        r"file \(it starts with bytes b'x\\n1\\n'"):
        fetch(f"s3://{bucket}/mixed/", content_type="application/x-parquet")


def test_fetch_one_model_data(s3: Any, bucket: str, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = b"model-bytes"
        info = tarfile.TarInfo("model.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    _put(s3, bucket, "models/m1/model.tar.gz", buffer.getvalue())
    path = fetch_one(f"s3://{bucket}/models/m1/model.tar.gz", what="predictor.model_data")
    assert path.name == "model.tar.gz"
    with tarfile.open(path) as tar:
        assert tar.extractfile("model.json").read() == b"model-bytes"


def test_fetch_one_errors(s3: Any, bucket: str) -> None:
    with pytest.raises(DataError, match=rf"^SHAP baseline s3://{bucket}/b\.csv: no such object \(NoSuchKey\)\.$"):
        fetch_one(f"s3://{bucket}/b.csv", what="SHAP baseline")
    with pytest.raises(DataError, match=r"expected a single S3 object, got a prefix"):
        fetch_one(f"s3://{bucket}/dir/", what="SHAP baseline")


def test_scratch_session_removes_downloads(s3: Any, bucket: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYZER_TMPDIR", str(tmp_path))
    _put(s3, bucket, "x.csv", "1\n")
    with scratch_session() as root:
        (path,) = fetch(f"s3://{bucket}/x.csv")
        assert path.is_relative_to(root) and path.exists()
    assert not root.exists() and not path.exists()
