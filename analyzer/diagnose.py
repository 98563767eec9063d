"""What we know when a bias computation fails: Clarify's verbatim message stays first (log readers
search for it), followed by the columns involved, the values seen in them and the usual fix."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

#: Clarify's message (a fragment of it) -> the usual fix.
FIXES = (
    ("No Label values are present in the predicted Label Column",
     "no prediction equals label_values_or_threshold; check it against the predicted values, or "
     "probability_threshold when the predictions are scores"),
    ("Predicted Label Column series datatype is not the same",
     "the label and predicted label columns must hold the same kind of values (both numbers or both text)"),
    ("must be a single numeric threshold",
     "give one number, or force categorical values with \"data_type\": \"categorical\" (facet) or "
     "\"label_data_type\": \"categorical\" (label)"),
    ("could not convert string to float",
     "the column holds text where a number is expected; fix the values or use categorical values"),
    ("missing values must be missing in the same location",
     "fill or drop the rows with missing values in the label, facet and predicted label columns"),
)
SHOWN_VALUES = 5


def describe_column(role: str, name: str, series: pd.Series, weights: np.ndarray | None = None) -> str:
    """``label 'y': int64, 2 distinct (0 ×31, 1 ×29), 3 missing``; ``weights``: rows per row of ``series``."""
    if weights is not None:  # distinct rows, counted (the chunked path)
        w = pd.Series(weights, index=series.index)
        counts = w.groupby(series, dropna=True, sort=False).sum().sort_values(ascending=False, kind="stable")
        missing_rows = int(w[series.isna()].sum())
    else:
        counts = series.value_counts(dropna=True)
        missing_rows = int(series.isna().sum())
    shown = ", ".join(f"{_short(v)} ×{n}" for v, n in counts.head(SHOWN_VALUES).items())
    more = ", ..." if len(counts) > SHOWN_VALUES else ""
    missing_text = f", {missing_rows} missing" if missing_rows else ""
    return f"{role} '{name}': {series.dtype}, {len(counts)} distinct ({shown}{more}){missing_text}"


def _short(value: Any) -> str:
    text = repr(value.item() if hasattr(value, "item") else value)
    return text if len(text) <= 24 else text[:21] + "..."


def bias_failure(message: str, frame: pd.DataFrame, label: str | None, label_values: Sequence[Any],
                 facets: Sequence[tuple[str, Sequence[Any] | None]], predicted: str | None,
                 weights: np.ndarray | None = None) -> str:
    """``message``, then the columns and the fix, on the same line."""
    parts = []
    if label is not None and label in frame:
        given = f", label_values_or_threshold {list(label_values)}"
        parts.append(describe_column("label", label, frame[label], weights) + given)
    for name, values in facets:
        if name in frame:
            given = f", value_or_threshold {list(values)}" if values else ""
            parts.append(describe_column("facet", name, frame[name], weights) + given)
    if predicted is not None and predicted in frame:
        parts.append(describe_column("predicted label", predicted, frame[predicted], weights))
    fix = next((fix for fragment, fix in FIXES if fragment in message), None)
    tail = "; ".join(parts) + (f". Fix: {fix}." if fix else ".")
    return f"{message.rstrip('.')}. Seen: {tail}" if parts else message
