"""application/jsonlines and application/json: records located by JMESPath expressions."""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any, Sequence

import jmespath
import pandas as pd
from jmespath.exceptions import JMESPathError

from analyzer.errors import ConfigError, DataError

log = logging.getLogger("analyzer.data")


def compile_path(expression: str, key: str) -> Any:
    try:
        return jmespath.compile(expression)
    except JMESPathError as exc:
        raise ConfigError(f"{key}: {expression!r} is not a valid JMESPath expression ({jmespath_problem(exc)}).") \
            from None
    except (RecursionError, ValueError, TypeError):  # the parser's own limits on absurd expressions
        raise ConfigError(f"{key}: {expression[:60]!r} is not a valid JMESPath expression.") from None


def jmespath_problem(exc: Exception) -> str:
    """jmespath's message on one line: the problem and its position (it adds the expression and a
    caret on lines of their own)."""
    problem = getattr(exc, "msg", None) or str(exc).splitlines()[0]
    if problem == "Invalid jmespath expression":  # the class says more: IncompleteExpressionError, LexerError
        problem = re.sub(r"(?<!^)(?=[A-Z])", " ", type(exc).__name__).lower().removesuffix(" error")
    position = getattr(exc, "lex_position", None)
    return f"{problem} at position {position}" if isinstance(position, int) else str(problem)


def search(compiled: Any, document: Any, key: str, where: str) -> Any:
    """Apply a compiled JMESPath; a runtime type error (e.g. length() of a number) names the key."""
    try:
        return compiled.search(document)
    except JMESPathError as exc:
        raise DataError(f"{where}: '{key}' ({compiled.expression}) cannot be applied: "
                        f"{str(exc).splitlines()[0][:200]}.") from None


def loads(text: str, where: str) -> Any:
    """json.loads with one-line DataErrors, deep nesting included."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}).") from None
    except RecursionError:
        raise DataError(f"{where}: not valid JSON (nested too deeply).") from None


def read_text(path: Path) -> str:
    """The text of a data file (gzip-compressed when it ends in .gz), or a DataError naming it."""
    from analyzer.data.csv_reader import READ_ERRORS, _open_text, _reason  # one place knows about .gz

    try:
        with _open_text(path) as f:
            return f.read()
    except READ_ERRORS as exc:
        raise DataError(f"Cannot read {path}: {_reason(exc)}") from None


def _names(headers: Sequence[str] | None, n_features: int, label_expr: str | None,
           predicted_expr: str | None) -> tuple[list[str], str | None, str | None]:
    """Feature, label and predicted-label column names. Clarify's convention for JSON headers:
    feature names first, then the label name, then the predicted-label name."""
    headers = list(headers or [])
    features = headers[:n_features] if len(headers) >= n_features else [f"column_{i}" for i in range(n_features)]
    extra = headers[n_features:] if len(headers) >= n_features else []
    label = predicted = None
    if label_expr is not None:
        label = extra.pop(0) if extra else label_expr
    if predicted_expr is not None:
        predicted = extra.pop(0) if extra else predicted_expr
    return features, label, predicted


def _frame(feature_rows: list, labels: list | None, predicted: list | None, headers: Sequence[str] | None,
           label_expr: str | None, predicted_expr: str | None, where: str) -> tuple[pd.DataFrame, list[str]]:
    widths = {len(r) for r in feature_rows}
    if len(widths) > 1:
        raise DataError(f"{where}: records have different numbers of features ({sorted(widths)}).")
    n_features = widths.pop() if widths else 0
    names, label_name, predicted_name = _names(headers, n_features, label_expr, predicted_expr)
    frame = pd.DataFrame(feature_rows, columns=names)
    for name, values in ((label_name, labels), (predicted_name, predicted)):
        if name is not None:
            if name in frame.columns:
                raise DataError(f"{where}: column name '{name}' is used for a feature and for a label; "
                                "check 'headers' (features first, then label, then predicted label).")
            frame[name] = values
    return frame, names


def read_jsonlines(files: Sequence[Path], *, features: str, label: str | None,
                   predicted_label: str | None, headers: Sequence[str] | None) -> tuple[pd.DataFrame, list[str]]:
    feature_path = compile_path(features, "features")
    label_path = compile_path(label, "label") if isinstance(label, str) else None
    predicted_path = compile_path(predicted_label, "predicted_label") if isinstance(predicted_label, str) else None
    rows, labels, predictions = [], [], []
    for path in files:
        for lineno, line in enumerate(read_text(path).splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path} line {lineno}"
            record = loads(line, where)
            values = search(feature_path, record, "features", where)
            if not isinstance(values, list):
                raise DataError(f"{path} line {lineno}: 'features' ({features}) should give a list of values, "
                                f"got {type(values).__name__}.")
            rows.append(values)
            if label_path is not None:
                labels.append(search(label_path, record, "label", where))
            if predicted_path is not None:
                predictions.append(search(predicted_path, record, "predicted_label", where))
    if not rows:
        raise DataError(f"The dataset has no records: {', '.join(map(str, files))}.")
    return _frame(rows, labels if label_path else None, predictions if predicted_path else None, headers,
                  label if label_path else None, predicted_label if predicted_path else None,
                  ", ".join(map(str, files)))


def read_json(files: Sequence[Path], *, features: str, label: str | None,
              predicted_label: str | None, headers: Sequence[str] | None) -> tuple[pd.DataFrame, list[str]]:
    feature_path = compile_path(features, "features")
    parts = []
    for path in files:
        document = loads(read_text(path), str(path))
        matrix = search(feature_path, document, "features", str(path))
        if not isinstance(matrix, list) or not all(isinstance(r, list) for r in matrix):
            raise DataError(f"{path}: 'features' ({features}) should give a list of records (a 2-D list).")
        columns = {}
        for key, expr in (("label", label), ("predicted_label", predicted_label)):
            if isinstance(expr, str):
                values = search(compile_path(expr, key), document, key, str(path))
                if not isinstance(values, list) or len(values) != len(matrix):
                    got = len(values) if isinstance(values, list) else type(values).__name__
                    raise DataError(f"{path}: '{key}' ({expr}) should give a list with one value per record "
                                    f"({len(matrix)}), got {got}.")
                columns[key] = values
        parts.append((matrix, columns))
    rows = [r for matrix, _ in parts for r in matrix]
    if not rows:
        raise DataError(f"The dataset has no records: {', '.join(map(str, files))}.")
    labels = [v for _, c in parts for v in c.get("label", [])] if isinstance(label, str) else None
    predicted = ([v for _, c in parts for v in c.get("predicted_label", [])]
                 if isinstance(predicted_label, str) else None)
    return _frame(rows, labels, predicted, headers, label if isinstance(label, str) else None,
                  predicted_label if isinstance(predicted_label, str) else None, ", ".join(map(str, files)))
