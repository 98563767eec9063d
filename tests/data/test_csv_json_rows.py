"""A text/csv dataset whose rows are JSON objects fails with a data error naming the likely format
(issue 12 item 7) instead of splitting JSON at every comma into garbage columns."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.data.csv_reader import read_csv
from analyzer.errors import DataError

CAPTURE = {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                             "data": "39,1,0,0", "encoding": "CSV"},
                           "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                              "data": "0.71", "encoding": "CSV"}},
           "eventMetadata": {"eventId": "e1", "inferenceTime": "2024-01-01T00:00:00Z"}, "eventVersion": "0"}


def test_capture_json_as_csv_names_capture_format(tmp_path: Path):
    path = tmp_path / "capture.jsonl"
    path.write_text("\n".join(json.dumps(CAPTURE) for _ in range(3)) + "\n")
    with pytest.raises(DataError) as caught:
        read_csv([path], None)
    message = caught.value.message
    assert str(path) in message and "rows are JSON objects" in message
    assert "application/sagemakercapturejson" in message and "captureData" in message


def test_json_lines_as_csv_names_json_lines(tmp_path: Path):
    path = tmp_path / "data.csv"
    path.write_text('\n{"features": [1, 2], "label": 0}\n{"features": [3, 4], "label": 1}\n')
    with pytest.raises(DataError, match="application/jsonlines"):
        read_csv([path], ["a", "b"])


@pytest.mark.parametrize("text", ['a,b\n1,"{""x"": 1}"\n', '{not json,1\n2,3\n', "x,y\n1,2\n"])
def test_csv_with_braces_is_still_csv(tmp_path: Path, text: str):
    path = tmp_path / "data.csv"
    path.write_text(text)
    assert len(read_csv([path], None)) >= 1


def test_the_job_exits_with_a_data_error(run_job):
    config = {"dataset_type": "text/csv", "label": "column_0", "label_values_or_threshold": [1],
              "facet": [{"name_or_index": "column_1"}], "methods": {"pre_training_bias": {"methods": ["CI"]}}}
    run = run_job(config, "\n".join(json.dumps(CAPTURE) for _ in range(5)))
    assert run.code == 3
    assert "looks like SageMaker data capture" in run.message
    assert not run.output.exists() or not (run.output / "analysis.json").exists()
