"""Kernel SHAP in independent parts of the records, merged into the bits of one run over all of them.

Why parts: on a Dask cluster each worker reads its own row range of the dataset and explains it, calling
the model itself; the leader never holds the dataset, it only merges what the workers return. Nothing a
part computes may depend on which part it is, or the merged result would depend on the split:

- a record's local values depend on its pattern's coalition design only, and that is drawn from the seed
  and the pattern (:func:`~analyzer.explain._run.pattern_solver`): a part's local values are the whole
  run's;
- the global values are sums over the records in record order (numpy's row after row; a single column
  pairwise, so it is kept and summed at the end): the merger adds the parts strictly in record order;
  the median is no sum: parts also ship their records' standard errors and patterns, and the merger
  keeps every value on disk (:mod:`analyzer.explain._median`);
- the global standard errors sum each pattern's draws' influences over fixed blocks of 32 of the
  pattern's records (:mod:`analyzer.explain._influence`). That needs each record's place within its
  pattern in the whole run, hence a cheap first pass (:func:`pattern_counts`, no model calls) from which
  the leader gives every part ``before`` (the pattern's records in earlier parts), ``counts`` and
  ``n_total``.

Why raw edge records: a block's influence is one fixed-shape matrix product over its 32 records; splitting
it into two partial products would change its bits. So a part reduces the blocks that lie entirely inside
it to the tree's nodes (small, and merged in any order), and returns the records of the blocks it shares
with a neighbour (a pattern's first and last records in the part: at most 31 each) as they are; the merger
completes those blocks in record order with the design it rebuilds from the seed.

:class:`analyzer.stages.shap_stream.ShapStream` (a dataset read chunk by chunk) is these pieces run one
after the other in one process, with the pattern counts learnt at the end (``counts=None``).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyzer.explain._design import Solver
from analyzer.explain._estimate import influence_map
from analyzer.explain._frames import encode
from analyzer.explain._game import Predict
from analyzer.explain._influence import PartInfluence, PatternInfluence, Records, TreeSum, joined, whole_blocks
from analyzer.explain._median import MedianSpill
from analyzer.explain._patterns import find_patterns
from analyzer.explain._run import Run, pattern_solver
from analyzer.explain.baseline import Baseline
from analyzer.explain.explanation import ShapSettings
from analyzer.explain.kernel_shap import KernelShapResult, _warnings, kernel_shap, resolve_features
from analyzer.explain.report import global_values

log = logging.getLogger("analyzer.explain.kernel_shap")   # kernel_shap's own: its lines, once for the job

#: The varying features' column numbers (in the dataset's feature columns) of a pattern.
PatternKey = tuple[int, ...]

#: A pattern's record count when it is not known yet (its last block is closed at the end).
UNKNOWN = int(np.iinfo(np.int64).max)

__all__ = ["PatternKey", "PatternPart", "ShapMerger", "ShapPart", "explain_part", "part_offsets", "pattern_counts"]


class _OncePerJob(logging.Filter):
    """kernel_shap's warnings name the records of one part: the job's are logged once, by the merger."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.WARNING


@dataclass
class PatternPart:
    """One pattern's share of a part: where its records sit in the pattern, and their influence sums."""

    m: int                       # varying features
    samples: int                 # coalitions per record
    units: int                   # random draws of the design (0: enumerated, no sampling error to sum)
    mask: bytes                  # packed bits of the varying features among the explained ones (sort key)
    start: int                   # the pattern's records in earlier parts
    held: int                    # the pattern's records in this part
    abs: dict[tuple[int, int], np.ndarray]   # tree nodes of the whole blocks (mean_abs)
    sq: dict[tuple[int, int], np.ndarray]    # the same for mean_sq
    head: Records | None         # raw records finishing a block begun in earlier parts
    tail: Records | None         # raw records of a block later parts finish


