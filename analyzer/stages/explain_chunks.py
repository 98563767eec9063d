"""Explanations (Kernel SHAP, PDP) of a dataset read in chunks: bounded memory, the bytes of a whole read.

The chunks are read more than once, each pass holding one chunk at a time:

1. the survey (:mod:`analyzer.stages.survey`): rows, the whole read's column types, the PDP grids'
   inputs and, for the automatic baseline only, the feature columns (k-means over every row: a
   first pass over the feature columns gives its bytes; they are released before any model call);
2. the bias metrics as in :mod:`analyzer.stages.chunked` (post-training predictions from the model);
3. Kernel SHAP (:mod:`analyzer.stages.shap_stream`), each chunk's local values appended to
   ``explanations_shap/out.csv`` in the job's staging folder (published with the rest, or not at all);
   for ``agg_method: median`` also to scratch files, reduced at the end (:mod:`analyzer.explain._median`);
4. PDP (:mod:`analyzer.stages.pdp_stream`), after SHAP when its features are SHAP's top ones.

One model session serves every pass. Reading the data again costs little next to the model calls
that Kernel SHAP and PDP make for each row.
"""
from __future__ import annotations

import logging
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np
import pandas as pd

from analyzer.config import AnalysisConfig
from analyzer.data import Dataset, open_chunks
from analyzer.explain import (
    Explanation,
    PdpSettings,
    ShapSettings,
    explanations_section,
    kernel_shap_section,
    label_names,
    local_values_frame,
    pdp_features,
    shap_baseline,
)
from analyzer.output import OutputWriter
from analyzer.stages.chunked import ChunkedResult, ChunkPlan, run_chunked, with_progress
from analyzer.stages.explanations import BASELINE_FILE, LOCAL_VALUES_FILE, check_job, model_scores, settings
from analyzer.stages.local_sample import LocalSample
from analyzer.stages.model import model_session
from analyzer.stages.survey import MixedTypes, Survey, cast, survey

if TYPE_CHECKING:
    from analyzer.bias import BiasResult

log = logging.getLogger("analyzer.explain")
__all__ = ["MixedTypes", "StreamedExplanation", "document", "not_streamable", "on_dask", "run_streamed",
           "survey_columns"]


def not_streamable(config: AnalysisConfig) -> str | None:
    """Why this job's explanations read the dataset whole, or None."""
    shap = config.methods.shap
    if shap is None:
        return None
    if shap.text_config is not None or shap.image_config is not None:
        return "text and image explanations read the dataset whole"
    if shap.algorithm != "kernel":
        return f"methods.shap.algorithm {shap.algorithm} reads the dataset whole"
    return None


def on_dask(scale: Any, hosts: list[str]) -> bool:
    """Explanations run on Dask (analyzer.distributed) with several hosts or a scheduler: read whole."""
    from analyzer.distributed import scale_settings

    return len(hosts) > 1 or bool((scale or scale_settings()).scheduler)


@dataclass
class StreamedExplanation:
    """What the job writes and reports from the explanations; the local values are in out.csv already."""

    explanation: Explanation     # kernel_shap without local values
    dataset: Dataset             # the columns (no rows)
    glob: np.ndarray | None      # the global SHAP values
    rows: int
    written: int = 0             # local value rows in out.csv
    sample: LocalSample | None = None   # the rows of the local values the report's chart draws

    def section(self) -> dict:
        e, shap = self.explanation, self.explanation.shap_settings
        kernel = None
        if e.kernel_shap is not None and shap is not None:
            kernel = kernel_shap_section(e.kernel_shap, agg_method=shap.agg_method, labels=e.labels, glob=self.glob,
                                         baseline_rows=len(e.baseline.rows) if e.baseline is not None else None)
        return explanations_section(kernel, e.pdp)

    def local_values(self) -> None:
        return None   # not held: in out.csv, and the rows the report draws in ``sample``

    def report_locals(self) -> dict[str, Any]:
        """The report's local values: the rows its chart draws (:class:`LocalSample`), if any were kept."""
        return self.sample.report_fields() if self.sample is not None else {}

    def write(self, writer: OutputWriter, parts: int = 1) -> None:
        if self.explanation.baseline is not None:
            writer.write_csv(BASELINE_FILE, self.explanation.baseline.rows)
            log.info("Wrote baseline used to compute explanations to: %s", writer.output_dir / BASELINE_FILE)
        if self.written:
            log.info("Wrote %d local explanations to: %s", self.written, writer.output_dir / LOCAL_VALUES_FILE)


def survey_columns(config: AnalysisConfig, layout: Dataset) -> tuple[list[str], list[str], list[str], bool]:
    """What the survey pass looks at: (the features, the columns whose types it finds, the PDP grids'
    features, whether it keeps the feature columns for the automatic baseline)."""
    names = list(layout.features)
    shap_config, pdp_config = config.methods.shap, config.methods.pdp
    grid = names if pdp_config is not None else []
    if pdp_config is not None and pdp_config.features is not None:
        grid = pdp_features(names, PdpSettings(features=pdp_config.features))
    auto = shap_config is not None and shap_config.baseline is None
    return names, [*names, *([layout.join_column] if layout.join_column else [])], grid, auto


