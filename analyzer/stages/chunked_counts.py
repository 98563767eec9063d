"""Bias from counted chunks: what one chunk becomes (:func:`count_chunk`, the same on this host and on a
Dask worker that read the chunk itself) and how the parts become the bias sections (:class:`Tally`).

:func:`plan_counting` fixes, once and from the dataset's columns, what every chunk is reduced to: the counted
columns (facets, label, predicted label, group variable), the CSV columns kept as text and typed once
at the end, whether the model gives the predicted labels, and what FlipTest keeps of each row. A
chunk, after the model's predictions, becomes a :class:`~analyzer.bias.counts.CountsPart`; the
:class:`Tally` merges the parts in data order and runs the bias stage on the counted distinct rows.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Collection

import numpy as np
import pandas as pd

from analyzer.config import AnalysisConfig
from analyzer.data import Dataset
from analyzer.errors import ConfigError, EndpointError
from analyzer.formats import CSV

if TYPE_CHECKING:
    from analyzer.bias import BiasResult, CountsPart

log = logging.getLogger("sagemaker-clarify-processing")
#: How the predictor names the records of a failed request (analyzer.predictor.batching): chunk positions.
_RECORDS = re.compile(r"\(records (\d+)\.\.(\d+)\)")


@dataclass(frozen=True)
class ChunkedResult:
    layout: Dataset                 # the dataset's columns (no rows), with the predicted label's column
    bias: tuple[BiasResult, ...]    # post-training first, then pre-training (Clarify's order)
    rows: int

    def document(self) -> dict[str, Any]:
        """analysis.json: the bias sections."""
        return {"version": "1.0", **{result.key: result.section for result in self.bias}}


@dataclass(frozen=True)
class Counting:
    """What every chunk is reduced to (picklable: a Dask worker counts its own chunks with it)."""

    names: tuple[str, ...]              # the counted columns
    text: frozenset[str]                # CSV columns read as text: typed once, from all their values
    features: tuple[str, ...]           # the model's input columns
    predicted: str | None               # the predicted label's column: the data's or the model's
    model: bool                         # the model gives the predicted labels
    ft_drop: frozenset[str] | None      # FlipTest: the columns it does not keep of each row; None: no FT


def wants_ft(config: AnalysisConfig) -> bool:
    from analyzer.bias import select

    post = config.methods.post_training_bias
    return post is not None and any(m.name == "FT" for m in select("post_training", post))


def text_columns(config: AnalysisConfig) -> Callable[[Dataset], Collection[str]]:
    """The CSV columns read as text (``open_chunks``' ``text_columns``): the counted ones and, with FT,
    every column: a chunk typing '0' as int and another 'True' as bool would not give the whole read's
    text column (which FT refuses)."""
    return (lambda layout: list(layout.frame.columns)) if wants_ft(config) else _roles


def plan_counting(config: AnalysisConfig, layout: Dataset) -> Counting:
    """The counting of this job's chunks, from the dataset's columns (``layout``)."""
    if layout.label is None:
        raise ConfigError("label: required for bias metrics.")
    post = config.methods.post_training_bias
    model = post is not None and layout.predicted_label is None
    predicted = _prediction_column(layout) if model else layout.predicted_label
    text = frozenset(text_columns(config)(layout)) if (config.dataset_type or "").lower() == CSV else frozenset()
    counted = [*_roles(layout), *([predicted] if post is not None and predicted is not None else [])]
    names = tuple(dict.fromkeys(counted))
    ft_drop = frozenset({*names, layout.join_column} - {None}) if wants_ft(config) else None
    return Counting(names, text, tuple(layout.features), predicted, model, ft_drop)  # type: ignore[arg-type]


def count_chunk(config: AnalysisConfig, counting: Counting, frame: pd.DataFrame, predictor: Any,
                first_row: int = 0) -> CountsPart:
    """One chunk as counts: the model's predicted labels added first when it gives them. ``first_row``:
    the chunk's first data row, so that a model error names the records as a whole read would."""
    from analyzer.bias import count_part

    if counting.model:
        try:
            frame = _predict(config, predictor, counting, frame)
        except EndpointError as exc:
            shifted = _RECORDS.sub(lambda m: f"(records {int(m[1]) + first_row}..{int(m[2]) + first_row})",
                                   exc.message)
            raise EndpointError(shifted) from None
    part = count_part(frame, counting.names, keep_rows=counting.ft_drop is not None)
    if counting.ft_drop is None:
        return part
    return replace(part, features=frame.drop(columns=[c for c in frame.columns if c in counting.ft_drop]))


def log_counting_start(config: AnalysisConfig, counting: Counting) -> None:
    """Clarify's log lines before the post-training metrics."""
    if config.methods.post_training_bias is not None:
        log.info("Calculating post-training bias metrics")
    if counting.model:
        log.info("Getting predictions from the endpoint")


def _predict(config: AnalysisConfig, predictor: Any, counting: Counting, frame: pd.DataFrame) -> pd.DataFrame:
    """The chunk with the model's predicted labels; text columns typed as pandas types this chunk."""
    from analyzer.data import typed_like_csv
    from analyzer.predictor import predicted_labels

    features = frame.loc[:, list(counting.features)]
    for name in counting.text & set(counting.features):
        features[name] = typed_like_csv(features[name])
    output = predictor.predict(features)
    column = counting.predicted
    assert column is not None   # the model's column, named by plan_counting()
    return frame.assign(**{column: np.asarray(predicted_labels(output, config))})


class Tally:
    """The parts of a job's chunks, merged in data order; :meth:`result` gives the bias sections."""

    def __init__(self, counting: Counting) -> None:
        from analyzer.bias import ColumnValues, DistinctRows
        from analyzer.data import typed_like_csv

        self.counting = counting
        self.columns = [ColumnValues(name, typed_like_csv if name in counting.text else None)
                        for name in counting.names]
        self.counter = DistinctRows(self.columns, keep_rows=counting.ft_drop is not None)
        self.kept: list[pd.DataFrame] = []

    def add(self, part: CountsPart) -> None:
        self.counter.add_part(part)
        if self.counting.ft_drop is not None:
            assert part.features is not None
            self.kept.append(part.features)

    def result(self, config: AnalysisConfig, layout: Dataset) -> ChunkedResult:
        """The bias sections of the counted rows (post-training first, then pre-training)."""
        from analyzer.stages import run_bias

        methods, counting = config.methods, self.counting
        post, pre, predicted = methods.post_training_bias, methods.pre_training_bias, counting.predicted
        distinct, weights, data_rows = self.counter.finish()
        log.info("Counted %d rows in %d distinct (facet, label, prediction, group) rows.",
                 self.counter.total, len(distinct))
        dataset = replace(layout, frame=distinct, predicted_label=predicted)
        ft_rows = _ft_rows(layout, distinct, self.kept, data_rows, counting.text) if data_rows is not None else None
        results = []
        if post is not None:
            assert predicted is not None  # post-training: from the data, or the model's column
            if not counting.model:
                from analyzer.labels import predicted_labels_from_column

                labels = predicted_labels_from_column(distinct[predicted], config.probability_threshold)
                dataset = replace(dataset, frame=distinct.assign(**{predicted: labels}))
            results.append(run_bias(config, dataset, "post_training", post, weights, ft_rows))
        if pre is not None:
            log.info("Calculating pre-training bias metrics")
            results.append(run_bias(config, dataset, "pre_training", pre, weights))
        return ChunkedResult(layout=replace(layout, predicted_label=predicted), bias=tuple(results),
                             rows=self.counter.total)


def _roles(layout: Dataset) -> list[str]:
    """The data columns the bias metrics read: facets, label, predicted label, group variable."""
    names = [*layout.facets, layout.label, layout.predicted_label, layout.group_variable]
    return list(dict.fromkeys(n for n in names if n is not None))


def _prediction_column(layout: Dataset) -> str:
    column = "predicted_label"
    while column in layout.frame.columns:  # never overwrite a data column (as with_predicted_labels)
        column = f"_{column}"
    return column


def _ft_rows(layout: Dataset, distinct: pd.DataFrame, kept: list[pd.DataFrame],
             data_rows: np.ndarray, text: frozenset[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """FlipTest's rows: every data column but the label, predicted label and join column, in data order;
    the bias columns typed like the counted rows, the CSV text columns typed once, as a whole read would."""
    from analyzer.data import typed_like_csv

    rest = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(index=range(len(data_rows)))
    for name in text & set(rest.columns):
        rest[name] = typed_like_csv(rest[name])
    drop = {layout.label, layout.predicted_label, layout.join_column}
    data = {}
    for name in layout.frame.columns:
        if name in drop:
            continue
        if name in rest.columns:
            data[name] = rest[name]
        elif name in distinct.columns:
            data[name] = distinct[name].take(data_rows).reset_index(drop=True)
    return pd.DataFrame(data), data_rows
