"""One Kernel SHAP run over the records, chunk by chunk (see :mod:`analyzer.explain.kernel_shap`)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analyzer.explain._design import Solver, coalition_design, make_solver
from analyzer.explain._estimate import PatternStats, draw_variance, solve
from analyzer.explain._frames import Codec
from analyzer.explain._game import CountingPredict, link, synthetic_rows, weighted_sum
from analyzer.explain._patterns import Group, Patterns, chunks, split_groups, with_progress


@dataclass
class Run:
    """One Kernel SHAP run: the game's inputs, and the local values, their variances and the global
    values' variances, filled chunk by chunk (one model call per chunk)."""

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
    cache: dict[int, tuple[Solver, PatternStats]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n, p, d = len(self.x_vals), len(self.players), self.fnull.shape[0]
        self.local = np.zeros((n, p, d))
        self.local_var = np.zeros((n, p, d))
        self.global_var = {"mean_abs": np.zeros((p, d)), "mean_sq": np.zeros((p, d))}
        self.col_of = {int(f): i for i, f in enumerate(self.players)}
        self.remaining = np.bincount(self.patterns.pattern_of, minlength=len(self.patterns.players))

    def explain_all(self, max_rows_per_call: int) -> None:
        """Every record, in pattern order, in chunks of at most ``max_rows_per_call`` synthetic rows."""
        pattern_of, n = self.patterns.pattern_of, len(self.x_vals)
        order = np.lexsort((np.arange(n), pattern_of))
        n_base, extra = len(self.b_vals), (len(self.b_vals) if self.subset_game else 0)
        num_varying = self.patterns.num_varying
        rows_needed = np.where(num_varying >= 2, self.patterns.samples[pattern_of] * n_base, 0)
        rows_needed = rows_needed + np.where(num_varying >= 1, 1 + extra, 0)
        for chunk in with_progress(chunks(order, rows_needed[order], max_rows_per_call), n):
            groups = split_groups(chunk, pattern_of)
            frames, plan = self._plan(groups)
            if frames:
                self._apply(plan, self.model(self.codec.decode(np.concatenate(frames))))
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
                    rng = np.random.default_rng(np.random.SeedSequence([self.seed, m, *v.tolist()]))
                    solver = make_solver(coalition_design(m, self.num_samples, rng))
                    self.cache[group.pattern] = (solver, PatternStats(solver, m, self.fnull.shape[0]))
                solver = self.cache[group.pattern][0]
            frames.append(synthetic_rows(self.x_vals[group.rows], self.b_vals, v, self.players, solver,
                                         self.subset_game))
            plan.append((group, v, solver))
        return frames, plan

    def _apply(self, plan: list[tuple[Group, np.ndarray, Solver | None]], preds: np.ndarray) -> None:
        """Local values (and their variances and influences) from the chunk's predictions."""
        n_base, d, n = len(self.b_vals), self.fnull.shape[0], len(self.x_vals)
        extra = n_base if self.subset_game else 0
        weights, use_logit = self.weights, self.use_logit
        offset = 0
        for group, v, solver in plan:
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
            cols = np.array([self.col_of[int(f)] for f in v], dtype=np.intp)
            if solver is None:  # one varying feature takes everything
                self.local[group.rows[:, None], cols[None, :]] = delta[:, None, :]
                continue
            assert ey is not None  # a solver means at least one coalition (s > 0)
            y = link(ey, use_logit) - g0[:, None, :]
            phi, var, infl_abs, infl_sq = solve(solver, y, delta, n)
            self.local[group.rows[:, None], cols[None, :]] = phi
            self.local_var[group.rows[:, None], cols[None, :]] = var
            stats = self.cache[group.pattern][1]
            stats.abs += infl_abs
            stats.sq += infl_sq

    def _finish(self, groups: list[Group]) -> None:
        """A pattern whose records are all done adds its draws' variance to the global values."""
        for group in groups:
            self.remaining[group.pattern] -= len(group.rows)
            if self.remaining[group.pattern] == 0 and group.pattern in self.cache:
                solver, stats = self.cache.pop(group.pattern)
                cols = np.array([self.col_of[int(f)] for f in self.patterns.players[group.pattern]])
                self.global_var["mean_abs"][cols] += draw_variance(solver.design, stats.abs)
                self.global_var["mean_sq"][cols] += draw_variance(solver.design, stats.sq)
