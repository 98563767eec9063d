"""The boto3 S3 client and transfer settings, from the standard AWS chain plus a few env knobs.

Credentials, region and endpoint come from boto3's own chain: environment, shared config,
container/instance role, and ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` for S3-compatible
stores (honoured natively by boto3 >= 1.34). Our knobs (all optional):

=============================  ======================================================  =========
``ANALYZER_S3_MAX_ATTEMPTS``   total attempts per request (throttling, 5xx, timeouts)   8
``ANALYZER_S3_RETRY_MODE``     botocore retry mode: ``standard`` or ``adaptive``         standard
``ANALYZER_S3_CONNECT_TIMEOUT`` seconds to connect                                      10
``ANALYZER_S3_READ_TIMEOUT``   seconds to wait for data on an open connection           60
``ANALYZER_S3_MAX_CONCURRENCY`` parallel transfers (part files and ranges)             8
=============================  ======================================================  =========

``AWS_MAX_ATTEMPTS`` / ``AWS_RETRY_MODE`` are used when our variables are unset.
"""
from __future__ import annotations

import os
from typing import Any

from analyzer.errors import ConfigError

# boto3/botocore are imported inside the functions: jobs on local files never pay for them.

MAX_ATTEMPTS_ENV = "ANALYZER_S3_MAX_ATTEMPTS"
RETRY_MODE_ENV = "ANALYZER_S3_RETRY_MODE"
CONNECT_TIMEOUT_ENV = "ANALYZER_S3_CONNECT_TIMEOUT"
READ_TIMEOUT_ENV = "ANALYZER_S3_READ_TIMEOUT"
MAX_CONCURRENCY_ENV = "ANALYZER_S3_MAX_CONCURRENCY"

DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_RETRY_MODE = "standard"
RETRY_MODES = ("standard", "adaptive")

# Bounded memory: downloads are written to disk in 256 KiB pieces through a queue of at most
# 64 pieces, so a transfer holds ~16 MiB of data whatever the object size.
_CHUNK = 16 * 1024 * 1024
_IO_CHUNK = 256 * 1024
_IO_QUEUE = 64


def _env_number(name: str, default: float, kind: type, minimum: float) -> Any:
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        noun = "an integer" if kind is int else "a number"
        raise ConfigError(f"Environment variable {name}={text!r}: expected {noun} >= {minimum}.")
    return value


def max_attempts() -> int:
    fallback = os.environ.get("AWS_MAX_ATTEMPTS")
    default = int(fallback) if fallback and fallback.isdigit() and int(fallback) > 0 else DEFAULT_MAX_ATTEMPTS
    return _env_number(MAX_ATTEMPTS_ENV, default, int, 1)


def retry_mode() -> str:
    mode = (os.environ.get(RETRY_MODE_ENV) or os.environ.get("AWS_RETRY_MODE") or DEFAULT_RETRY_MODE).strip().lower()
    if mode not in RETRY_MODES:
        raise ConfigError(f"Environment variable {RETRY_MODE_ENV}={mode!r}: expected one of {', '.join(RETRY_MODES)}.")
    return mode


def client_config() -> Any:
    from botocore.config import Config

    return Config(
        retries={"mode": retry_mode(), "total_max_attempts": max_attempts()},  # "max_attempts" would count retries only
        connect_timeout=_env_number(CONNECT_TIMEOUT_ENV, 10.0, float, 0.1),
        read_timeout=_env_number(READ_TIMEOUT_ENV, 60.0, float, 0.1),
        max_pool_connections=max(10, transfer_concurrency() + 2),
    )


def transfer_concurrency() -> int:
    return _env_number(MAX_CONCURRENCY_ENV, 8, int, 1)


def transfer_config() -> Any:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=_CHUNK, multipart_chunksize=_CHUNK,
                          max_concurrency=transfer_concurrency(), io_chunksize=_IO_CHUNK,
                          max_io_queue=_IO_QUEUE, use_threads=True)


def s3_client() -> Any:
    """A new S3 client from the standard chain (a new session, so env changes are seen)."""
    import boto3

    return boto3.session.Session().client("s3", config=client_config())
