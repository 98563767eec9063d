"""A job whose Dask workers read the data themselves: the leader lists the files, cuts them into shards
(:mod:`analyzer.distributed.shards`) and sends each worker shards to read, predict, count and explain
(:mod:`analyzer.distributed.shard_tasks`, :mod:`analyzer.distributed.bias_shards`); it merges the parts
in shard order and writes out.csv as they come, so it never holds the dataset and the result is the
bytes of a one-host run.

The explanations take the passes of the one-host chunked path (:mod:`analyzer.stages.explain_chunks`),
each spread over the workers: the survey (rows, column types, PDP grid inputs, the automatic
baseline's feature columns), Kernel SHAP's patterns (so every shard knows where its records sit in
the whole run), Kernel SHAP, then PDP.
"""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyzer.config import AnalysisConfig
from analyzer.distributed.predictor import DaskPredictor, worker_shares
from analyzer.distributed.shard_tasks import pdp_shard, survey_shard
from analyzer.distributed.tasks import Done
from analyzer.distributed.shards import Shard, ShardSource, forget, not_shardable, prepare

if TYPE_CHECKING:
    from analyzer.bias import BiasResult
    from analyzer.data import Dataset
    from analyzer.distributed.session import Cluster
    from analyzer.output import OutputWriter
    from analyzer.stages import ChunkedResult, StreamedExplanation, Survey

log = logging.getLogger("sagemaker-clarify-processing")


def why_not_sharded(config: AnalysisConfig) -> str | None:
    """Why the workers of this job cannot read the data themselves (the leader reads it), or None."""
    predictor = config.predictor
    if predictor is not None and (predictor.image_uri or (predictor.instance_type or "").lower() == "local"):
        return "the model runs in a container on the leader"
    reason = not_shardable(config)
    if reason is None and config.methods.needs_explanations:
        from analyzer.stages import not_streamable

        reason = not_streamable(config)
    return reason


def run_sharded(config: AnalysisConfig, uri: str | Path, cluster: Cluster, rows: int, writer: OutputWriter,
                parts: int) -> tuple[dict[str, Any], tuple[BiasResult, ...], StreamedExplanation | None, Dataset, int]:
    """(analysis.json, the bias results, the explanations, the layout, the rows) of the dataset at
    ``uri`` read by the workers in shards of at most ``rows`` rows; local SHAP values go to out.csv,
    in ``parts`` part files on a multi-host job."""
    from analyzer.stages import document, model_session

    token = uuid.uuid4().hex
    client = cluster.client
    try:
        source, layout, shards = prepare(client, config, uri, rows, lambda layout: (), cluster.settings, token)
        total = sum(shard.rows for shard in shards)
        with model_session(config, layout) as leader:
            assert leader is not None   # the job calls the model (analyzer.distributed.hooks)
            with cluster.predictor(leader, config, layout.features) as predictor:
                assert isinstance(predictor, DaskPredictor)   # a model the workers cannot share is not sharded
                bias, explained = _analyses(config, predictor, source, layout, shards, writer, parts)
    finally:
        try:
            client.run(forget, token)
        except Exception as exc:  # noqa: BLE001 - a lost worker has nothing left to delete
            log.debug("Deleting the workers' copies of the data: %s", exc)
    results = bias.bias if bias is not None else ()
    if explained is None:
        assert bias is not None
        return bias.document(), results, None, bias.layout, total
    return document(bias, explained), results, explained, explained.dataset, total


def _analyses(config: AnalysisConfig, predictor: DaskPredictor, source: ShardSource, layout: Dataset,
              shards: list[Shard], writer: OutputWriter,
              parts: int) -> tuple[ChunkedResult | None, StreamedExplanation | None]:
    """Bias (post-training predictions and counts on the workers), then the explanations."""
    bias = explained = None
    if config.methods.needs_bias:
        from analyzer.distributed.bias_shards import run_sharded_bias
        from analyzer.stages import text_columns

        text = set(text_columns(config)(layout))   # CSV columns typed once, from all their values
        counted = replace(source, text_columns=tuple(name for name in source.columns if name in text))
        bias = run_sharded_bias(config, predictor, counted, layout, shards)
    if config.methods.needs_explanations:
        plain = replace(source, text_columns=())   # typed as a whole read types them (the survey)
        explained = explain_shards(config, predictor, plain, layout, shards, writer, parts)
    return bias, explained


def explain_shards(config: AnalysisConfig, predictor: DaskPredictor, source: ShardSource, layout: Dataset,
                   shards: list[Shard], writer: OutputWriter, parts: int) -> StreamedExplanation:
    from analyzer.explain import Explanation
    from analyzer.stages import StreamedExplanation, check_job, explanation_settings, merge_surveys, survey_columns

    client = predictor.client
    names, columns, grid, auto = survey_columns(config, layout)
    log.info("The workers survey the dataset: its size and column types.")
    surveyed: list[Survey] = []
    predictor.run_shards(shards, "dataset survey",
         lambda s: client.submit(survey_shard, source, s, columns, grid, names if auto else None, pure=False),
         lambda s, part: surveyed.append(part))
    found = merge_surveys(surveyed)
    types = replace(found, kept=[], numeric={}, categories={})   # what a worker needs: the whole read's types
    typed = found.typed(layout.frame.loc[:, names])
    layout = replace(layout, frame=found.typed(layout.frame))
    shap, pdp = explanation_settings(config, typed, predictor.leader.max_rows_per_call)
    check_job(config, found.rows, typed, shap, pdp)
    result = StreamedExplanation(Explanation(shap_settings=shap), layout, None, found.rows)
    if shap is not None:
        from analyzer.distributed.shard_shap import shap_shards

        shap_shards(result, shap, predictor, source, shards, found, types, writer, parts, auto)
    if pdp is not None:
        _pdp(result, pdp, predictor, source, shards, found, types)
    return result


def _pdp(result: StreamedExplanation, pdp: Any, predictor: DaskPredictor, source: ShardSource, shards: list[Shard],
         found: Survey, types: Survey) -> None:
    from analyzer.explain import pdp_features
    from analyzer.stages import PdpStream, pdp_scratch

    e, names = result.explanation, list(result.dataset.features)
    kernel = e.kernel_shap
    chosen = pdp_features(names, pdp, result.glob, kernel.feature_names if kernel is not None else None)
    labels = e.labels or (list(pdp.label_names) if pdp.label_names is not None else None)
    log.info("Calculating partial dependence plots on the workers: %s", ", ".join(chosen))
    client, per_call = predictor.client, predictor.leader.max_rows_per_call
    shares: list[Done] = []
    with pdp_scratch() as folder:
        stream = PdpStream(_scored_on_workers, found, chosen, pdp.grid_resolution, labels, per_call, folder)

        def merge(shard: Shard, done: Done) -> None:
            stream.add_part(shard.offset, done.value)
            shares.append(done)

        began = time.perf_counter()
        predictor.run_shards(shards, "PDP", lambda s: client.submit(
            pdp_shard, predictor.model, source, s, types, tuple(names), stream.grid, per_call, pure=False), merge)
        log.info("PDP on the workers in %.1f s: %s", time.perf_counter() - began, worker_shares(shares))
        e.pdp = stream.finish()
    if not e.labels and e.pdp:
        e.labels = list(e.pdp[0]["label_headers"])



def _scored_on_workers(frame: Any) -> Any:
    raise RuntimeError("PDP parts are scored on the workers")
