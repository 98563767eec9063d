"""The table of dataset formats: content type → how its files are checked and read, and how an in-place
SHAP baseline in that format becomes rows.

Datasets, facet/predicted-label datasets, SHAP baseline files and in-place baselines all go through
this table, so nothing else switches on content types. A new format is one reader, one entry in
:data:`FORMATS` and one alternative in the schema's ``dataset_type`` pattern.

Readers are imported when a format is used: this module sits below :mod:`analyzer.data` and
:mod:`analyzer.storage`, which both look formats up here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal, Sequence

import jmespath

if TYPE_CHECKING:   # pandas only in annotations: config checks use this table without importing it
    import pandas as pd

from analyzer.errors import ConfigError, DataError
from analyzer.formats import CAPTURE_JSON, CSV, IMAGE, JSON, JSONLINES, PARQUET

NameOrIndex = str | int
Sniff = Literal["text", "parquet"]


@dataclass(frozen=True)
class ReadRequest:
    """What a reader needs from the config: column names and where JSON records keep their values."""

    headers: Sequence[str] | None = None
    features: str | None = None                 # JMESPath to a record's features (JSON formats)
    label: NameOrIndex | None = None
    predicted_label: NameOrIndex | None = None


@dataclass(frozen=True)
class Table:
    """What a reader returns: the frame and the columns that a config index counts over."""

    frame: pd.DataFrame
    index_columns: tuple[str, ...]
    label: str | None = None            # set by readers that name the label themselves (JSON)
    predicted_label: str | None = None


Reader = Callable[[Sequence[Path], ReadRequest], Table]
InlineRows = Callable[[Any, "str | None"], list]


@dataclass(frozen=True)
class Format:
    content_type: str
    read: Reader
    inline_rows: InlineRows              # methods.shap.baseline given in the config → rows of values
    sniff: Sniff | None = None           # early check of downloaded files (storage)
    needs_features: bool = False         # records are located by the 'features' JMESPath


# ------------------------------------------------------------------------------------------ readers

def _read_csv(files: Sequence[Path], request: ReadRequest) -> Table:
    from analyzer.data import read_csv

    frame = read_csv(files, request.headers)
    return Table(frame, tuple(frame.columns))


def _read_parquet(files: Sequence[Path], request: ReadRequest) -> Table:
    from analyzer.data import read_parquet

    frame = read_parquet(files, request.headers)
    return Table(frame, tuple(frame.columns))


def _json_table(frame: pd.DataFrame, feature_names: list[str], request: ReadRequest) -> Table:
    """Label and predicted label given as JMESPath come after the features (Clarify's JSON headers)."""
    label_name = frame.columns[len(feature_names)] if isinstance(request.label, str) else None
    predicted_name = frame.columns[-1] if isinstance(request.predicted_label, str) else None
    return Table(frame, tuple(feature_names), label_name, predicted_name)


def _read_jsonlines(files: Sequence[Path], request: ReadRequest) -> Table:
    from analyzer.data import read_jsonlines

    frame, names = read_jsonlines(files, features=_features(request.features), label=_path(request.label),
                                  predicted_label=_path(request.predicted_label), headers=request.headers)
    return _json_table(frame, names, request)


def _read_json(files: Sequence[Path], request: ReadRequest) -> Table:
    from analyzer.data import read_json

    frame, names = read_json(files, features=_features(request.features), label=_path(request.label),
                             predicted_label=_path(request.predicted_label), headers=request.headers)
    return _json_table(frame, names, request)


def _read_capture(files: Sequence[Path], request: ReadRequest) -> Table:
    from analyzer.capture import read_capture_table

    return read_capture_table(files, request)


def _read_images(files: Sequence[Path], request: ReadRequest) -> Table:
    from analyzer.data import IMAGE_COLUMN, read_images

    return Table(read_images(files), (IMAGE_COLUMN,))


def json_expressions(request: ReadRequest) -> tuple[str, str | None, str | None]:
    """The JMESPath expressions of a JSON record's features, label and predicted label."""
    return _features(request.features), _path(request.label), _path(request.predicted_label)


def json_table(frame: pd.DataFrame, feature_names: list[str], request: ReadRequest) -> Table:
    """A JSON reader's frame as a Table (label and predicted label named as Clarify's headers do)."""
    return _json_table(frame, feature_names, request)


def _path(ref: NameOrIndex | None) -> str | None:
    """JSON records locate the label by JMESPath; an index refers to a column after reading."""
    return ref if isinstance(ref, str) else None


def _features(features: str | None) -> str:
    if not features:
        raise ConfigError("features: a JMESPath to the features is required for JSON datasets.")
    return features


# ------------------------------------------------------------------------------- in-place baselines

MSG_NOT_A_LIST = "methods.shap.baseline must be a list of rows or an S3 URI; got {kind}."


def _plain_rows(baseline: Any, features: str | None) -> list:
    if not isinstance(baseline, list):
        raise ConfigError(MSG_NOT_A_LIST.format(kind=type(baseline).__name__))
    return [r if isinstance(r, list) else [r] for r in baseline]


def _jsonlines_rows(baseline: Any, features: str | None) -> list:
    """A list of JSON objects (or JSON texts); ``features`` applied to each gives its row."""
    if not isinstance(baseline, list):
        raise ConfigError(MSG_NOT_A_LIST.format(kind=type(baseline).__name__))
    rows = []
    for i, obj in enumerate(baseline):
        if isinstance(obj, str):
            try:
                obj = json.loads(obj)
            except json.JSONDecodeError as exc:
                raise DataError(f"methods.shap.baseline row {i} is not valid JSON: {exc}.") from exc
        found = jmespath.search(features or "", obj)
        if not isinstance(found, list):
            raise DataError(f"methods.shap.baseline row {i}: the features JMESPath {features!r} gave "
                            f"{found!r}; expected a list of feature values.")
        rows.append(found)
    return rows


def _json_rows(baseline: Any, features: str | None) -> list:
    """The document (or its JSON text); ``features`` applied once gives the list of rows."""
    doc = json.loads(baseline) if isinstance(baseline, str) else baseline
    rows = jmespath.search(features or "", doc)
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise DataError(f"methods.shap.baseline: the features JMESPath {features!r} gave {rows!r}; "
                        "expected a list of rows (lists of feature values).")
    return rows


def _no_rows(baseline: Any, features: str | None) -> list:
    raise ConfigError("methods.shap.baseline: for images give the URI of a baseline image (local path or S3), "
                      "not rows.")


# ------------------------------------------------------------------------------------------- table

FORMATS: dict[str, Format] = {f.content_type: f for f in (
    Format(CSV, _read_csv, _plain_rows, sniff="text"),
    Format(JSONLINES, _read_jsonlines, _jsonlines_rows, sniff="text", needs_features=True),
    Format(JSON, _read_json, _json_rows, sniff="text", needs_features=True),
    Format(PARQUET, _read_parquet, _plain_rows, sniff="parquet"),
    # Model Monitor capture files: load_dataset hands datasets to analyzer.capture (ground truth, model
    # output); this reader gives the captured features (SHAP baseline files); in-place baselines are rows.
    Format(CAPTURE_JSON, _read_capture, _plain_rows, sniff="text"),
    # Folders of image files (analyzer.data.images); only image explanations read them (analyzer.support).
    Format(IMAGE, _read_images, _no_rows),
)}


def find_format(content_type: str | None) -> Format | None:
    """The format for a content type (case-insensitive), or None when the analyzer cannot read it."""
    return FORMATS.get((content_type or "").lower())


def dataset_format(content_type: str, what: str = "dataset_type") -> Format:
    """The format for a content type, or a ConfigError naming ``what`` and the readable types."""
    found = find_format(content_type)
    if found is None:
        raise ConfigError(f"{what}: {content_type} is not supported by this analyzer yet "
                          f"(supported: {', '.join(FORMATS)}).")
    return found
