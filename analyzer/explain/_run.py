"""One Kernel SHAP run over the records, chunk by chunk (see :mod:`analyzer.explain.kernel_shap`)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analyzer.explain._design import Solver, coalition_design, make_solver
from analyzer.explain._estimate import solve
from analyzer.explain._frames import Codec
from analyzer.explain._game import CountingPredict, link, synthetic_rows, weighted_sum
from analyzer.explain._influence import BLOCK, PatternInfluence
from analyzer.explain._patterns import Group, Patterns, chunks, split_groups
from analyzer.explain._pipeline import overlapped
from analyzer.progress import Progress


@dataclass
class Run:
    """One Kernel SHAP run: the game's inputs, and the local values, their variances and the global
    values' variances, filled chunk by chunk (one model call per chunk).

    A run may cover a shard of the records (:meth:`shard`): then ``position`` (each record's place
    within its pattern), ``counts`` (records per pattern) and ``n_total`` describe the whole run, and
    patterns the shard holds only partly are left in ``cache`` for the leader to merge
    (:meth:`absorb`)."""

    model: CountingPredict
    codec: Codec
    x_vals: np.ndarray
    b_vals: np.ndarray
    weights: np.ndarray
    players: np.ndarray
    subset_game: bool
    seed: int
    num_samples: int | None
    use_logit: bool
    fnull: np.ndarray
    patterns: Patterns
    position: np.ndarray | None = None     # (n,) place of each record within its pattern
    counts: np.ndarray | None = None       # records per pattern in the whole run
    n_total: int | None = None             # records in the whole run
    cache: dict[int, tuple[Solver, PatternInfluence]] = field(default_factory=dict)
    #: pattern number -> its solver and influence sums when the pattern first appears (default: :meth:`_start`);
    #: :mod:`analyzer.explain.parts` sets it to reuse solvers and to keep the records of partial blocks raw
    start: Callable[[int], tuple[Solver, PatternInfluence]] | None = None

    def __post_init__(self) -> None:
        n, p, d = len(self.x_vals), len(self.players), self.fnull.shape[0]
        self.local = np.zeros((n, p, d))
        self.local_var = np.zeros((n, p, d))
        self.col_of = {int(f): i for i, f in enumerate(self.players)}
        pattern_of = self.patterns.pattern_of
        self.remaining = np.bincount(pattern_of, minlength=len(self.patterns.players))
        self.held = self.remaining.copy()      # records of each pattern in this run (or shard)
        if self.position is None:
            order = self.order()
            starts = np.concatenate([[0], np.cumsum(self.remaining)[:-1]])
            self.position = np.empty(n, dtype=np.int64)
            self.position[order] = np.arange(n) - starts[pattern_of[order]]
        self.counts = self.remaining.copy() if self.counts is None else self.counts
        self.n_total = n if self.n_total is None else self.n_total
        self.pattern_var: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # finished patterns' variances

    def order(self) -> np.ndarray:
        """Record numbers in pattern order (ties by record number)."""
        return np.lexsort((np.arange(len(self.x_vals)), self.patterns.pattern_of))

    @property
    def global_var(self) -> dict[str, np.ndarray]:
        """The global values' variances: the patterns' contributions added in pattern order."""
        p, d = len(self.players), self.fnull.shape[0]
        out = {"mean_abs": np.zeros((p, d)), "mean_sq": np.zeros((p, d))}
        for pattern in sorted(self.pattern_var):
            cols = self._cols(pattern)
            var_abs, var_sq = self.pattern_var[pattern]
            out["mean_abs"][cols] += var_abs
            out["mean_sq"][cols] += var_sq
        return out

    def _cols(self, pattern: int) -> np.ndarray:
        return np.array([self.col_of[int(f)] for f in self.patterns.players[pattern]], dtype=np.intp)

    def explain_all(self, max_rows_per_call: int) -> None:
        """Every record, in pattern order, in chunks of at most ``max_rows_per_call`` synthetic rows; the
        next chunk is built and the last one estimated while the model works (:mod:`._pipeline`)."""
        pattern_of, n = self.patterns.pattern_of, len(self.x_vals)
        order = self.order()
        n_base, extra = len(self.b_vals), (len(self.b_vals) if self.subset_game else 0)
        num_varying = self.patterns.num_varying
        rows_needed = np.where(num_varying >= 2, self.patterns.samples[pattern_of] * n_base, 0)
        rows_needed = rows_needed + np.where(num_varying >= 1, 1 + extra, 0)
        with Progress(n, "Kernel SHAP: explaining records") as progress:
            def finish(state: tuple[list[Group], list], preds: np.ndarray | None) -> None:
                self._estimate(state, preds)
                progress.advance(sum(len(group.rows) for group in state[0]))

            overlapped(chunks(order, rows_needed[order], max_rows_per_call), self._build, self._call, finish)

    # Thread safety: _build (helper thread) adds a pattern's solver to ``cache`` when the pattern first
    # appears, _estimate (the other helper thread) removes patterns whose records are all done. Chunks
    # are built in order before they are estimated, so a pattern that is still being built is never
    # one being removed, and each step touches its own entries.
    def _build(self, chunk: np.ndarray) -> tuple[pd.DataFrame | None, tuple[list[Group], list]]:
        """The chunk's synthetic rows as the model's input, and what estimating it needs."""
        groups = split_groups(chunk, self.patterns.pattern_of)
        frames, plan = self._plan(groups)
        return (self.codec.decode(np.concatenate(frames)) if frames else None), (groups, plan)

    def _call(self, frame: pd.DataFrame | None) -> np.ndarray | None:
        return None if frame is None else self.model(frame)

    def _estimate(self, state: tuple[list[Group], list], preds: np.ndarray | None) -> None:
        groups, plan = state
        if preds is not None:
            self._apply(plan, preds)
        self._finish(groups)

    def _plan(self, groups: list[Group]) -> tuple[list[np.ndarray], list[tuple[Group, np.ndarray, Solver | None]]]:
        """Synthetic rows for the groups of a chunk, and what to do with their predictions."""
        frames, plan = [], []
        for group in groups:
            v = self.patterns.players[group.pattern]
            m = len(v)
            if m == 0:
                continue
            solver = None
            if m >= 2:
                if group.pattern not in self.cache:
                    self.cache[group.pattern] = (self.start or self._start)(group.pattern)
                solver = self.cache[group.pattern][0]
            frames.append(synthetic_rows(self.x_vals[group.rows], self.b_vals, v, self.players, solver,
                                         self.subset_game))
            plan.append((group, v, solver))
        return frames, plan

    def _start(self, pattern: int) -> tuple[Solver, PatternInfluence]:
        solver = pattern_solver(self.seed, self.patterns.players[pattern], self.num_samples)
        assert self.counts is not None and self.n_total is not None  # set in __post_init__
        return solver, PatternInfluence.start(solver, self.n_total, int(self.counts[pattern]))

    def _apply(self, plan: list[tuple[Group, np.ndarray, Solver | None]], preds: np.ndarray) -> None:
        """Local values (and their variances and influences) from the chunk's predictions."""
        n_base, d = len(self.b_vals), self.fnull.shape[0]
        extra = n_base if self.subset_game else 0
        weights, use_logit = self.weights, self.use_logit
        offset = 0
        for group, _, solver in plan:
            r = len(group.rows)
            s = solver.design.num_samples if solver is not None else 0
            block = preds[offset:offset + r * (s * n_base + extra + 1)]
            offset += len(block)
            fx = block[:r]
            rest = block[r:]
            ey = weighted_sum(rest[: r * s * n_base].reshape(r, s, n_base, d), weights) if s else None
            if self.subset_game:
                v0 = weighted_sum(rest[r * s * n_base:].reshape(r, 1, n_base, d), weights)[:, 0]
            else:
                v0 = np.broadcast_to(self.fnull, (r, d))
            g0 = link(v0, use_logit)
            delta = link(fx, use_logit) - g0
            cols = self._cols(group.pattern)
            if solver is None:  # one varying feature takes everything
                self.local[group.rows[:, None], cols[None, :]] = delta[:, None, :]
                continue
            assert ey is not None  # a solver means at least one coalition (s > 0)
            y = link(ey, use_logit) - g0[:, None, :]
            phi, var, diffs = solve(solver, y, delta)
            self.local[group.rows[:, None], cols[None, :]] = phi
            self.local_var[group.rows[:, None], cols[None, :]] = var
            assert self.position is not None  # set in __post_init__
            self.cache[group.pattern][1].add(self.position[group.rows], diffs, phi)

    def _finish(self, groups: list[Group]) -> None:
        """A pattern whose records are all done adds its draws' variance; in a shard that holds only
        part of the pattern, its influence sums stay in ``cache`` for the leader."""
        assert self.counts is not None  # set in __post_init__
        for group in groups:
            pattern = group.pattern
            self.remaining[pattern] -= len(group.rows)
            if self.remaining[pattern] == 0 and pattern in self.cache and self.held[pattern] == self.counts[pattern]:
                self._close(pattern, self.cache.pop(pattern)[1])

    def _close(self, pattern: int, influence: PatternInfluence) -> None:
        self.pattern_var[pattern] = influence.variances(len(self.patterns.players[pattern]), self.fnull.shape[0])

    # ------------------------------------------------------------------ shards
    def shards(self, records_per_shard: int) -> list[np.ndarray]:
        """Record numbers in pattern order, cut into runs of about ``records_per_shard`` records that
        start on an influence block (so each block is computed whole in one place)."""
        assert self.position is not None
        order = self.order()
        allowed = np.flatnonzero(self.position[order] % BLOCK == 0)
        cuts, last = [], 0
        for cut in allowed.tolist():
            if cut - last >= records_per_shard:
                cuts.append(cut)
                last = cut
        return [part for part in np.split(order, cuts) if len(part)]

    def shard(self, rows: np.ndarray, model: CountingPredict) -> Run:
        """The run of the records ``rows`` (one of :meth:`shards`) with ``model``, e.g. on a worker."""
        p = self.patterns
        sub = Patterns(p.pattern_of[rows], p.players, p.num_varying[rows], p.samples)
        assert self.position is not None
        return Run(model=model, codec=self.codec, x_vals=self.x_vals[rows], b_vals=self.b_vals, weights=self.weights,
                   players=self.players, subset_game=self.subset_game, seed=self.seed, num_samples=self.num_samples,
                   use_logit=self.use_logit, fnull=self.fnull, patterns=sub, position=self.position[rows],
                   counts=self.counts, n_total=self.n_total)

    def partials(self) -> dict[int, PatternInfluence]:
        """The influence sums of patterns this shard holds only part of."""
        return {pattern: influence.shippable() for pattern, (_, influence) in self.cache.items()}

    def absorb(self, rows: np.ndarray, local: np.ndarray, local_var: np.ndarray,
               pattern_var: dict[int, tuple[np.ndarray, np.ndarray]], partials: dict[int, PatternInfluence],
               merged: dict[int, PatternInfluence]) -> None:
        """A shard's results into this (the whole) run; ``merged`` collects the partial patterns."""
        self.local[rows] = local
        self.local_var[rows] = local_var
        self.pattern_var.update(pattern_var)
        for pattern, influence in partials.items():
            if pattern in merged:
                merged[pattern].merge(influence)
            else:
                merged[pattern] = influence

    def close_merged(self, merged: dict[int, PatternInfluence]) -> None:
        for pattern, influence in merged.items():
            self._close(pattern, influence)


def pattern_solver(seed: int, players: np.ndarray, num_samples: int | None) -> Solver:
    """The coalition design and solver of the pattern whose varying features are ``players`` (two or
    more): drawn from the seed and the pattern only, so every process that explains the pattern's
    records builds the same bits."""
    m = len(players)
    rng = np.random.default_rng(np.random.SeedSequence([seed, m, *players.tolist()]))
    return make_solver(coalition_design(m, num_samples, rng))
