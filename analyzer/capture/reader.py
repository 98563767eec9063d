"""Captured traffic (+ ground truth) → the normal ``analyzer.data.Dataset``.

Columns: the captured features (named by the config's ``headers`` without the label, else
``column_0..``), the label from the ground truth (named by the config's ``label``, else
``label``) and the predicted label derived from the captured model output by Clarify's rules
(``analyzer.formats.responses.labels_from_output``), so every analysis runs unchanged.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from analyzer.capture import columns
from analyzer.capture.columns import CaptureColumns, read_columns, read_truth
from analyzer.capture.events import Events, read_events
from analyzer.capture.ground_truth import labels_per_record, match, read_ground_truth, where
from analyzer.capture.records import feature_rows, model_codec, model_outputs, parse_csv_labels
from analyzer.capture.window import TimeWindow
from analyzer.config import AnalysisConfig
from analyzer.data import Dataset, resolve_column
from analyzer.errors import DataError, EndpointError
from analyzer.formats import ReadRequest, Table
from analyzer.formats import ModelOutput, labels_from_output
from analyzer.storage import fetch

log = logging.getLogger("analyzer.capture")

DEFAULT_LABEL = "label"
DEFAULT_PREDICTED_LABEL = "predicted_label"


@dataclass(frozen=True)
class CaptureSource:
    """Where captured traffic and ground truth are, and how to read the model output.

    ``inference_attribute`` / ``probability_attribute`` / ``probability_threshold`` are Model
    Monitor's names for ``predictor.label`` / ``predictor.probability`` / ``probability_threshold``;
    None takes the config's value.
    """

    capture_uri: str
    ground_truth_uri: str | None = None
    window: TimeWindow = TimeWindow()
    inference_attribute: str | int | None = None
    probability_attribute: str | int | None = None
    probability_threshold: float | None = None
    features_attribute: str | None = None      # JMESPath of the features in JSON inputs (config: features)


def _files(uri: str, what: str, window: TimeWindow) -> list:
    files = fetch(uri, what=what)
    kept = [f for f in files if window.may_hold_file(f)]
    if len(kept) < len(files):
        log.info("%s: %d of %d file(s) are in hour folders outside the window %s; skipped.",
                 what, len(files) - len(kept), len(files), window.describe())
    return kept


def label_name(config: AnalysisConfig) -> str:
    if isinstance(config.label, str):
        return config.label
    if isinstance(config.label, int) and config.headers and 0 <= config.label < len(config.headers):
        return config.headers[config.label]
    return DEFAULT_LABEL


def feature_names(headers: Sequence[str] | None, width: int, reserved: Sequence[str]) -> list[str]:
    """Names for the ``width`` captured features: ``headers`` minus label / predicted-label names when
    that leaves exactly ``width``, ``headers`` itself when it has ``width``, else ``column_i``."""
    headers = list(headers or ())
    if not headers:
        return [f"column_{i}" for i in range(width)]
    without = [h for h in headers if h not in reserved]
    for names in (without, headers):
        if len(names) == width:
            return names
    raise DataError(f"The captured inputs have {width} features but 'headers' names {len(headers)} columns "
                    f"({len(without)} without the label); give the feature names (and the label) in 'headers'.")


def _log_missing(missing: int, total: int, source: CaptureSource) -> None:
    if missing:
        log.warning("%d of %d captured event(s) have no ground truth in %s; they are left out of the analysis.",
                    missing, total, source.ground_truth_uri)


def _ground_truth(events: Events, source: CaptureSource) -> tuple[Events, list | None]:
    """The events that have ground truth and their truth; all events and None when there is none."""
    # Ground truth is uploaded whenever it becomes known: its folders say nothing about the window.
    truths = read_ground_truth(_files(source.ground_truth_uri, "ground truth", TimeWindow())) \
        if source.ground_truth_uri else {}
    if not truths and all(t is None for t in events.truths):
        return events, None
    kept, matched = match(events, truths)
    missing = len(events) - len(kept)
    if not kept:
        raise DataError(f"None of the {len(events)} captured event(s) in {source.capture_uri} has ground truth in "
                        f"{source.ground_truth_uri or 'the merged records'} (joined on eventMetadata.inferenceId, "
                        "then eventId).")
    _log_missing(missing, len(events), source)
    return events.select(kept) if missing else events, matched


def _labels(truths: list, counts: list[int], config: AnalysisConfig) -> pd.Series:
    values, from_csv = labels_per_record(truths, counts, config.label)
    if all(from_csv):
        return parse_csv_labels(values, where(truths[0])).reset_index(drop=True)
    at = [i for i, csv_text in enumerate(from_csv) if csv_text]
    if at:  # CSV and JSON ground truth mixed: the CSV text parsed as a CSV column, then merged
        for i, value in zip(at, parse_csv_labels([values[i] for i in at], where(truths[0])).tolist(), strict=True):
            values[i] = value
    return pd.Series(values).infer_objects()


#: What both paths read: the features, the labels (None without ground truth), the model output
#: (None when no event has one) and the number of events with ground truth.
Parts = tuple[pd.DataFrame, "pd.Series | None", "ModelOutput | None", int]


def _careful(config: AnalysisConfig, source: CaptureSource, events: Events) -> Parts:
    truths = None
    if config.methods.needs_bias:
        events, truths = _ground_truth(events, source)
    frame, counts = feature_rows(events, source.features_attribute or config.features)
    labels = _labels(truths, counts, config) if truths is not None else None
    output = None
    if any(out is not None for out in events.outputs):
        label, probability, headers = _output_attributes(config, source)
        output = model_outputs(events, counts, label, probability, headers)
    return frame, labels, output, len(events)


def _columnar(config: AnalysisConfig, source: CaptureSource, events: CaptureColumns) -> Parts | None:
    """The same parts from whole columns; None where the careful path must read them."""
    labels = None
    missing = 0
    if config.methods.needs_bias:
        truth = read_truth(_files(source.ground_truth_uri, "ground truth", TimeWindow())) \
            if source.ground_truth_uri else None
        if truth is None:
            return None
        rows, found = columns.join(events, truth[0])
        if not len(rows):
            return None
        missing = len(events) - len(rows)
        events = events.take(rows) if missing else events
        labels = columns.labels(truth[1], found)
        if labels is None:
            return None
    frame = columns.features(events)
    if frame is None:
        return None
    output = None
    if events.arrays["outputs"].null_count < len(events):
        label, probability, headers = _output_attributes(config, source)
        output = columns.outputs(events, lambda kind: model_codec(kind, label, probability, headers))
        if output is None:
            return None
    _log_missing(missing, len(events) + missing, source)
    return frame, labels, output, len(events)


def load_capture(config: AnalysisConfig, source: CaptureSource) -> Dataset:
    """Read captured traffic (and ground truth) into the Dataset the analyses take."""
    log.info("Dataset type: %s uri: %s", config.dataset_type, source.capture_uri)
    log.info("Reading captured data from %s (window: %s)", source.capture_uri, source.window.describe())
    try:
        files = _files(source.capture_uri, "capture data", source.window)
    except DataError as exc:  # an empty or missing capture location: the endpoint had no traffic
        raise DataError(f"No captured data in {source.capture_uri} for {source.window.describe()} "
                        f"({exc.message})") from None
    events = read_columns(files, source.window)
    if events.outside_window:
        log.info("%d captured event(s) are outside the window %s; skipped.", events.outside_window,
                 source.window.describe())
    if not len(events):
        raise DataError(f"No captured data in {source.capture_uri} for {source.window.describe()}: the endpoint "
                        "received no traffic in the monitoring period (or data capture is off).")
    total = len(events)
    if not config.methods.needs_bias and source.ground_truth_uri:
        log.info("Ground truth %s is not used: no bias metrics are requested.", source.ground_truth_uri)
    parts = _columnar(config, source, events) if isinstance(events, CaptureColumns) else None
    if parts is None:
        parts = _careful(config, source, events.to_events() if isinstance(events, CaptureColumns) else events)
    frame, labels, output, matched = parts
    label = label_name(config)
    predicted = config.predicted_label if isinstance(config.predicted_label, str) else DEFAULT_PREDICTED_LABEL
    names = feature_names(config.headers, frame.shape[1], (label, predicted))
    frame.columns = names
    if labels is not None:
        frame[label] = labels
    if output is not None:
        frame[predicted] = _predictions(config, source, output)
    elif config.methods.post_training_bias is not None:
        raise DataError(f"{source.capture_uri}: the captured events hold no model output "
                        "(captureData.endpointOutput); post-training bias needs it.")
    if config.methods.needs_bias and labels is None:
        raise DataError(f"Bias metrics need ground truth: none for the captured data in {source.capture_uri}; "
                        "give --ground-truth (Model Monitor: GroundTruthS3Input).")
    log.info("Captured data: %d event(s), %d with ground truth, %d record(s), %d feature(s).", total, matched,
             len(frame), len(names))
    return _dataset(config, frame, names, label if labels is not None else None,
                    predicted if predicted in frame.columns else None)


def _output_attributes(config: AnalysisConfig, source: CaptureSource) -> tuple[Any, Any, tuple[str, ...] | None]:
    """(label, probability, label headers) of the model output: Model Monitor's attributes, else the config's."""
    predictor = config.predictor
    label = source.inference_attribute if source.inference_attribute is not None else (
        predictor.label if predictor else None)
    probability = source.probability_attribute if source.probability_attribute is not None else (
        predictor.probability if predictor else None)
    return label, probability, predictor.label_headers if predictor else None


def _predictions(config: AnalysisConfig, source: CaptureSource, output: ModelOutput) -> np.ndarray:
    threshold = source.probability_threshold if source.probability_threshold is not None else (
        config.probability_threshold)
    headers = config.predictor.label_headers if config.predictor else None
    try:
        return labels_from_output(output, threshold, headers)
    except EndpointError as exc:  # the shared rules speak of a live model; here it is recorded data
        raise DataError(f"Captured model output in {source.capture_uri}: {exc.message}") from None


def _dataset(config: AnalysisConfig, frame: pd.DataFrame, features: list[str], label: str | None,
             predicted: str | None) -> Dataset:
    where = "the captured features"
    facets = tuple(resolve_column(f.name_or_index, features, f"facet[{i}].name_or_index", where)
                   for i, f in enumerate(config.facet))
    group = None if config.group_variable is None else resolve_column(
        config.group_variable, features, "group_variable", where)
    excluded = {resolve_column(c, features, "excluded_columns", where) for c in config.excluded_columns}
    return Dataset(frame=frame, features=tuple(f for f in features if f not in excluded), label=label,
                   predicted_label=predicted, facets=facets, group_variable=group, join_column=None)



def read_capture_table(files: Sequence[Path], request: ReadRequest) -> Table:
    """The format table's reader for ``application/sagemakercapturejson`` files given with a job (a
    SHAP baseline file): the captured features only. Datasets of this type are read by
    :func:`load_capture`, which also joins ground truth and decodes the model output."""
    events = read_events(list(files), TimeWindow())
    if not len(events):
        raise DataError(f"No captured records in {', '.join(map(str, files))}.")
    frame, _ = feature_rows(events, request.features)
    frame.columns = feature_names(request.headers, frame.shape[1], ())
    return Table(frame, tuple(frame.columns))
