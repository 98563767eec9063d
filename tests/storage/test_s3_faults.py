"""S3 faults over HTTP: a proxy on 127.0.0.1 in front of moto answers with S3 error responses."""
from __future__ import annotations

from typing import Any

import pytest

from analyzer.errors import StorageError
from analyzer.storage import fetch, fetch_one
from s3_harness import Fault, FaultProxy

pytestmark = pytest.mark.s3


def _parts(s3: Any, bucket: str, n: int = 3) -> None:
    for i in range(n):
        s3.put_object(Bucket=bucket, Key=f"d/part-{i}.csv", Body=f"{i}\n".encode())


def test_throttling_and_5xx_are_retried(s3: Any, bucket: str, proxy: FaultProxy) -> None:
    _parts(s3, bucket)
    proxy.faults += [Fault("GET", "/d/part-1.csv", 503, "SlowDown", times=2),
                     Fault("GET", "list-type=2", 500, "InternalError", times=1)]
    assert [p.read_text() for p in fetch(f"s3://{bucket}/d/")] == ["0\n", "1\n", "2\n"]
    statuses = [status for method, path, status in proxy.log if path.endswith("/d/part-1.csv")]
    assert statuses == [503, 503, 200]
    assert [f.hits for f in proxy.faults] == [2, 1]


def test_persistent_failure_names_the_object(s3: Any, bucket: str, proxy: FaultProxy,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYZER_S3_MAX_ATTEMPTS", "2")
    _parts(s3, bucket)
    proxy.faults.append(Fault("GET", "/d/part-2.csv", 503, "SlowDown", times=None))
    with pytest.raises(StorageError, match=rf"^dataset s3://{bucket}/d/part-2\.csv: S3 kept failing \(SlowDown, "
                                           r"HTTP 503\) after 2 attempt\(s\) while reading; try again later or raise "
                                           r"ANALYZER_S3_MAX_ATTEMPTS\.$"):
        fetch(f"s3://{bucket}/d/")
    assert proxy.faults[0].hits == 2


def test_access_denied(s3: Any, bucket: str, proxy: FaultProxy) -> None:
    _parts(s3, bucket)
    proxy.faults.append(Fault("GET", "list-type=2", 403, "AccessDenied", "Access Denied", times=None))
    with pytest.raises(StorageError, match=rf"^dataset s3://{bucket}/d/: access denied \(AccessDenied\) while "
                                           r"listing; the job's credentials need s3:ListBucket on it\.$"):
        fetch(f"s3://{bucket}/d/")


def test_expired_token(s3: Any, bucket: str, proxy: FaultProxy) -> None:
    _parts(s3, bucket)
    proxy.faults.append(Fault("GET", "/d/part-0.csv", 400, "ExpiredToken",
                              "The provided token has expired.", times=None))
    with pytest.raises(StorageError, match=rf"^dataset s3://{bucket}/d/part-0\.csv: the AWS credentials have "
                                           r"expired \(ExpiredToken\) while reading; refresh"):
        fetch(f"s3://{bucket}/d/")


def test_expired_token_on_head_has_no_body(s3: Any, bucket: str, proxy: FaultProxy) -> None:
    _parts(s3, bucket)
    proxy.faults.append(Fault("HEAD", "/d/part-0.csv", 400, "ExpiredToken", times=None))
    with pytest.raises(StorageError, match=rf"^baseline s3://{bucket}/d/part-0\.csv: S3 answered HTTP 400 without "
                                           r"details while reading; expired or malformed credentials"):
        fetch_one(f"s3://{bucket}/d/part-0.csv", what="baseline")


def test_unreachable_endpoint(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("ANALYZER_S3_MAX_ATTEMPTS", "1")
    with pytest.raises(StorageError, match=r"^dataset s3://bkt/x\.csv: cannot reach S3 while reading"):
        fetch("s3://bkt/x.csv")
