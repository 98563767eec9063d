"""Clarify's output→label rules for scores located by ``predictor.label`` and for the SDK's
one-score idiom with ``label_headers`` (issue 12, items 1 and 2), and the key named in messages
(item 5)."""
from __future__ import annotations

import numpy as np
import pytest

from analyzer.formats.responses import ModelOutput, ResponseCodec, ResponseError, labels_from_output, score_names


def _labels(values: list) -> ModelOutput:
    return ModelOutput(scores=None, labels=np.asarray(values))


def test_scores_located_by_label_are_thresholded():
    labels = labels_from_output(_labels([0.1, 0.35, 0.3, 0.9]), 0.3)
    assert labels.tolist() == [0, 1, 0, 1]      # score > t → 1, score == t → 0


def test_labels_that_are_labels_pass_through():
    assert labels_from_output(_labels([0, 1, 1]), 0.3).tolist() == [0, 1, 1]
    assert labels_from_output(_labels([1.0, 0.0]), 0.3).tolist() == [1.0, 0.0]   # 0/1 floats are labels
    assert labels_from_output(_labels(["yes", "no"]), 0.3).tolist() == ["yes", "no"]
    assert labels_from_output(_labels([12.5, 3.0]), 0.3).tolist() == [12.5, 3.0]  # regression values


def test_csv_column_of_scores_located_by_label():
    """model_predicted_label_config=1 on a model answering ``label,score``: column 1 holds scores."""
    output = ResponseCodec("text/csv", label=1).decode(b"1,0.72\n0,0.2\n0,0.55\n", 3)
    assert labels_from_output(output, 0.6).tolist() == [1, 0, 0]


def test_json_score_located_by_label():
    output = ResponseCodec("application/jsonlines", label="probability").decode(
        b'{"probability": 0.3}\n{"probability": 0.8}\n', 2)
    assert labels_from_output(output, 0.5).tolist() == [0, 1]


def test_one_score_with_two_label_headers_gives_the_class_names():
    output = ModelOutput(scores=np.array([[0.1], [0.25], [0.2]]), labels=None)
    assert labels_from_output(output, 0.2, ("no", "yes")).tolist() == ["no", "yes", "no"]
    assert labels_from_output(output, 0.2, (0, 1)).tolist() == [0, 1, 0]


def test_one_score_with_the_positive_header_alone():
    """The SDK docstring's ``label_headers="yes"``: above the threshold is "yes", else not."""
    output = ModelOutput(scores=np.array([[0.1], [0.25]]), labels=None)
    assert labels_from_output(output, 0.2, ("yes",)).tolist() == ["not yes", "yes"]


def test_score_located_by_label_with_headers():
    assert labels_from_output(_labels([0.9, 0.1]), 0.5, ("no", "yes")).tolist() == ["yes", "no"]


def test_one_score_is_named_after_the_positive_header():
    assert score_names(1, ("no", "yes")) == ("yes",)
    assert score_names(1, ("yes",)) == ("yes",)
    assert score_names(2, (0, 1)) == ("0", "1")
    assert score_names(1, None) == ("label0",)


def test_score_vector_with_headers_is_still_argmax():
    output = ModelOutput(scores=np.array([[0.2, 0.8], [0.6, 0.4]]), labels=None)
    assert labels_from_output(output, 0.9, ("no", "yes")).tolist() == ["yes", "no"]


def test_messages_name_the_key_the_scores_came_from():
    """Explainability-only: the SDK writes model_scores to predictor.label; errors must say so."""
    codec = ResponseCodec("text/csv", probability=1, probability_key="label")
    with pytest.raises(ResponseError, match=r"has no column 1 \(predictor.label\)"):
        codec.decode(b"0.3\n", 1)
    codec = ResponseCodec("application/jsonlines", probability="nope", probability_key="label")
    with pytest.raises(ResponseError, match=r"predictor.label found nothing"):
        codec.decode(b'{"score": 1}\n', 1)


def test_explanation_label_names_follow_the_one_score_idiom():
    from analyzer.explain.report import label_names

    assert label_names(1, ["no", "yes"]) == ["yes"]
    assert label_names(2, [0, 1]) == ["0", "1"]
