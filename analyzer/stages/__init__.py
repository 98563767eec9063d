"""Stage glue: the one place that turns the config and the dataset into calls of the numeric layers
(:mod:`analyzer.bias`, :mod:`analyzer.explain`) and of the model (:mod:`analyzer.predictor`).

The numeric layers know nothing of configs, files or endpoints; :mod:`analyzer.job` orders the stages.
The explanation stage is loaded on first use (it pulls in scikit-learn): the first log line comes fast.
"""
from typing import TYPE_CHECKING, Any

from analyzer.stages.bias import run_bias
from analyzer.stages.chunked import auto_rows, chunk_plan, chunk_setting, run_chunked
from analyzer.stages.chunked_counts import (ChunkedResult, Counting, Tally, count_chunk, log_counting_start,
                                            plan_counting, text_columns)
from analyzer.stages.memory import check_fits
from analyzer.stages.model import model_session, needs_model, with_predicted_labels

if TYPE_CHECKING:   # the lazy names, typed for mypy and editors
    from analyzer.stages.explain_chunks import (MixedTypes, StreamedExplanation, document, not_streamable, on_dask,
                                                run_streamed)
    from analyzer.stages.explanations import (BASELINE_FILE, LOCAL_VALUES_FILE, Explained, ExplanationResult,
                                              check_job, model_scores, run_explanations)
    from analyzer.stages.explanations import settings as explanation_settings
    from analyzer.stages.local_sample import LocalSample
    from analyzer.stages.pdp_stream import PdpStream, pdp_part
    from analyzer.stages.pdp_stream import scratch as pdp_scratch
    from analyzer.stages.survey import Survey, merge_surveys, survey_part
    from analyzer.stages.time_series import run_time_series

_STREAMED = {"MixedTypes", "StreamedExplanation", "document", "not_streamable", "on_dask", "run_streamed"}
_LAZY = {"Explained", "ExplanationResult", "run_explanations", "LOCAL_VALUES_FILE", "BASELINE_FILE", "model_scores",
         "check_job"}
_PARTS = {"PdpStream": ("pdp_stream", "PdpStream"), "pdp_part": ("pdp_stream", "pdp_part"),
          "pdp_scratch": ("pdp_stream", "scratch"), "Survey": ("survey", "Survey"),
          "merge_surveys": ("survey", "merge_surveys"), "survey_part": ("survey", "survey_part"),
          "explanation_settings": ("explanations", "settings"), "LocalSample": ("local_sample", "LocalSample")}


def __getattr__(name: str) -> Any:
    if name == "run_time_series":   # forecasting models (time_series_data_config)
        from analyzer.stages import time_series

        return time_series.run_time_series
    if name in _LAZY:
        from analyzer.stages import explanations

        return getattr(explanations, name)
    if name in _PARTS:   # the pieces a Dask job's leader and workers share (analyzer.distributed.sharded)
        import importlib

        module, attribute = _PARTS[name]
        return getattr(importlib.import_module(f"analyzer.stages.{module}"), attribute)
    if name in _STREAMED:   # SHAP and PDP on a dataset read in chunks
        from analyzer.stages import explain_chunks

        return getattr(explain_chunks, name)
    raise AttributeError(f"module 'analyzer.stages' has no attribute {name!r}")


__all__ = ["BASELINE_FILE", "ChunkedResult", "Counting", "Explained", "ExplanationResult", "LOCAL_VALUES_FILE",
           "LocalSample", "MixedTypes", "PdpStream", "StreamedExplanation", "Survey", "Tally", "auto_rows",
           "check_fits", "check_job", "chunk_plan", "chunk_setting", "count_chunk", "document", "explanation_settings",
           "log_counting_start", "merge_surveys", "model_scores", "model_session", "needs_model", "not_streamable",
           "on_dask", "pdp_part", "pdp_scratch", "plan_counting", "run_bias", "run_chunked", "run_explanations",
           "run_streamed", "run_time_series", "survey_part", "text_columns", "with_predicted_labels"]
