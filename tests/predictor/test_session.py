"""The session's default of requests in flight for a model on this host or reached by URL."""
from __future__ import annotations

import os

import pytest

from analyzer.config import parse_config
from analyzer.predictor import session
from analyzer.predictor.session import local_concurrency, open_predictor


@pytest.mark.parametrize(("cpus", "expected"), [(1, 4), (2, 4), (3, 6), (8, 16), (64, 16)])
def test_two_requests_per_cpu_between_4_and_16(cpus: int, expected: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    assert local_concurrency() == expected


def _config(**predictor: object):
    return parse_config({"dataset_type": "text/csv", "label": "y", "methods": {"shap": {"num_samples": 10}},
                         "predictor": {"endpoint_url": "http://127.0.0.1:9/invocations", **predictor}})


def test_an_endpoint_url_gets_the_default_and_the_config_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    with open_predictor(_config(), feature_names=["a"]) as remote:
        assert remote.settings.max_concurrency == 6
    with open_predictor(_config(max_concurrency=2), feature_names=["a"]) as remote:
        assert remote.settings.max_concurrency == 2
