"""Load the dataset named by the config: read, join the facet and predicted-label datasets, resolve columns."""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from analyzer.config import AnalysisConfig, NameOrIndex
from analyzer.data.csv_reader import read_csv
from analyzer.data.joins import join
from analyzer.data.sources import resolve_files
from analyzer.errors import ConfigError
from analyzer.formats import CAPTURE_JSON, CSV, ReadRequest, Table, dataset_format

log = logging.getLogger("analyzer.data")

DEFAULT_PREDICTED_LABEL = "predicted_label"


@dataclass(frozen=True)
class Dataset:
    """The loaded data, with every column the config refers to resolved to a frame column name."""

    frame: pd.DataFrame
    features: tuple[str, ...]            # model input columns, in order
    label: str | None
    predicted_label: str | None
    facets: tuple[str, ...]              # parallel to config.facet
    group_variable: str | None
    join_column: str | None

    @property
    def rows(self) -> int:
        return len(self.frame)

    def feature_frame(self) -> pd.DataFrame:
        return self.frame.loc[:, list(self.features)]


def resolve_column(ref: NameOrIndex, columns: Sequence[str], key: str, where: str) -> str:
    """A config reference (name or zero-based index) → a column name, or a ConfigError naming the key."""
    columns = list(columns)
    if isinstance(ref, bool) or not isinstance(ref, (str, int)):
        raise ConfigError(f"{key}: expected a column name or index, got {ref!r}.")
    if isinstance(ref, int):
        if not 0 <= ref < len(columns):
            raise ConfigError(f"{key}: index {ref} is out of range; {where} has {len(columns)} columns "
                              f"(0..{len(columns) - 1}).")
        return columns[ref]
    if ref not in columns:
        raise ConfigError(f"{key}: column {ref[:80]!r} not found in {where}. {available_columns(columns)}")
    return ref


def available_columns(columns: Sequence[object], shown: int = 40) -> str:
    """The column names for a message, unless they do not look like names: a file that is not the
    dataset (say a .env file read as CSV) would otherwise have its first line printed."""
    names = [str(c) for c in columns]
    plausible = all(len(n) <= 64 and n.isprintable() and not set(n) & set("=:$") for n in names)
    if not plausible:
        return (f"It has {len(names)} column(s) whose names do not look like column names (not shown); "
                "check the dataset file and 'headers'.")
    more = f", ... ({len(names)} in all)" if len(names) > shown else ""
    return f"Available columns: {', '.join(names[:shown])}{more}."


def _read_side_dataset(uri: str, headers: Sequence[str] | None, what: str) -> pd.DataFrame:
    return read_csv(resolve_files(uri, what=what, content_type=CSV), headers)


def read_request(config: AnalysisConfig) -> ReadRequest:
    """What the dataset's reader needs from the config."""
    in_data_prediction = None if config.predicted_label_dataset_uri else config.predicted_label
    return ReadRequest(headers=config.headers, features=config.features, label=config.label,
                       predicted_label=in_data_prediction)


def load_dataset(config: AnalysisConfig, uri: str | Path, files: Sequence[Path] | None = None) -> Dataset:
    """The dataset behind ``uri`` (``files``: its files, when already resolved)."""
    if config.dataset_type == CAPTURE_JSON:  # Model Monitor capture / merged files (analyzer.capture)
        from analyzer.capture import CaptureSource, load_capture
        return load_capture(config, CaptureSource(str(uri)))
    if files is None:
        files = resolve_files(uri, content_type=config.dataset_type)
    log.info("Dataset type: %s uri: %s", config.dataset_type, uri)
    log.info("Loading dataset...")
    table = dataset_format(config.dataset_type).read(files, read_request(config))
    dataset = resolve_dataset(config, table, uri)
    buffer = io.StringIO()
    dataset.frame.info(buf=buffer)
    log.info("Loaded dataset. Dataset info: %s", buffer.getvalue())
    return dataset


Joiner = Callable[[pd.DataFrame, pd.DataFrame, "str | None", str, str], pd.DataFrame]


def resolve_dataset(config: AnalysisConfig, table: Table, uri: str | Path, joiner: Joiner = join) -> Dataset:
    """The config's column references resolved against the table read, side datasets joined by
    ``joiner`` (the chunked reader joins them chunk by chunk, see analyzer.data.chunks)."""
    in_data_prediction = read_request(config).predicted_label
    where = f"the dataset ({uri})"
    cols = table.index_columns

    label = table.label
    if label is None and config.label is not None:
        label = resolve_column(config.label, cols, "label", where)
    predicted = table.predicted_label
    if predicted is None and in_data_prediction is not None:
        predicted = resolve_column(in_data_prediction, cols, "predicted_label", where)
    join_column = None
    if config.joinsource_name_or_index is not None:
        join_column = resolve_column(config.joinsource_name_or_index, cols, "joinsource_name_or_index", where)
    excluded = {resolve_column(c, cols, "excluded_columns", where) for c in config.excluded_columns}

    frame = table.frame
    facet_columns: Sequence[str] = cols
    facet_where = where
    if config.facet_dataset_uri:
        facet_frame = _read_side_dataset(config.facet_dataset_uri, config.facet_headers, "facet dataset")
        frame = joiner(frame, facet_frame, join_column, "facet dataset", config.facet_dataset_uri)
        facet_columns, facet_where = tuple(facet_frame.columns), f"the facet dataset ({config.facet_dataset_uri})"
    if config.predicted_label_dataset_uri:
        uri_p = config.predicted_label_dataset_uri
        pred_frame = _read_side_dataset(uri_p, config.predicted_label_headers, "predicted label dataset")
        name = config.predicted_label if config.predicted_label is not None else DEFAULT_PREDICTED_LABEL
        predicted = resolve_column(name, list(pred_frame.columns), "predicted_label",
                                   f"the predicted label dataset ({uri_p})")
        keep = [c for c in (join_column, predicted) if c is not None and c in pred_frame.columns]
        frame = joiner(frame, pred_frame.loc[:, keep], join_column, "predicted label dataset", uri_p)

    facets = tuple(resolve_column(f.name_or_index, facet_columns, f"facet[{i}].name_or_index", facet_where)
                   for i, f in enumerate(config.facet))
    group = None
    if config.group_variable is not None:
        group = resolve_column(config.group_variable, tuple(frame.columns), "group_variable", where)

    not_features = {label, predicted, join_column, *excluded}
    features = tuple(c for c in cols if c not in not_features)
    return Dataset(frame=frame, features=features, label=label, predicted_label=predicted,
                   facets=facets, group_variable=group, join_column=join_column)