def run_streamed(config: AnalysisConfig, uri: str | Path, plan: ChunkPlan,
                 writer: OutputWriter) -> tuple[dict[str, Any], tuple[BiasResult, ...], StreamedExplanation]:
    """analysis.json, the bias results and the explanations of a dataset read in chunks. Raises
    :class:`~analyzer.stages.survey.MixedTypes` (before any model call) when a column's type cannot be
    known from the chunks."""
    assert plan.files is not None and plan.rows is not None
    chunks = open_chunks(config, uri, plan.files, plan.rows)
    layout = chunks.layout
    names, columns, grid, auto = survey_columns(config, layout)
    log.info("Reading the dataset in chunks for explanations: a first pass for its size and column types.")
    found = survey(with_progress(chunks.frames()), columns, grid, names if auto else None)
    typed = found.typed(layout.frame.loc[:, names])
    layout = replace(layout, frame=found.typed(layout.frame))
    with model_session(config, layout) as predictor:
        bias = run_chunked(config, uri, plan, predictor) if config.methods.needs_bias else None
        assert predictor is not None   # explanations always need the model
        shap, pdp = settings(config, typed, predictor.max_rows_per_call)
        check_job(config, found.rows, typed, shap, pdp)
        predict = model_scores(predictor)
        explanation = Explanation(shap_settings=shap)
        result = StreamedExplanation(explanation, layout, None, found.rows)
        frames = lambda: cast(with_progress(chunks.frames()), found)   # noqa: E731 - a fresh pass each call
        if shap is not None:
            _shap_pass(result, shap, predict, frames(), found, writer, auto)
        if pdp is not None:
            _pdp_pass(result, pdp, predict, frames(), found)
    return document(bias, result), bias.bias if bias is not None else (), result


def _shap_pass(result: StreamedExplanation, shap: ShapSettings, predict: Any, frames: Iterator[pd.DataFrame],
               found: Survey, writer: OutputWriter, auto: bool) -> None:
    from analyzer.stages.shap_stream import ShapStream

    layout, names = result.dataset, list(result.dataset.features)
    base = shap_baseline(shap, found.features() if auto else layout.frame.loc[:, names])
    result.explanation.baseline = base
    log.info("Shap analyzer: explaining %d rows, %d columns in chunks...", found.rows, len(names))
    stream = ShapStream(predict, base, shap, found.rows)
    labels: list[str] | None = None
    done = 0
    if shap.save_local_shap_values:   # the whole read's report draws the local values only then
        result.sample = LocalSample.of(found.rows)
    with closing(stream.merger.median):   # the median's scratch files, removed however the pass ends
        for number, frame in enumerate(frames, start=1):
            chunk = stream.add(frame.loc[:, names])
            labels = labels or label_names(len(chunk.expected_value), shap.label_names)
            done += len(frame)
            log.info("Kernel SHAP: chunk %d done, %s of %s records.", number, f"{done:,}", f"{found.rows:,}")
            if shap.save_local_shap_values:
                join = layout.join_column
                local = local_values_frame(chunk, labels=labels, join_column=join,
                                           join_values=list(frame[join].to_numpy()) if join else None)
                writer.append_csv(LOCAL_VALUES_FILE, local)
                result.written += len(local)
                assert result.sample is not None
                result.sample.add(local, frame.loc[:, names])
        kernel, result.glob = stream.finish()
    result.explanation.kernel_shap, result.explanation.labels = kernel, labels or []


def _pdp_pass(result: StreamedExplanation, pdp: PdpSettings, predict: Any, frames: Iterator[pd.DataFrame],
              found: Survey) -> None:
    from analyzer.stages.pdp_stream import PdpStream, scratch

    e, names = result.explanation, list(result.dataset.features)
    kernel = e.kernel_shap
    chosen = pdp_features(names, pdp, result.glob, kernel.feature_names if kernel is not None else None)
    labels = e.labels or (list(pdp.label_names) if pdp.label_names is not None else None)
    log.info("Calculating partial dependence plots in chunks: %s", ", ".join(chosen))
    with scratch() as folder:
        stream = PdpStream(predict, found, chosen, pdp.grid_resolution, labels, pdp.max_rows_per_call, folder)
        for number, frame in enumerate(frames, start=1):
            stream.add(frame.loc[:, names])
            log.info("PDP: chunk %d done, %s of %s rows.", number, f"{stream.offset:,}", f"{found.rows:,}")
        e.pdp = stream.finish()
    if not e.labels and e.pdp:
        e.labels = list(e.pdp[0]["label_headers"])


def document(bias: ChunkedResult | None, explained: StreamedExplanation) -> dict[str, Any]:
    """analysis.json: the bias sections (Clarify's order), then the explanations."""
    out = bias.document() if bias is not None else {"version": "1.0"}
    return {**out, "explanations": explained.section()}

