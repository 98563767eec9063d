"""botocore failures → messages naming the URI (unit level; the HTTP-level ones are in test_faults)."""
from __future__ import annotations

import pytest
from botocore import exceptions as bx

from analyzer.errors import DataError, StorageError
from analyzer.storage._failures import storage_failure

URI = "s3://bkt/data/train.csv"


def _client_error(code: str, status: int, retries: int = 0) -> bx.ClientError:
    return bx.ClientError({"Error": {"Code": code, "Message": "m"},
                           "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": retries}}, "GetObject")


@pytest.mark.parametrize("code, status, action, kind, message", [
    ("NoSuchBucket", 404, "list", StorageError,
     r"^dataset s3://bkt/data/train\.csv: the bucket 'bkt' does not exist \(NoSuchBucket\)"),
    ("NoSuchKey", 404, "read", DataError, r"^dataset s3://bkt/data/train\.csv: no such object \(NoSuchKey\)\.$"),
    ("AccessDenied", 403, "read", StorageError,
     r"access denied \(AccessDenied\) while reading; the job's credentials need s3:GetObject on it\.$"),
    ("403", 403, "write", StorageError, r"access denied \(403\) while writing; .* need s3:PutObject"),
    ("ExpiredToken", 400, "list", StorageError,
     r"the AWS credentials have expired \(ExpiredToken\) while listing; refresh"),
    ("InvalidAccessKeyId", 403, "read", StorageError, r"the AWS credentials were rejected \(InvalidAccessKeyId\)"),
    ("SlowDown", 503, "read", StorageError,
     r"S3 kept failing \(SlowDown, HTTP 503\) after 8 attempt\(s\) while reading; .*ANALYZER_S3_MAX_ATTEMPTS"),
    ("WeirdThing", 400, "read", StorageError, r"S3 error WeirdThing \(HTTP 400\) while reading: m$"),
])
def test_client_errors(code, status, action, kind, message) -> None:
    error = storage_failure(_client_error(code, status, retries=7), URI, "dataset", action)
    assert type(error) is kind
    assert error.message.startswith(f"dataset {URI}: ")
    assert __import__("re").search(message, error.message), error.message


def test_other_failures() -> None:
    assert "no AWS credentials found" in storage_failure(bx.NoCredentialsError(), URI, "dataset", "read").message
    error = storage_failure(bx.EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), URI, "dataset", "read")
    assert error.message.startswith(f"dataset {URI}: cannot reach S3 while reading")
    error = storage_failure(OSError(28, "No space left on device", "/tmp/x"), URI, "dataset", "read")
    assert "No space left on device (/tmp/x)" in error.message and "ANALYZER_TMPDIR" in error.message
