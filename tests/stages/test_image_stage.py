"""The image stage's naming of the explained label: Clarify's score-name rules (label_headers that fit
the score width; one score with two headers is the positive class; else label0, label1, ...)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzer.explain import ImageBaseline
from analyzer.predictor import InProcessPredictor
from analyzer.stages.image_explanations import ImageSettings, _Model, _Run

IMAGE = np.full((6, 6, 3), 200, np.uint8)
LABELS = np.repeat(np.arange(3), 12).reshape(6, 6)


def _brightness(frame: pd.DataFrame) -> np.ndarray:
    return np.array([image.mean() / 255 for image in frame.iloc[:, 0]])


@pytest.mark.parametrize("outputs, headers, expected", [
    (1, ("no", "yes"), "yes"),
    (2, ("cold", "warm"), "warm"),
    (2, ("a", "b", "c"), "label1"),
])
def test_the_explained_label_is_named_as_clarify_names_scores(outputs: int, headers: tuple, expected: str) -> None:
    def model(frame: pd.DataFrame) -> np.ndarray:
        b = _brightness(frame)
        return b[:, None] if outputs == 1 else np.column_stack([1 - b, b])

    run = _Run(ImageSettings(), ImageBaseline(image=np.zeros_like(IMAGE)), _Model(InProcessPredictor(model)),
               headers, None, 0, False, 0.5)
    entry = run.classify("x.png", IMAGE, LABELS)
    assert entry["predicted_label"] == expected and entry["heat_map"] == "shap_x.jpeg"
    assert sum(entry["shap_values"]) == pytest.approx(200 / 255 - 0)   # the bright image against a black baseline
    assert "shap_x.jpeg" in run.files
