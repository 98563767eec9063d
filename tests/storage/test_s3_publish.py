"""publish: outputs to an S3 prefix, analysis.json last, nothing marked complete on failure."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from analyzer.errors import StorageError
from analyzer.storage import publish
from s3_harness import Fault, FaultProxy, keys

pytestmark = pytest.mark.s3

FILES = {"analysis.json": '{"version": "1.0"}\n', "analysis_config.json": "{}\n",
         "explanations_shap/out.csv": "a\n1\n", "report.html": "<html></html>\n"}


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    root = tmp_path / "out"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _body(s3: Any, bucket: str, key: str) -> str:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def test_publish_uploads_everything_marker_last(s3: Any, bucket: str, outputs: Path, proxy: FaultProxy) -> None:
    s3.put_object(Bucket=bucket, Key="run/analysis.json", Body=b"old")
    written = publish(outputs, f"s3://{bucket}/run")
    assert written[-1] == f"s3://{bucket}/run/analysis.json"
    assert sorted(written) == sorted(f"s3://{bucket}/run/{n}" for n in FILES)
    assert {k: _body(s3, bucket, k) for k in keys(s3, bucket)} == {f"run/{n}": t for n, t in FILES.items()}
    assert s3.head_object(Bucket=bucket, Key="run/analysis.json")["ContentType"] == "application/json"
    calls = [(m, p.split("?")[0].split("/run/")[-1]) for m, p, _ in proxy.log]
    assert calls[0] == ("DELETE", "analysis.json")          # the old marker goes first
    assert calls[-1] == ("PUT", "analysis.json")            # the new one comes last
    assert sorted(n for m, n in calls if m == "PUT") == sorted(FILES)


def test_failed_upload_leaves_nothing(s3: Any, bucket: str, outputs: Path, proxy: FaultProxy,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYZER_S3_MAX_ATTEMPTS", "2")
    proxy.faults.append(Fault("PUT", "/out/analysis.json", 503, "SlowDown", times=None))
    with pytest.raises(StorageError, match=rf"^output s3://{bucket}/out/analysis\.json: S3 kept failing \(SlowDown, "
                                           rf"HTTP 503\) after 2 attempt\(s\) while writing; .* Nothing was published "
                                           rf"under s3://{bucket}/out/\.$"):
        publish(outputs, f"s3://{bucket}/out/")
    assert keys(s3, bucket) == []


def test_failed_cleanup_is_reported(s3: Any, bucket: str, outputs: Path, proxy: FaultProxy,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYZER_S3_MAX_ATTEMPTS", "1")
    proxy.faults += [Fault("PUT", "/out/analysis.json", 403, "AccessDenied", times=None),
                     Fault("DELETE", "/out/report.html", 503, "SlowDown", times=None)]
    with pytest.raises(StorageError, match=r"access denied \(AccessDenied\) while writing; the job's credentials "
                                           r"need s3:PutObject on it\. Nothing was published under .* \(1 partial "
                                           r"object\(s\) could not be removed; no analysis\.json marks them "
                                           r"incomplete\)\.$"):
        publish(outputs, f"s3://{bucket}/out")
    assert keys(s3, bucket) == ["out/report.html"]


def test_publish_to_missing_bucket(s3: Any, outputs: Path) -> None:
    with pytest.raises(StorageError, match=r"^output s3://no-such-bucket-y/run/analysis\.json: the bucket "
                                           r"'no-such-bucket-y' does not exist"):
        publish(outputs, "s3://no-such-bucket-y/run/")
