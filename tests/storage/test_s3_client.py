"""Client settings: the standard AWS chain plus the ANALYZER_S3_* knobs."""
from __future__ import annotations

import pytest

from analyzer.errors import ConfigError
from analyzer.storage._client import client_config, s3_client, transfer_config

_ENV = ("ANALYZER_S3_MAX_ATTEMPTS", "ANALYZER_S3_RETRY_MODE", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE",
        "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "ANALYZER_S3_READ_TIMEOUT", "ANALYZER_S3_MAX_CONCURRENCY")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def test_defaults() -> None:
    config = client_config()
    assert config.retries == {"mode": "standard", "total_max_attempts": 8}
    assert (config.connect_timeout, config.read_timeout) == (10.0, 60.0)
    assert transfer_config().max_concurrency == 8


def test_our_variables_win_over_aws_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "4")
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    assert client_config().retries == {"mode": "adaptive", "total_max_attempts": 4}
    monkeypatch.setenv("ANALYZER_S3_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("ANALYZER_S3_RETRY_MODE", "Standard")
    monkeypatch.setenv("ANALYZER_S3_READ_TIMEOUT", "1.5")
    config = client_config()
    assert config.retries == {"mode": "standard", "total_max_attempts": 2} and config.read_timeout == 1.5


@pytest.mark.parametrize("name, value, message", [
    ("ANALYZER_S3_MAX_ATTEMPTS", "0", r"ANALYZER_S3_MAX_ATTEMPTS='0': expected an integer >= 1\."),
    ("ANALYZER_S3_MAX_ATTEMPTS", "many", r"ANALYZER_S3_MAX_ATTEMPTS='many'"),
    ("ANALYZER_S3_RETRY_MODE", "legacy", r"ANALYZER_S3_RETRY_MODE='legacy': expected one of standard, adaptive\."),
    ("ANALYZER_S3_READ_TIMEOUT", "-1", r"ANALYZER_S3_READ_TIMEOUT='-1'"),
])
def test_bad_values(monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        client_config()


def test_endpoint_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """boto3 >= 1.34 honours the service-specific variable first, then the global one."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    assert s3_client().meta.endpoint_url == "http://127.0.0.1:1"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2")
    assert s3_client().meta.endpoint_url == "http://127.0.0.1:2"
