"""The columnar path (analyzer/capture/columns.py) gives exactly the careful path's Dataset, and
hands anything unusual to the careful path."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analyzer.capture import CaptureSource, TimeWindow, load_capture, reader
from analyzer.capture import fast
from test_capture_reader import BIAS, _config, event, truth, write


def _both(config: Any, source: CaptureSource, monkeypatch: pytest.MonkeyPatch,
          caplog: pytest.LogCaptureFixture, columnar: bool = True) -> tuple[Any, Any]:
    """(columnar Dataset, careful Dataset); ``columnar``: whether the columnar path must be taken."""
    careful = reader._careful
    taken = []

    def spy(*args: Any) -> Any:
        taken.append(True)
        return careful(*args)

    caplog.clear()
    with monkeypatch.context() as patched, caplog.at_level(logging.INFO):
        patched.setattr(reader, "_careful", spy)
        fast_data = load_capture(config, source)
        fast_log = caplog.text
    assert taken == ([] if columnar else [True])
    caplog.clear()
    with monkeypatch.context() as patched, caplog.at_level(logging.INFO):
        patched.setattr(reader, "_columnar", lambda *_: None)
        careful_data = load_capture(config, source)
    strip = [line.split(" ", 3)[-1] for line in fast_log.splitlines()]
    assert strip == [line.split(" ", 3)[-1] for line in caplog.text.splitlines()]   # same messages
    return fast_data, careful_data


def _same(a: Any, b: Any) -> None:
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert (a.features, a.label, a.predicted_label, a.facets) == (b.features, b.label, b.predicted_label, b.facets)


def _traffic(root: Path, files: int = 3, per_file: int = 7, seed: int = 0) -> None:
    """Plain single-record CSV events in hour folders, inference ids on some, truth keyed either way,
    a repeated truth id (the last upload wins), events without truth."""
    rng = np.random.default_rng(seed)
    truths = []
    for f in range(files):
        records = []
        for i in range(per_file):
            key = f"e{f}-{i}"
            inference = f"i{f}-{i}" if i % 3 == 0 else None
            records.append(event(f"{rng.integers(0, 3)},{rng.integers(0, 90)}", f"{rng.random():.4f}", key,
                                 inference_id=inference, time=f"2024-01-19T05:{10 * f + i:02d}:00Z"))
            if i % 5 != 4:      # every fifth event has no ground truth
                label = "0" if key == "e0-1" else str(rng.integers(0, 2))
                truths.append(truth(inference if inference and i % 2 else key, label))
        write(root / f"cap/2024/01/19/05/part-{f}.jsonl", records)
    truths.append(truth("e0-1", "1"))   # uploaded again later: wins
    truths.append(truth("e0-1x", "0"))
    write(root / "gt/2024/01/19/06/a.jsonl", truths[: len(truths) // 2])
    write(root / "gt/2024/01/19/07/b.jsonl", truths[len(truths) // 2:])


@pytest.mark.parametrize("batch_bytes", [fast.BATCH_BYTES, 700])
def test_columnar_path_equals_careful_path_on_plain_traffic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            caplog: pytest.LogCaptureFixture,
                                                            batch_bytes: int) -> None:
    monkeypatch.setattr(fast, "BATCH_BYTES", batch_bytes)   # many files per parse, and one file per batch
    _traffic(tmp_path)
    source = CaptureSource(str(tmp_path / "cap"), str(tmp_path / "gt"))
    columnar, careful = _both(_config(), source, monkeypatch, caplog)
    _same(columnar, careful)
    assert len(columnar.frame) == 18 and columnar.frame["label"].iloc[1] == 1   # e0-1: the last upload
    window = TimeWindow.parse("2024-01-19T05:15:00Z", "2024-01-19T05:33:00Z")
    _same(*_both(_config(), CaptureSource(str(tmp_path / "cap"), str(tmp_path / "gt"), window=window),
                 monkeypatch, caplog))
    shap = _config({**BIAS, "methods": {"shap": {}}, "predictor": {"endpoint_name": "x", "label": 0}})
    _same(*_both(shap, CaptureSource(str(tmp_path / "cap")), monkeypatch, caplog))


def test_columnar_path_decodes_json_lines_outputs_and_text_labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    write(tmp_path / "cap/a.jsonl", [
        event("1,10", json.dumps({"score": 0.8}), "e1") | {"captureData": {
            "endpointInput": {"observedContentType": "text/csv", "data": "1,10", "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "application/jsonlines", "data": json.dumps({"score": 0.8}),
                               "encoding": "JSON"}}},
        event("0,20", "x", "e2") | {"captureData": {
            "endpointInput": {"observedContentType": "text/csv", "data": "0,20", "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "application/jsonlines", "data": json.dumps({"score": 0.1}),
                               "encoding": "JSON"}}},
    ])
    write(tmp_path / "gt/a.jsonl", [truth("e1", "yes"), truth("e2", "no")])
    config = _config({**BIAS, "label_values_or_threshold": ["yes"], "predictor": {"endpoint_name": "x",
                                                                                  "probability": "score"}})
    columnar, careful = _both(config, CaptureSource(str(tmp_path / "cap"), str(tmp_path / "gt")),
                              monkeypatch, caplog)
    _same(columnar, careful)
    assert columnar.frame["label"].tolist() == ["yes", "no"] and columnar.frame["predicted_label"].tolist() == [1, 0]


@pytest.mark.parametrize("case", ["multi_record", "json_truth", "merged", "one_bad_line"])
def test_unusual_traffic_goes_the_careful_way_with_the_same_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture,
                                                                   case: str) -> None:
    _traffic(tmp_path, files=2, per_file=4)
    extra = {"multi_record": event("1,1\n0,2", "0.9\n0.1", "m1"), "json_truth": event("1,3", "0.6", "j1"),
             "merged": event("1,4", "0.7", "g1") | {"groundTruthData": {"data": "1", "encoding": "CSV"}},
             "one_bad_line": event("1,5", "0.2", "b1", encoding="BASE64")}[case]
    write(tmp_path / "cap/2024/01/19/05/part-9.jsonl", [extra])
    truths = {"multi_record": truth("m1", "1\n0"), "json_truth": truth("j1", '{"label": 1}', "JSON")}
    if case in truths:
        write(tmp_path / "gt/2024/01/19/08/c.jsonl", [truths[case]])
    else:
        write(tmp_path / "gt/2024/01/19/08/c.jsonl", [truth("b1", "0")])
    _same(*_both(_config(), CaptureSource(str(tmp_path / "cap"), str(tmp_path / "gt")), monkeypatch, caplog,
                 columnar=False))


def test_a_bad_file_in_a_batch_is_parsed_alone(tmp_path: Path) -> None:
    good = write(tmp_path / "a.jsonl", [event("1,1", "0.5", "e1"), event("1,2", "0.5", "e2")])
    bad = write(tmp_path / "b.jsonl", [event("1,3", "0.5", "e3"), "{broken"])
    last = write(tmp_path / "c.jsonl", [event("1,4", "0.5", "e4")])
    tables = fast.parse_files([good, bad, last], fast.CAPTURE_SCHEMA)
    assert [None if t is None else t.num_rows for t in tables] == [2, None, 1]
    assert fast.capture_columns(tables[2], {"text/csv": "text/csv"})["event_ids"] == ["e4"]  # type: ignore[index]