@dataclass
class ShapPart:
    """What :func:`explain_part` returns: picklable, no frame and no model."""

    feature_names: list[str]
    players: np.ndarray          # the explained features' column numbers
    local_values: np.ndarray     # (n, p, d), the part's records in order
    expected_value: np.ndarray   # (d,)
    num_varying: np.ndarray      # (n,)
    num_samples_used: np.ndarray  # (n,)
    patterns: dict[PatternKey, PatternPart]
    model_calls: int
    model_rows: int
    median: tuple[np.ndarray, np.ndarray] | None = None   # agg_method median: records' std errors and patterns


def pattern_counts(records: pd.DataFrame, baseline: Baseline, settings: ShapSettings) -> dict[PatternKey, int]:
    """Records per pattern (no model calls): the first pass that places every part in the whole run."""
    players = np.asarray(resolve_features([str(c) for c in records.columns], settings.features_to_explain),
                         dtype=np.intp)
    _, (x_vals, b_vals) = encode(records, baseline.rows)
    found = find_patterns(x_vals, b_vals, players, settings.num_samples)
    held = np.bincount(found.pattern_of, minlength=len(found.players))
    return {_key(v): int(c) for v, c in zip(found.players, held.tolist()) if c}


def part_offsets(per_part: Sequence[Mapping[PatternKey, int]]) -> tuple[list[dict[PatternKey, int]],
                                                                      dict[PatternKey, int]]:
    """From each part's :func:`pattern_counts` (parts in record order): every part's ``before`` (for the
    patterns it holds: a small message to a worker) and the whole run's ``counts``."""
    counts: dict[PatternKey, int] = {}
    befores = []
    for found in per_part:
        befores.append({key: counts.get(key, 0) for key in found})
        for key, held in found.items():
            counts[key] = counts.get(key, 0) + held
    return befores, counts


def _key(players: np.ndarray) -> PatternKey:
    return tuple(int(f) for f in players)


def explain_part(predict: Predict, records: pd.DataFrame, baseline: Baseline, settings: ShapSettings, n_total: int,
                 before: Mapping[PatternKey, int], counts: Mapping[PatternKey, int] | None,
                 solvers: MutableMapping[PatternKey, Solver] | None = None) -> ShapPart:
    """Kernel SHAP of one part's records placed in the whole run of ``n_total`` records: ``before`` gives
    each pattern's records in earlier parts, ``counts`` its records in the whole run (None: not known,
    the merger learns them). ``solvers`` (optional, shared with a :class:`ShapMerger` in this process)
    keeps the patterns' solvers so they are built once."""
    s = settings
    shared: MutableMapping[PatternKey, Solver] = {} if solvers is None else solvers
    out: dict[PatternKey, PatternPart] = {}
    pattern_of: list[np.ndarray] = []

    def runner(run: Run, max_rows: int) -> None:
        keys = [_key(v) for v in run.patterns.players]
        start = np.array([before.get(k, 0) for k in keys], dtype=np.int64)
        assert run.position is not None
        run.position = run.position + start[run.patterns.pattern_of]
        run.counts = np.full(len(keys), UNKNOWN, dtype=np.int64)   # no pattern closes in a part: the merger does
        run.n_total = n_total

        def begin(pattern: int) -> tuple[Solver, PatternInfluence]:
            key = keys[pattern]
            if key not in shared:
                shared[key] = pattern_solver(run.seed, run.patterns.players[pattern], run.num_samples)
            solver = shared[key]
            count = UNKNOWN if counts is None else counts[key]
            first = int(start[pattern])
            lo, hi = whole_blocks(first, first + int(run.held[pattern]), count)
            return solver, PartInfluence(solver.design, influence_map(solver), n_total, count, lo=lo, hi=hi)

        run.start = begin
        run.explain_all(max_rows)
        out.update({key: _share(run, i, int(start[i])) for i, key in enumerate(keys)})
        pattern_of.append(run.patterns.pattern_of)   # numbers into keys: out's keys, in the same order

    quiet = _OncePerJob()
    log.addFilter(quiet)
    try:
        result = kernel_shap(predict, records, baseline.rows, baseline_weights=baseline.weights,
                             features_to_explain=s.features_to_explain, num_samples=s.num_samples, seed=s.seed,
                             use_logit=s.use_logit, max_rows_per_call=s.max_rows_per_call,
                             agg_method=s.agg_method, runner=runner)
    finally:
        log.removeFilter(quiet)
    players = np.asarray(resolve_features([str(c) for c in records.columns], s.features_to_explain), dtype=np.intp)
    median = (result.local_std_errors, np.concatenate([np.zeros(0, np.intp), *pattern_of]))
    return ShapPart(result.feature_names, players, result.local_values, result.expected_value, result.num_varying,
                    result.num_samples_used, out, result.model_calls, result.model_rows,
                    median if s.agg_method == "median" else None)


