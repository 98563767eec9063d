"""Batching, retries and failures against a real HTTP server that misbehaves on purpose.

Every run either completes with the right predictions in input order or fails with one clear
message, within a bounded time."""
from __future__ import annotations

import logging
import re
import signal
import time

import numpy as np
import pandas as pd
import pytest

from analyzer.errors import EndpointError, Interrupted
from analyzer.predictor import open_predictor
from predictor_servers import FaultPlan, analysis_config, fault_server, running

ROWS = pd.DataFrame({"x": np.arange(400, dtype=float), "tag": ["abcdefgh"] * 400})
EXPECTED = ROWS["x"].to_numpy() / 100


def _predict(plan: FaultPlan, rows: pd.DataFrame = ROWS, **predictor) -> np.ndarray:
    with running(fault_server(plan)) as url:
        config = analysis_config({"endpoint_url": f"{url}/invocations", "max_retries": 2, **predictor})
        with open_predictor(config, feature_names=list(rows.columns)) as model:
            return model.predict(rows).scores.ravel()


def test_batches_fit_the_payload_limit_and_come_back_in_order():
    plan = FaultPlan()
    scores = _predict(plan, max_payload_mb=300 / 1024 / 1024, max_concurrency=3)   # ~300 bytes a request
    np.testing.assert_array_equal(scores, EXPECTED)
    assert len(plan.requests) > 20 and max(plan.requests) <= 25 and sum(plan.requests) == len(ROWS)


def test_http_413_halves_the_batch(caplog):
    plan = FaultPlan(max_body=800)
    with caplog.at_level(logging.INFO, "analyzer.predictor"):
        scores = _predict(plan)
    np.testing.assert_array_equal(scores, EXPECTED)
    assert "Prediction batch size is reduced to 50 to fit max payload size limit." in caplog.messages
    assert min(plan.requests) < max(plan.requests)


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_throttling_and_unavailable_are_retried(status):
    plan = FaultPlan(statuses={0: status, 1: status})
    np.testing.assert_array_equal(_predict(plan, max_concurrency=1), EXPECTED)


def test_a_hung_request_times_out_and_is_retried():
    plan = FaultPlan(hang={0}, hang_seconds=3)
    began = time.monotonic()
    np.testing.assert_array_equal(_predict(plan, request_timeout_seconds=0.5), EXPECTED)
    assert time.monotonic() - began < 2.5


def test_dropped_connections_are_retried():
    plan = FaultPlan(close={0, 1})
    np.testing.assert_array_equal(_predict(plan, max_concurrency=1), EXPECTED)


def test_model_error_on_a_batch_falls_back_to_smaller_batches(caplog):
    plan = FaultPlan(poison=123.0)
    with caplog.at_level(logging.INFO, "analyzer.predictor"):
        np.testing.assert_array_equal(_predict(plan), EXPECTED)
    assert "Fallback to per-record prediction because of model error." in caplog.messages
    assert 1 in plan.requests


def test_a_record_the_model_always_fails_on_stops_the_run_with_its_index():
    plan = FaultPlan(poison=123.0, poison_alone_ok=False)
    began = time.monotonic()
    with pytest.raises(EndpointError) as caught:
        _predict(plan)
    assert time.monotonic() - began < 10
    assert "/invocations failed after 3 attempts; last error: HTTP 500: model failed on this input." \
           " (predictor.max_retries=2) (records 123..123)" in caught.value.message


def test_persistent_unavailability_gives_up_after_max_retries():
    plan = FaultPlan(statuses={i: 503 for i in range(100)})
    with pytest.raises(EndpointError, match=r"failed after 3 attempts; last error: HTTP 503: injected failure"):
        _predict(plan, max_concurrency=1)
    assert len(plan.requests) == 3


def test_wrong_number_of_predictions_names_the_endpoint_and_batch():
    with running(fault_server(FaultPlan(drop_one=True))) as url:
        config = analysis_config({"endpoint_url": f"{url}/invocations", "max_concurrency": 1})
        with open_predictor(config, feature_names=["x", "tag"]) as model, pytest.raises(EndpointError) as caught:
            model.predict(ROWS.iloc[:10])
    assert caught.value.message == (
        f"{url}/invocations returned 9 predictions for a batch of 10 records (records 0..9); the model must "
        "return exactly one prediction per record.")


def test_nothing_listening_fails_clearly():
    config = analysis_config({"endpoint_url": "http://127.0.0.1:9/invocations", "max_retries": 1})
    with open_predictor(config, feature_names=["x", "tag"]) as model, pytest.raises(EndpointError) as caught:
        model.predict(ROWS.iloc[:3])
    assert caught.value.message.startswith("http://127.0.0.1:9/invocations failed after 2 attempts; last error: "
                                           "connection failed: ConnectionRefusedError")


def test_a_signal_stops_predict_at_once_even_with_requests_hanging():
    def interrupt(signum, frame):
        raise Interrupted("Stopped: signal received")

    plan = FaultPlan(hang=set(range(100)), hang_seconds=5)
    previous = signal.signal(signal.SIGALRM, interrupt)
    began = time.monotonic()
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        with pytest.raises(Interrupted):
            _predict(plan, request_timeout_seconds=30)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - began < 3


def test_large_frames_are_split_over_the_request_slots():
    plan = FaultPlan()
    rows = pd.DataFrame({"x": np.arange(20_000, dtype=float) % 1000, "tag": "t"})
    scores = _predict(plan, rows, max_concurrency=4)
    np.testing.assert_array_equal(scores, rows["x"].to_numpy() / 100)
    assert len(plan.requests) == 4


def test_time_in_flight_is_the_union_of_the_requests():
    """Overlapping requests count once; the gaps with nothing in flight are the model's idle time."""
    from analyzer.predictor.batching import InFlightClock

    now = [0.0]
    clock = InFlightClock(clock=lambda: now[0])
    for at, step in [(1.0, "in"), (2.0, "in"), (3.0, "out"), (5.0, "out"), (7.0, "in"), (8.0, "out")]:
        now[0] = at
        clock.__enter__() if step == "in" else clock.__exit__(None, None, None)
    assert clock.seconds == 5.0          # 1..5 and 7..8
    now[0] = 9.0
    clock.__enter__()
    now[0] = 9.5
    assert clock.seconds == 5.5          # a request still in flight counts up to now


def test_the_session_says_how_long_the_model_had_nothing_to_do(caplog):
    with caplog.at_level(logging.INFO):
        np.testing.assert_array_equal(_predict(FaultPlan()), EXPECTED)
    line = next(r.getMessage() for r in caplog.records if "Model requests in flight" in r.getMessage())
    found = re.fullmatch(r"Model requests in flight ([\d.]+) s of ([\d.]+) s: the model was idle (\d+)% of the session",
                         line)
    assert found, line
    busy, total, idle = float(found.group(1)), float(found.group(2)), int(found.group(3))
    assert 0 <= busy <= total and 0 <= idle <= 100   # (a fast test rounds to 0.0 s)
