"""Capture reading on hand-written files: joins, windows, encodings, merged files and error messages."""
from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from analyzer.capture import CaptureSource, TimeWindow, load_capture
from analyzer.capture.config import complete_for_capture
from analyzer.config.loader import parse_config
from analyzer.data import load_dataset
from analyzer.errors import ConfigError, DataError

BIAS = {"label_values_or_threshold": [1], "facet": [{"name_or_index": "a"}], "headers": ["a", "b", "label"]}


def _config(raw: dict[str, Any] | None = None) -> Any:
    return parse_config(complete_for_capture(raw or BIAS))


def _part(data: str, kind: str = "text/csv", encoding: str = "CSV") -> dict[str, Any]:
    if encoding == "BASE64":
        data = base64.b64encode(data.encode()).decode()
    return {"observedContentType": kind, "data": data, "encoding": encoding}


def event(inputs: str, outputs: str | None, event_id: str, *, inference_id: str | None = None,
          time: str = "2024-01-19T05:10:00Z", kind: str = "text/csv", encoding: str = "CSV") -> dict[str, Any]:
    capture = {"endpointInput": _part(inputs, kind, encoding)}
    if outputs is not None:
        capture["endpointOutput"] = _part(outputs, kind, encoding)
    meta = {"eventId": event_id, "inferenceTime": time}
    if inference_id:
        meta["inferenceId"] = inference_id
    return {"captureData": capture, "eventMetadata": meta, "eventVersion": "0"}


def truth(key: str, data: str, encoding: str = "CSV") -> dict[str, Any]:
    return {"groundTruthData": {"data": data, "encoding": encoding}, "eventMetadata": {"eventId": key},
            "eventVersion": "0"}


