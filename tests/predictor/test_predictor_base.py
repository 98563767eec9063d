"""Clarify's predicted-label rules and the in-process predictor."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzer.errors import EndpointError
from analyzer.predictor import InProcessPredictor, ModelOutput, Predictor, predicted_labels
from predictor_servers import analysis_config


def _config(**predictor):
    return analysis_config({"endpoint_url": "http://127.0.0.1:1/invocations", **predictor},
                           probability_threshold=0.7)


def test_single_score_is_thresholded_strictly():
    output = ModelOutput(scores=np.array([[0.7], [0.71], [0.1]]), labels=None, score_names=("label0",))
    assert predicted_labels(output, _config()).tolist() == [0, 1, 0]


def test_labels_are_used_as_returned_even_with_scores():
    output = ModelOutput(scores=np.array([[0.9], [0.1]]), labels=np.array(["no", "yes"]))
    assert predicted_labels(output, _config()).tolist() == ["no", "yes"]


def test_label_headers_pick_the_argmax_header():
    output = ModelOutput(scores=np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]]), labels=None)
    config = _config(label_headers=["cat", "dog", "fish"])
    assert predicted_labels(output, config).tolist() == ["dog", "cat"]


def test_multiclass_label_lists_pick_the_label_with_the_highest_score():
    labels = np.empty(2, dtype=object)
    labels[:] = [["a", "b", "c"], ["c", "b", "a"]]
    output = ModelOutput(scores=np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]]), labels=labels)
    assert predicted_labels(output, _config()).tolist() == ["b", "c"]


def test_label_lists_without_scores_name_the_missing_key():
    labels = np.empty(1, dtype=object)
    labels[:] = [["a", "b"]]
    with pytest.raises(EndpointError, match="set predictor.probability"):
        predicted_labels(ModelOutput(scores=None, labels=labels), _config())


def test_score_vector_without_headers_gives_the_index():
    output = ModelOutput(scores=np.array([[0.1, 0.9], [0.8, 0.2]]), labels=None)
    assert predicted_labels(output, _config()).tolist() == [1, 0]


def test_in_process_predictor_splits_calls_and_keeps_order():
    calls = []

    def model(frame: pd.DataFrame) -> np.ndarray:
        calls.append(len(frame))
        return frame["x"].to_numpy() / 10

    predictor = InProcessPredictor(model, max_rows_per_call=4, label_headers=("p",))
    assert isinstance(predictor, Predictor)
    output = predictor.predict(pd.DataFrame({"x": range(10)}))
    assert calls == [4, 4, 2]
    assert output.scores.ravel().tolist() == [i / 10 for i in range(10)]
    assert output.score_names == ("p",)
    assert predictor.max_rows_per_call == 4


def test_in_process_predictor_checks_the_row_count():
    predictor = InProcessPredictor(lambda frame: np.zeros(len(frame) + 1))
    with pytest.raises(EndpointError, match="returned 4 predictions for 3 rows"):
        predictor.predict(pd.DataFrame({"x": [1, 2, 3]}))
