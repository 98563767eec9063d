"""Label and prediction selection (analyzer.bias.selection) at its edges."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzer.bias.selection import FacetSpec, resolve
from analyzer.errors import AnalysisError


def test_missing_predictions_against_an_integer_label_fail_naming_the_column() -> None:
    """Clarify casts the predictions to the label's type; NaN has no integer (numpy would make one up)."""
    frame = pd.DataFrame({"f": [0, 1, 0, 1], "y": [0, 3, 5, 9], "p": [0.0, np.nan, 4.0, 8.0]})
    with pytest.raises(AnalysisError, match="Predicted label column 'p' has missing values"):
        resolve(frame, stage="post_training", label="y", label_values=[1], facets=[FacetSpec("f", None)],
                predicted_label="p", label_data_type="continuous")
    filled = frame.assign(p=[0.0, 2.0, 4.0, 8.0])
    resolved, _ = resolve(filled, stage="post_training", label="y", label_values=[1], facets=[FacetSpec("f", None)],
                          predicted_label="p", label_data_type="continuous")
    assert resolved.pred is not None and resolved.pred.tolist() == [False, True, True, True]