def _share(run: Run, pattern: int, start: int) -> PatternPart:
    """What the merger needs of one pattern of an explained part."""
    influence = run.cache[pattern][1] if pattern in run.cache else None
    assert influence is None or (isinstance(influence, PartInfluence) and not influence.pending)
    units = len(influence.design.unit_counts) if influence else 0
    players = run.patterns.players[pattern]
    varying = np.zeros(len(run.players), dtype=bool)
    varying[[run.col_of[int(f)] for f in players]] = True
    share = PatternPart(m=len(players), samples=int(run.patterns.samples[pattern]), units=units,
                        mask=np.packbits(varying).tobytes(), start=start, held=int(run.held[pattern]),
                        abs={}, sq={}, head=None, tail=None)
    if isinstance(influence, PartInfluence) and units:   # an enumerated design adds nothing to the errors
        share.abs, share.sq = influence.abs.nodes, influence.sq.nodes
        share.head, share.tail = joined(influence.head), joined(influence.tail)
    return share


class ShapMerger:
    """Parts (:func:`explain_part`) added strictly in record order give the result of one run over all
    their records: :meth:`add` hands back each part's local values, :meth:`finish` the rest."""

    def __init__(self, settings: ShapSettings, n_total: int, counts: Mapping[PatternKey, int] | None,
                 solvers: MutableMapping[PatternKey, Solver] | None = None) -> None:
        self.settings, self.n_total, self.counts = settings, n_total, counts
        self.solvers: MutableMapping[PatternKey, Solver] = {} if solvers is None else solvers
        self.seen: dict[PatternKey, int] = {}                         # pattern -> records so far
        self.info: dict[PatternKey, tuple[int, int, bytes]] = {}      # pattern -> (m, samples, mask)
        self.open: dict[PatternKey, PatternInfluence] = {}            # pattern -> its influence sums
        self.sums: np.ndarray | None = None
        self.kept: list[np.ndarray] = []
        self.first: ShapPart | None = None
        self.calls = self.rows = 0                                    # model calls and rows of the parts
        self.median = MedianSpill(n_total)   # agg_method median (not a sum): every local value, on disk

    def add(self, part: ShapPart) -> KernelShapResult:
        """The next part in record order; its records' local values (no standard errors: not shipped)."""
        self.first = self.first or part
        self.calls, self.rows = self.calls + part.model_calls, self.rows + part.model_rows
        if self.settings.agg_method == "median":
            self.median.add_part(part)
        else:
            self._sum(part.local_values)
        for key, share in part.patterns.items():
            if share.start != self.seen.get(key, 0):
                raise ValueError(f"a Kernel SHAP part starts pattern {key} at record {share.start} of it; "
                                 f"{self.seen.get(key, 0)} came before (parts must be added in record order)")
            self.seen[key] = share.start + share.held
            self.info.setdefault(key, (share.m, share.samples, share.mask))
            if share.units == 0:   # no draws: its variance is 0, and adding 0 to the sums changes no bit
                continue
            if key not in self.open:
                self.open[key] = self._start(key)
            influence = self.open[key]
            influence.abs.merge(TreeSum(share.abs))
            influence.sq.merge(TreeSum(share.sq))
            for records in (share.head, share.tail):
                if records is not None:
                    influence.add(*records)
        p, d = part.local_values.shape[1:]
        return KernelShapResult(
            feature_names=part.feature_names, local_values=part.local_values, expected_value=part.expected_value,
            local_std_errors=np.zeros((0, p, d)), num_varying=part.num_varying,
            num_samples_used=part.num_samples_used, global_std_errors={}, model_calls=part.model_calls,
            model_rows=part.model_rows)

    def _start(self, key: PatternKey) -> PatternInfluence:
        if key not in self.solvers:
            seed = 0 if self.settings.seed is None else int(self.settings.seed)   # as kernel_shap's
            self.solvers[key] = pattern_solver(seed, np.array(key, dtype=np.intp), self.settings.num_samples)
        solver = self.solvers[key]
        count = UNKNOWN if self.counts is None else self.counts[key]
        return PatternInfluence.start(solver, self.n_total, count)

    def _sum(self, local: np.ndarray) -> None:
        if local.shape[1] * local.shape[2] == 1:   # one column: numpy sums it pairwise, so at the end
            self.kept.append(local)
            return
        values = np.abs(local) if self.settings.agg_method == "mean_abs" else local**2
        start = np.zeros(local.shape[1:]) if self.sums is None else self.sums
        self.sums = np.add.reduce(np.concatenate([start[None], values]), axis=0)

    def finish(self) -> tuple[KernelShapResult, np.ndarray]:
        """The whole run's result (no local values: :meth:`add` handed them out) and its global values."""
        assert self.first is not None, "no part was added"
        if self.counts is not None and self.seen != {k: c for k, c in self.counts.items() if c}:
            raise ValueError("the Kernel SHAP parts do not hold the records the pattern counts promised")
        if sum(self.seen.values()) != self.n_total:
            raise ValueError(f"the Kernel SHAP parts hold {sum(self.seen.values())} records, not {self.n_total}")
        s, first = self.settings, self.first
        if s.agg_method == "median":   # its standard error too (self.median.errors); removes the files
            glob = self.median.finish(first.players)
        elif self.kept:
            glob = global_values(np.concatenate(self.kept), s.agg_method)
            self.kept = []
        else:
            assert self.sums is not None
            glob = self.sums / self.n_total
        order = sorted(self.info, key=lambda k: self.info[k][2])   # the whole run's pattern numbers
        p, d = first.local_values.shape[1:]
        col_of = {int(f): j for j, f in enumerate(first.players)}
        variance = {"mean_abs": np.zeros((p, d)), "mean_sq": np.zeros((p, d))}
        for key in order:
            if key not in self.open:
                continue
            influence = self.open.pop(key)
            influence.finish(self.seen[key])
            var_abs, var_sq = influence.variances(len(key), d)
            cols = np.array([col_of[f] for f in key], dtype=np.intp)
            variance["mean_abs"][cols] += var_abs
            variance["mean_sq"][cols] += var_sq
        seen = [self.seen[k] for k in order]
        varying = np.repeat([self.info[k][0] for k in order], seen).astype(np.intp)
        used = np.repeat([self.info[k][1] for k in order], seen).astype(np.int64)
        warnings = _warnings(varying, used, self.n_total)
        for message in warnings:
            log.warning(message)
        result = KernelShapResult(
            feature_names=first.feature_names, local_values=np.zeros((0, p, d)), expected_value=first.expected_value,
            local_std_errors=np.zeros((0, p, d)), num_varying=varying, num_samples_used=used,
            global_std_errors={k: np.sqrt(v) for k, v in variance.items()} | self.median.errors, warnings=warnings,
            model_calls=self.calls, model_rows=self.rows)
        return result, glob
