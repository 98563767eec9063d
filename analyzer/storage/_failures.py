"""boto3/botocore failures → one StorageError/DataError naming the URI, the cause and the fix."""
from __future__ import annotations

from typing import Literal

from analyzer.errors import AnalyzerError, DataError, StorageError

Action = Literal["read", "list", "write", "delete"]

_PERMISSION = {"read": "s3:GetObject", "list": "s3:ListBucket", "write": "s3:PutObject",
               "delete": "s3:DeleteObject"}
_VERB = {"read": "reading", "list": "listing", "write": "writing", "delete": "deleting"}

_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_REJECTED = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "InvalidClientTokenId"}
_DENIED = {"AccessDenied", "403", "AllAccessDisabled", "AccountProblem"}
_MISSING = {"NoSuchKey", "404", "NotFound"}
_TRANSIENT = {"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "ServiceUnavailable",
              "InternalError", "RequestTimeout", "RequestTimeTooSkewed", "503", "500"}


def _client_error(exc: Exception, uri: str, what: str, action: Action) -> AnalyzerError:
    response = getattr(exc, "response", {}) or {}
    error = response.get("Error", {}) or {}
    code = str(error.get("Code") or "Unknown")
    detail = error.get("Message") or ""
    meta = response.get("ResponseMetadata", {}) or {}
    status = int(meta.get("HTTPStatusCode") or 0)
    attempts = int(meta.get("RetryAttempts") or 0) + 1
    where = f"{what} {uri}"
    if code == "NoSuchBucket":
        bucket = error.get("BucketName") or uri[5:].split("/", 1)[0]
        return StorageError(f"{where}: the bucket '{bucket}' does not exist (NoSuchBucket); "
                            "check the bucket name, the region and AWS_ENDPOINT_URL_S3.")
    if code in _MISSING:
        return DataError(f"{where}: no such object (NoSuchKey).")
    if code in _EXPIRED:
        return StorageError(f"{where}: the AWS credentials have expired ({code}) while {_VERB[action]}; "
                            "refresh the session token or role credentials and run the job again.")
    if code in _REJECTED:
        return StorageError(f"{where}: the AWS credentials were rejected ({code}) while {_VERB[action]}; "
                            "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN or the profile.")
    if code in _DENIED:
        return StorageError(f"{where}: access denied ({code}) while {_VERB[action]}; the job's credentials need "
                            f"{_PERMISSION[action]} on it.")
    if code in _TRANSIENT or status >= 500:
        return StorageError(f"{where}: S3 kept failing ({code}, HTTP {status}) after {attempts} attempt(s) while "
                            f"{_VERB[action]}; try again later or raise ANALYZER_S3_MAX_ATTEMPTS.")
    if code == "400" and detail in ("", "Bad Request"):  # HEAD responses carry no error body
        return StorageError(f"{where}: S3 answered HTTP 400 without details while {_VERB[action]}; expired or "
                            "malformed credentials (ExpiredToken) are the usual cause.")
    return StorageError(f"{where}: S3 error {code} (HTTP {status}) while {_VERB[action]}: {detail}".rstrip(": "))


def storage_failure(exc: BaseException, uri: str, what: str, action: Action) -> AnalyzerError:
    """The user-facing error for a failed S3 call or transfer on ``uri``."""
    if isinstance(exc, AnalyzerError):
        return exc
    from botocore import exceptions as bx

    where = f"{what} {uri}"
    if isinstance(exc, bx.ClientError):
        return _client_error(exc, uri, what, action)
    if isinstance(exc, bx.NoCredentialsError):
        return StorageError(f"{where}: no AWS credentials found (environment, shared config file, container or "
                            "instance role); provide credentials with access to it.")
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError,
                        bx.ConnectionClosedError)):
        return StorageError(f"{where}: cannot reach S3 while {_VERB[action]} ({exc}); check the network, "
                            "AWS_ENDPOINT_URL_S3 and ANALYZER_S3_READ_TIMEOUT.")
    if isinstance(exc, OSError) and not isinstance(exc, bx.BotoCoreError):
        return StorageError(f"{where}: local file error while {_VERB[action]}: {exc.strerror or exc} "
                            f"({exc.filename or 'no file name'}); check free space in the temporary directory "
                            "(ANALYZER_TMPDIR / TMPDIR).")
    return StorageError(f"{where}: S3 transfer failed while {_VERB[action]}: {type(exc).__name__}: {exc}")
