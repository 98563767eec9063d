"""Kernel SHAP over a dataset read in chunks, with the same bits as one run over every record.

Each chunk goes through :func:`~analyzer.explain.kernel_shap` (its public function) with a runner that
places the chunk in the whole run before explaining it: a record's position within its pattern counts
the pattern's records of the chunks before, the run's size is the survey's, and each pattern's influence
sums (:class:`~analyzer.explain.PatternInfluence`) carry over from chunk to chunk, so the fixed 32-record
blocks and their tree are those of the whole run whatever the chunk size. The local values are the
whole run's (a record's values depend on its pattern's design only). The global values are summed in
record order as numpy sums a column (row after row; a single column pairwise, so it is kept and summed
at the end: 8 bytes a record); the global standard errors add the patterns' variances in the whole
run's pattern order.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from analyzer.explain import (
    Baseline,
    KernelShapResult,
    PatternInfluence,
    Run,
    ShapSettings,
    global_values,
    kernel_shap,
    sample_warnings,
)

log = logging.getLogger("analyzer.explain.kernel_shap")   # kernel_shap's own: its lines, once for the job

#: A pattern's record count while the chunks are read (its last block is closed at the end).
_UNKNOWN = np.iinfo(np.int64).max


class _OncePerJob(logging.Filter):
    """kernel_shap's warnings name the records of one call: the job's are logged once, at the end."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.WARNING


@dataclass
class ShapStream:
    predict: Callable[[pd.DataFrame], np.ndarray]
    baseline: Baseline
    settings: ShapSettings
    n_total: int
    seen: dict[tuple, int] = field(default_factory=dict)           # pattern -> records so far
    info: dict[tuple, tuple[int, int, bytes]] = field(default_factory=dict)  # pattern -> (m, samples, key)
    open: dict[tuple, tuple] = field(default_factory=dict)          # pattern -> (solver, influence)
    sums: np.ndarray | None = None
    kept: list[np.ndarray] = field(default_factory=list)
    first: KernelShapResult | None = None
    players: np.ndarray | None = None     # the explained features' column numbers
    patterns: tuple[list[tuple], np.ndarray] | None = None   # the last chunk's pattern keys, each record's pattern

    def add(self, records: pd.DataFrame) -> KernelShapResult:
        """Kernel SHAP of one chunk's records (feature columns), placed in the whole run."""
        s = self.settings
        quiet = _OncePerJob()
        log.addFilter(quiet)
        try:
            result = kernel_shap(self.predict, records, self.baseline.rows, baseline_weights=self.baseline.weights,
                                 features_to_explain=s.features_to_explain, num_samples=s.num_samples, seed=s.seed,
                                 use_logit=s.use_logit, max_rows_per_call=s.max_rows_per_call,
                                 agg_method=s.agg_method, runner=self._run)
        finally:
            log.removeFilter(quiet)
        self.first = self.first or result
        self._sum(result.local_values)
        return result

    def _run(self, run: Run, max_rows: int) -> None:
        players = run.patterns.players
        keys = [tuple(int(f) for f in v) for v in players]
        before = np.array([self.seen.get(k, 0) for k in keys], dtype=np.int64)
        assert run.position is not None
        run.position = run.position + before[run.patterns.pattern_of]
        run.counts = np.full(len(keys), _UNKNOWN, dtype=np.int64)
        run.n_total = self.n_total
        run.cache = {i: self.open[k] for i, k in enumerate(keys) if k in self.open}
        run.explain_all(max_rows)
        self.players, self.patterns = run.players, (keys, run.patterns.pattern_of)
        for i, k in enumerate(keys):
            self.seen[k] = self.seen.get(k, 0) + int(run.held[i])
            if k not in self.info:
                mask = np.isin(run.players, players[i])
                self.info[k] = (len(players[i]), int(run.patterns.samples[i]), np.packbits(mask).tobytes())
            if i in run.cache:
                self.open[k] = run.cache[i]

    def _sum(self, local: np.ndarray) -> None:
        if self.settings.agg_method == "median":   # needs every value: the caller spills them (shap_median)
            return
        if local.shape[1] * local.shape[2] == 1:   # one column: numpy sums it pairwise, so at the end
            self.kept.append(local)
            return
        values = np.abs(local) if self.settings.agg_method == "mean_abs" else local**2
        start = np.zeros(local.shape[1:]) if self.sums is None else self.sums
        self.sums = np.add.reduce(np.concatenate([start[None], values]), axis=0)

    def finish(self) -> tuple[KernelShapResult, np.ndarray | None]:
        """The whole run's result (no local values: they went to out.csv) and its global values (None
        for the median: :mod:`analyzer.stages.shap_median` takes it)."""
        assert self.first is not None, "no chunk was explained"
        s, first = self.settings, self.first
        glob: np.ndarray | None
        if self.kept:
            glob = global_values(np.concatenate(self.kept), s.agg_method)
            self.kept = []
        else:
            glob = None if self.sums is None else self.sums / self.n_total
        order = sorted(self.info, key=lambda k: self.info[k][2])   # the whole run's pattern numbers
        p, d = first.local_values.shape[1:]
        assert self.players is not None
        col_of = {int(f): j for j, f in enumerate(self.players)}
        variance = {"mean_abs": np.zeros((p, d)), "mean_sq": np.zeros((p, d))}
        for key in order:
            if key not in self.open:
                continue
            influence: PatternInfluence = self.open.pop(key)[1]
            influence.finish(self.seen[key])
            var_abs, var_sq = influence.variances(len(key), d)
            cols = np.array([col_of[f] for f in key], dtype=np.intp)
            variance["mean_abs"][cols] += var_abs
            variance["mean_sq"][cols] += var_sq
        counts = [self.seen[k] for k in order]
        varying = np.repeat([self.info[k][0] for k in order], counts).astype(np.intp)
        used = np.repeat([self.info[k][1] for k in order], counts).astype(np.int64)
        warnings = sample_warnings(varying, used, self.n_total)
        for message in warnings:
            log.warning(message)
        result = KernelShapResult(
            feature_names=first.feature_names, local_values=np.zeros((0, p, d)), expected_value=first.expected_value,
            local_std_errors=np.zeros((0, p, d)), num_varying=varying, num_samples_used=used,
            global_std_errors={k: np.sqrt(v) for k, v in variance.items()}, warnings=warnings)
        return result, glob

