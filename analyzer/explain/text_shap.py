"""Kernel SHAP over text units mixed with tabular features (``methods.shap.text_config``).

The game
--------
Record ``x``; baseline rows ``b_1..b_B`` (weights ``w_b``) whose text columns hold the
replacement string (default ``""``). The players of a record are its tabular features that differ
from at least one baseline row (the others get 0, as in :mod:`kernel_shap`) plus every unit of
every text feature (:mod:`text_units`). ``v(S) = link(sum_b w_b f(row_b(S)))`` where ``row_b(S)``
takes present tabular features from ``x`` and absent ones from ``b``, and rebuilds each text with
the absent units replaced by ``b``'s string. ``sum(phi) = link(f(x)) - v(empty)`` per record;
``expected_value = link(sum_b w_b f(b))`` as for tables (equal to ``v(empty)`` when the replacement
is empty and every tabular feature varies).

The estimator is the tabular one (``_design``: shap's schedule, efficiency-constrained WLS): records
are grouped by their number of players ``m``; each group shares one design seeded by
``SeedSequence([seed, m])``, and its records go to the model in chunks of ``max_rows_per_call`` rows.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analyzer.errors import DataError
from analyzer.explain._design import coalition_design, make_solver
from analyzer.explain._frames import encode, equal_values
from analyzer.explain._estimate import solve as _solve
from analyzer.explain._game import CountingPredict as _CountingPredict
from analyzer.explain._game import Predict
from analyzer.explain._game import link as _link
from analyzer.explain._game import weighted_sum as _weighted_sum
from analyzer.explain.kernel_shap import DEFAULT_MAX_ROWS_PER_CALL
from analyzer.explain.text_units import TextSettings, Units, split_units
from analyzer.progress import Progress

log = logging.getLogger(__name__)


@dataclass
class TextShapResult:
    """Local values per record: tabular features in ``tabular_values`` (n, T, D); text units in
    ``unit_values[i][feature]`` (units, D) next to ``units[i][feature]`` (texts and offsets)."""

    feature_names: list[str]
    text_features: list[str]
    tabular_features: list[str]
    expected_value: np.ndarray
    tabular_values: np.ndarray
    units: list[dict[str, Units]]
    unit_values: list[dict[str, np.ndarray]]
    num_players: np.ndarray
    num_samples_used: np.ndarray
    warnings: list[str] = field(default_factory=list)
    model_calls: int = 0
    model_rows: int = 0


@dataclass
class _Record:
    index: int
    tab_players: np.ndarray          # tabular column positions (in the tabular list) that vary
    units: dict[str, Units]

    @property
    def size(self) -> int:
        return len(self.tab_players) + sum(len(u) for u in self.units.values())


def _replacements(baseline: pd.DataFrame, text_features: Sequence[str]) -> dict[str, list[str]]:
    out = {}
    for c in text_features:
        out[c] = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in baseline[c]]
    return out


def text_kernel_shap(
    predict: Predict,
    records: pd.DataFrame,
    baseline: pd.DataFrame,
    text_features: Sequence[str],
    settings: TextSettings,
    *,
    baseline_weights: Sequence[float] | np.ndarray | None = None,
    num_samples: int | None = None,
    seed: int | None = None,
    use_logit: bool = False,
    max_rows_per_call: int = DEFAULT_MAX_ROWS_PER_CALL,
) -> TextShapResult:
    """Kernel SHAP values of ``predict`` for every row of ``records`` (see the module docstring)."""
    names = [str(c) for c in records.columns]
    if list(map(str, baseline.columns)) != names:
        raise DataError(f"The baseline has columns {list(baseline.columns)}; expected the dataset's feature "
                        f"columns {names}.")
    if len(baseline) == 0:
        raise DataError("The SHAP baseline has no rows; give at least one baseline row.")
    text = [str(c) for c in text_features]
    tab = [c for c in names if c not in text]
    n_base = len(baseline)
    weights = np.full(n_base, 1.0 / n_base) if baseline_weights is None else np.asarray(baseline_weights, float)
    weights = weights / weights.sum()
    seed = 0 if seed is None else int(seed)
    model = _CountingPredict(predict, max_rows_per_call)
    fnull = _weighted_sum(model(baseline)[None], weights)[0]
    d = len(fnull)
    reps = _replacements(baseline, text)

    varying: np.ndarray = np.zeros((len(records), len(tab)), dtype=bool)
    if tab:
        _, (x_tab, b_tab) = encode(records[tab], baseline[tab])
        varying = np.asarray(~equal_values(x_tab[:, None, :], b_tab[None, :, :]).all(axis=1))
    recs = [_Record(i, np.flatnonzero(varying[i]),
                    {c: split_units(records[c].iloc[i], settings) for c in text})
            for i in range(len(records))]
    n = len(recs)
    tab_values = np.zeros((n, len(tab), d))
    unit_values: list[dict[str, np.ndarray]] = [{} for _ in range(n)]
    sizes = np.array([r.size for r in recs], dtype=np.intp)
    used = np.zeros(n, dtype=np.intp)
    game = _Game(model, records, baseline, tab, text, reps, weights, use_logit)
    with Progress(n, "Kernel SHAP: explaining text records") as progress:
        for m in np.unique(sizes):
            group = [recs[i] for i in np.flatnonzero(sizes == m)]
            solver = None
            if m >= 2:
                rng = np.random.default_rng(np.random.SeedSequence([seed, int(m)]))
                solver = make_solver(coalition_design(int(m), num_samples, rng))
            s = solver.design.num_samples if solver is not None else 0
            step = max(1, max_rows_per_call // (1 + n_base + s * n_base))
            for start in range(0, len(group), step):
                chunk = group[start:start + step]
                phi = game.solve(chunk, solver, d)
                for k, rec in enumerate(chunk):
                    _store(rec, phi[k], tab_values, unit_values, text)
                    used[rec.index] = s
                progress.advance(len(chunk))
    log.info("Kernel SHAP (text): %d records, %d baseline rows, %d model calls, %d model rows",
             n, n_base, model.calls, model.rows)
    return TextShapResult(
        feature_names=names, text_features=text, tabular_features=tab,
        expected_value=_link(fnull, use_logit), tabular_values=tab_values,
        units=[r.units for r in recs], unit_values=unit_values,
        num_players=sizes, num_samples_used=used,
        model_calls=model.calls, model_rows=model.rows,
    )


@dataclass
class _Game:
    """Evaluates chunks of records that share one design: the model call and the solve."""

    model: _CountingPredict
    records: pd.DataFrame
    baseline: pd.DataFrame
    tab: list[str]
    text: list[str]
    reps: dict[str, list[str]]
    weights: np.ndarray
    use_logit: bool

    def solve(self, chunk: list[_Record], solver, d: int) -> np.ndarray:
        """phi (records, m, D) for the chunk."""
        n_base = len(self.baseline)
        s = solver.design.num_samples if solver is not None else 0
        frame = _synthetic(chunk, self.records, self.baseline, self.tab, self.text, self.reps, solver)
        preds = self.model(frame).reshape(len(chunk), 1 + n_base + s * n_base, d)
        v0 = _link(_weighted_sum(preds[:, 1:1 + n_base], self.weights), self.use_logit)
        delta = _link(preds[:, 0], self.use_logit) - v0
        if solver is None:  # no player, or one that takes everything
            return delta[:, None, :] if chunk[0].size == 1 else np.zeros((len(chunk), 0, d))
        ey = _weighted_sum(preds[:, 1 + n_base:].reshape(len(chunk), s, n_base, d), self.weights)
        return _solve(solver, _link(ey, self.use_logit) - v0[:, None, :], delta)[0]


def _store(rec: _Record, phi: np.ndarray, tab_values: np.ndarray, unit_values: list[dict], text: list[str]) -> None:
    t = len(rec.tab_players)
    tab_values[rec.index, rec.tab_players] = phi[:t]
    offset = t
    for c in text:
        k = len(rec.units[c])
        unit_values[rec.index][c] = phi[offset:offset + k]
        offset += k


def _synthetic(chunk: list[_Record], records: pd.DataFrame, baseline: pd.DataFrame, tab: list[str],
               text: list[str], reps: dict[str, list[str]], solver) -> pd.DataFrame:
    """Rows per record: f(x), the B empty-coalition rows, then s coalitions x B baseline rows."""
    n_base = len(baseline)
    masks = solver.design.masks if solver is not None else np.zeros((0, 0), bool)
    parts: dict[str, list[np.ndarray]] = {c: [] for c in records.columns}
    b_tab = {c: baseline[c].to_numpy(dtype=object) for c in tab}
    for rec in chunk:
        x = records.iloc[rec.index]
        full = np.zeros((len(masks) + 1, rec.size), dtype=bool)  # row 0: the empty coalition
        if len(masks):
            full[1:] = masks
        offset = len(rec.tab_players)
        for c in text:
            units, k = rec.units[c], len(rec.units[c])
            texts = {r: units.rebuild_many(full[:, offset:offset + k], r) for r in set(reps[c])}
            offset += k
            block = np.empty((len(full), n_base), dtype=object)
            for b in range(n_base):
                block[:, b] = texts[reps[c][b]]
            parts[c] += [np.array([x[c]], dtype=object), block.reshape(-1)]
        position = {tab[j]: q for q, j in enumerate(rec.tab_players)}
        for c in tab:
            block = np.broadcast_to(b_tab[c][None, :], (len(full), n_base))
            if c in position:
                block = np.where(full[:, position[c], None], np.array(x[c], dtype=object), block)
            parts[c] += [np.array([x[c]], dtype=object), np.asarray(block, dtype=object).reshape(-1)]
    frame = pd.DataFrame({c: np.concatenate(parts[c]) for c in records.columns}, columns=list(records.columns))
    for c in tab:
        frame[c] = frame[c].astype(records[c].dtype)
    return frame