def write(path: Path, records: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return path


def test_join_on_inference_id_then_event_id_and_multi_record_events(tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    write(tmp_path / "cap/2024/01/19/05/a.jsonl", [
        event("1,10\n0,20", "0.9\n0.2", "e1", inference_id="i1"),   # truth keyed by inferenceId
        event("1,30", "0.7", "e2"),                                    # truth keyed by eventId
        event("0,40", "0.1", "e3", inference_id="i3"),                 # truth keyed by its eventId: fallback
        event("0,50", "0.6", "e4"),                                    # no truth
    ])
    write(tmp_path / "gt/x.jsonl", [truth("i1", "1\n0"), truth("e2", "1"), truth("e3", "0"), truth("zz", "1")])
    with caplog.at_level(logging.WARNING):
        data = load_capture(_config(), CaptureSource(str(tmp_path / "cap"), str(tmp_path / "gt")))
    assert data.frame.to_dict("list") == {"a": [1, 0, 1, 0], "b": [10, 20, 30, 40], "label": [1, 0, 1, 0],
                                          "predicted_label": [1, 0, 1, 0]}
    assert (data.features, data.label, data.predicted_label, data.facets) == (("a", "b"), "label",
                                                                              "predicted_label", ("a",))
    assert "1 of 4 captured event(s) have no ground truth" in caplog.text


def test_window_skips_events_and_whole_hour_folders(tmp_path: Path) -> None:
    write(tmp_path / "cap/2024/01/19/05/a.jsonl", [
        event("1,1", "0.9", "e1", time="2024-01-19T05:10:00Z"),
        event("1,2", "0.9", "e2", time="2024-01-19T05:59:59Z"),
        event("1,3", "0.9", "e3", time="2024-01-19T06:00:00Z"),   # end is exclusive
    ])
    write(tmp_path / "cap/2024/01/19/09/b.jsonl", ["not json at all: never read, the hour is outside"])
    window = TimeWindow.parse("2024-01-19T05:30:00Z", "2024-01-19T06:00:00Z")
    data = load_capture(_config({**BIAS, "methods": {"shap": {}}, "predictor": {"endpoint_name": "x"}}),
                        CaptureSource(str(tmp_path / "cap"), window=window))
    assert data.frame["b"].tolist() == [2]


def test_base64_merged_and_batch_transform_records(tmp_path: Path) -> None:
    merged = event("1,5", "0.8", "m1", encoding="BASE64")
    merged["groundTruthData"] = {"data": "1", "encoding": "CSV"}
    batch = {"captureData": {"batchTransformOutput": {
        "data": json.dumps({"SageMakerOutput": {"score": 0.3}, "features": [0, 6]}), "encoding": "JSON"}},
        "groundTruthData": {"data": json.dumps({"label": 0}), "encoding": "JSON"},
        "eventMetadata": {"eventId": "b1"}, "eventVersion": "0"}
    write(tmp_path / "merged/part-0.c000.jsonl", [merged])
    write(tmp_path / "batch/part-0.c000.jsonl", [batch])
    data = load_capture(_config(), CaptureSource(str(tmp_path / "merged")))
    assert data.frame.to_dict("list") == {"a": [1], "b": [5], "label": [1], "predicted_label": [1]}
    config = _config({**BIAS, "features": "features", "label": "label"})
    data = load_capture(config, CaptureSource(str(tmp_path / "batch"),
                                              probability_attribute="SageMakerOutput.score"))
    assert data.frame.to_dict("list") == {"a": [0], "b": [6], "label": [0], "predicted_label": [0]}


def test_mixed_content_types_keep_event_order_and_csv_single_line_scores(tmp_path: Path) -> None:
    write(tmp_path / "cap/a.jsonl", [
        event("1,1\n0,2", "0.9,0.1", "e1"),                 # one line of scores for two records
        event('{"features": [1, 3]}', "0.7", "e2", kind="application/jsonlines", encoding="JSON"),
        event("0,4", "0.2", "e3"),
    ])
    config = _config({**BIAS, "features": "features", "methods": {"shap": {}}, "predictor": {"endpoint_name": "x"}})
    data = load_capture(config, CaptureSource(str(tmp_path / "cap")))
    assert data.frame["b"].tolist() == [1, 2, 3, 4]
    assert data.frame["predicted_label"].tolist() == [1, 0, 1, 0]


@pytest.mark.parametrize(("records", "message"), [
    (["{broken"], "a.jsonl line 1: not valid JSON"),
    ([{"eventMetadata": {}}], "a.jsonl line 1: not a Model Monitor capture record"),
    ([event("1,1", "0.5", "e1"), event("1,1", "0.5", "e2", encoding="BASE64") | {
        "captureData": {"endpointInput": {"data": "***", "encoding": "BASE64"}}}],
     "a.jsonl line 2: captureData.endpointInput is marked BASE64"),
    ([event("1,1", "0.5", "e1", time="yesterday")], "a.jsonl line 1: eventMetadata.inferenceTime 'yesterday'"),
    ([event("1,1", "0.5", "e1"), event("1,1", None, "e2")], "a.jsonl line 2: the event has no "
                                                             "captureData.endpointOutput"),
    ([event("1,1\n1,2", "0.5\n0.6\n0.7", "e1")], "a.jsonl line 1: the captured model output returned 3 predictions"),
])
def test_malformed_events_name_file_and_line(tmp_path: Path, records: list[Any], message: str) -> None:
    write(tmp_path / "cap/a.jsonl", records)
    window = TimeWindow.parse("2024-01-01T00:00:00Z", None)
    with pytest.raises(DataError) as raised:
        load_capture(_config({**BIAS, "methods": {"post_training_bias": {"methods": "all"}}}),
                     CaptureSource(str(tmp_path / "cap"), window=window))
    assert message in raised.value.message


def test_ground_truth_problems_name_both_locations(tmp_path: Path) -> None:
    write(tmp_path / "cap/a.jsonl", [event("1,1\n0,2", "0.5\n0.6", "e1")])
    write(tmp_path / "gt/t.jsonl", [truth("other", "1")])
    with pytest.raises(DataError) as raised:
        load_capture(_config(), CaptureSource(str(tmp_path / "cap"), str(tmp_path / "gt")))
    assert str(tmp_path / "cap") in raised.value.message and str(tmp_path / "gt") in raised.value.message
    write(tmp_path / "gt/t.jsonl", [truth("e1", "1")])
    with pytest.raises(DataError, match=r"t.jsonl line 1: the ground truth holds 1 label\(s\) but the captured "
                                        r"event has 2 record\(s\)"):
        load_capture(_config(), CaptureSource(str(tmp_path / "cap"), str(tmp_path / "gt")))


def test_no_traffic_in_the_window_is_a_clear_data_error(tmp_path: Path) -> None:
    write(tmp_path / "cap/2024/01/19/05/a.jsonl", [event("1,1", "0.5", "e1")])
    window = TimeWindow.parse("2024-02-01T00:00:00Z", "2024-02-01T01:00:00Z")
    with pytest.raises(DataError, match="No captured data in .* for 2024-02-01T00:00:00"):
        load_capture(_config(), CaptureSource(str(tmp_path / "cap"), window=window))


def test_bias_without_any_ground_truth_fails_naming_the_flag(tmp_path: Path) -> None:
    write(tmp_path / "cap/a.jsonl", [event("1,1", "0.5", "e1")])
    with pytest.raises(DataError, match="give --ground-truth"):
        load_capture(_config(), CaptureSource(str(tmp_path / "cap")))


def test_capture_dataset_type_reads_through_load_dataset(tmp_path: Path) -> None:
    merged = event("1,5", "0.8", "m1")
    merged["groundTruthData"] = {"data": "0", "encoding": "CSV"}
    write(tmp_path / "merged/p.jsonl", [merged])
    raw = {**BIAS, "dataset_type": "application/sagemakercapturejson", "label": "label",
           "predicted_label": "predicted_label", "methods": {"post_training_bias": {"methods": "all"}}}
    data = load_dataset(parse_config(raw), tmp_path / "merged")
    assert data.frame.to_dict("list") == {"a": [1], "b": [5], "label": [0], "predicted_label": [1]}


def test_monitor_style_configs_get_their_missing_parts() -> None:
    bias = complete_for_capture({"label_values_or_threshold": [1], "facet": [{"name_or_index": "a"}]})
    assert bias["methods"] == {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}
    assert (bias["dataset_type"], bias["label"], bias["predicted_label"]) == (
        "application/sagemakercapturejson", "label", "predicted_label")
    explain = complete_for_capture({"predictor": {"model_name": "m", "instance_type": "t",
                                                  "initial_instance_count": 1}, "headers": ["a"]})
    assert explain["methods"] == {"shap": {}} and "label" not in explain


def test_window_parsing() -> None:
    window = TimeWindow.parse("2019-12-01T15: 20: 00Z", "2019-12-01T16:20:00+00:00")
    assert window.start is not None and window.start.hour == 15 and window.start.minute == 20
    with pytest.raises(ConfigError, match="must be before"):
        TimeWindow.parse("2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z")
    with pytest.raises(ConfigError, match="not an ISO 8601 time"):
        TimeWindow.parse("soon", None)


def _events_as_dict(events: Any) -> dict[str, Any]:
    names = ("inputs", "input_types", "outputs", "output_types", "inference_ids", "event_ids", "truths",
             "locations", "outside_window")
    return {name: getattr(events, name) for name in names}


def test_fast_path_reads_plain_files_exactly_like_the_line_reader(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from analyzer.capture import events as events_module
    from analyzer.capture import ground_truth as truth_module

    files = [write(tmp_path / "cap/2024/01/19/05/a.jsonl", [
        event("1,1\n0,2", "0.9\n0.1", "e1", inference_id="i1", time="2024-01-19T05:10:00Z"),
        event('{"features": [1, 3]}', '{"score": 0.7}', "e2", kind="application/jsonlines; charset=utf-8",
              encoding="JSON", time="2024-01-19T05:40:00.5Z"),
        event("0,4", None, "e3", time="2024-01-19T05:50:00Z"),
    ])]
    truth_files = [write(tmp_path / "gt/t.jsonl", [truth("i1", "1\n0"), truth("e2", '{"label": 1}', "JSON")])]
    window = TimeWindow.parse("2024-01-19T05:20:00Z", None)
    fast_events = events_module.read_events(files, window)
    fast_truth = truth_module.read_ground_truth(truth_files)

    def line_reader_only(path: Path) -> Any:
        raise AssertionError("the fast path should have read this file")

    with monkeypatch.context() as patched:      # the fast path really takes plain files
        patched.setattr(events_module, "json_lines", line_reader_only)
        patched.setattr(truth_module, "json_lines", line_reader_only)
        events_module.read_events(files, window)
        truth_module.read_ground_truth(truth_files)
    monkeypatch.setattr(events_module, "capture_columns", lambda *_: None)
    monkeypatch.setattr(truth_module, "truth_columns", lambda *_: None)
    assert _events_as_dict(fast_events) == _events_as_dict(events_module.read_events(files, window))
    assert fast_events.event_ids == ["e2", "e3"] and fast_events.outside_window == 1
    assert fast_truth == truth_module.read_ground_truth(truth_files)
