"""Asymmetric Shapley values for forecasts (``methods.asymmetric_shapley_value``): the numeric core.

The game of one item: a history of ``T`` time steps with ``F`` series (target + related); a coalition
is a ``(T, F)`` mask, present cells keep the item's values and absent cells take the baseline's
(zero or the series mean; static covariates stay at the item's values). ``v(mask)`` is the model's
forecast, ``H`` steps ahead. Asymmetric Shapley values (Frye et al., 2020) average marginal
contributions over the orderings allowed by the causal order only:

- ``timewise`` (players: time steps, all series of a step together)
  - ``chronological``: only the order t1 < t2 < ... is allowed, so
    ``phi_t = v(steps <= t) - v(steps < t)``;
  - ``anti_chronological``: only the reverse order: ``phi_t = v(steps >= t) - v(steps > t)``;
  - ``bidirectional``: the mean of the two.
- ``fine_grained`` (players: cells; ``chronological`` only, as Clarify): steps come in time order and
  the series within a step in any order, so ``phi_(t,f)`` is the Shapley value of ``f`` in the game
  ``S -> v(steps < t, plus {(t, g): g in S})``; exact over the ``2^F`` subsets when
  ``num_samples`` allows (``2^F <= num_samples``), else ``num_samples`` random orderings per step.

Either way ``offset + sum(phi) = v(all)``, with ``offset = v(nothing)`` (the baseline forecast).
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from math import factorial

import numpy as np

from analyzer.errors import ConfigError

#: ``evaluate(masks (k, T, F) bool) -> (k, H)`` forecasts.
Evaluate = Callable[[np.ndarray], np.ndarray]

DIRECTIONS = ("chronological", "anti_chronological", "bidirectional")
GRANULARITIES = ("timewise", "fine_grained")


@dataclass
class AsymmetricResult:
    """``values``: (T, H) for timewise, (T, F, H) for fine_grained; ``offset``: (H,)."""

    values: np.ndarray
    offset: np.ndarray
    evaluations: int


def check_settings(direction: str, granularity: str, num_samples: int | None) -> None:
    """Clarify's rules for the method's keys; each problem names the key."""
    key = "methods.asymmetric_shapley_value"
    if direction not in DIRECTIONS:
        raise ConfigError(f"{key}.direction: {direction!r} is not one of {', '.join(DIRECTIONS)}.")
    if granularity not in GRANULARITIES:
        raise ConfigError(f"{key}.granularity: {granularity!r} is not one of {', '.join(GRANULARITIES)}.")
    if granularity == "fine_grained":
        if direction != "chronological":
            raise ConfigError(f"{key}.direction: fine_grained explanations support only chronological.")
        if num_samples is None or num_samples < 1:
            raise ConfigError(f"{key}.num_samples: a positive integer is required with fine_grained.")


@dataclass
class Plan:
    """The coalitions of one item's game, in blocks, and how to turn their forecasts into values.

    ``block(i)`` is a ``(k_i, T, F)`` mask array (made on demand: fine-grained plans can be large);
    ``finish([out_0, out_1, ...])`` takes the ``(k_i, H)`` forecasts of every block, in order.
    Callers may evaluate blocks of many items together (one model call for several items).
    """

    blocks: int
    block: Callable[[int], np.ndarray]
    finish: Callable[[list[np.ndarray]], AsymmetricResult]
    evaluations: int          # the number of masks over all blocks


def plan(steps: int, series: int, *, direction: str = "chronological", granularity: str = "timewise",
         num_samples: int | None = None, seed: int | None = None) -> Plan:
    """The plan of one item's game (see the module docstring)."""
    check_settings(direction, granularity, num_samples)
    if granularity == "timewise":
        return _timewise(steps, series, direction)
    return _fine_grained(steps, series, int(num_samples or 0), 0 if seed is None else int(seed))


def asymmetric_shapley(evaluate: Evaluate, steps: int, series: int, *, direction: str = "chronological",
                       granularity: str = "timewise", num_samples: int | None = None,
                       seed: int | None = None) -> AsymmetricResult:
    """Asymmetric Shapley values of one item's forecast, evaluating each block in turn."""
    p = plan(steps, series, direction=direction, granularity=granularity, num_samples=num_samples, seed=seed)
    return p.finish([np.asarray(evaluate(p.block(i)), dtype=float) for i in range(p.blocks)])


#: Masks per timewise block: a history of T steps has 2(T + 1) coalitions of T x F cells each.
BLOCK_CELLS = 2_000_000


def _timewise(steps: int, series: int, direction: str) -> Plan:
    # Row k of the prefix part has the first k steps present; row k of the suffix part the last k.
    parts = [p for p, on in (("prefix", direction in ("chronological", "bidirectional")),
                             ("suffix", direction in ("anti_chronological", "bidirectional"))) if on]
    rows = len(parts) * (steps + 1)
    chunk = max(1, BLOCK_CELLS // max(1, steps * series))
    t = np.arange(steps)

    def block(i: int) -> np.ndarray:
        r = np.arange(i * chunk, min(rows, (i + 1) * chunk))
        k, suffix = (r % (steps + 1))[:, None], np.array([parts[j] == "suffix" for j in r // (steps + 1)])[:, None]
        present = np.where(suffix, t[None, :] >= steps - k, t[None, :] < k)
        return np.repeat(present[:, :, None], series, axis=2)

    def finish(outputs: list[np.ndarray]) -> AsymmetricResult:
        out = np.concatenate([np.asarray(o, dtype=float) for o in outputs])
        offset = out[0]                                           # row 0 of either: nothing present
        values = []
        for j, part in enumerate(parts):
            chain = out[j * (steps + 1):(j + 1) * (steps + 1)]
            step = chain[1:] - chain[:-1]                         # the k-th step to join, in joining order
            values.append(step if part == "prefix" else step[::-1])   # suffix: step T-k joins after later ones
        return AsymmetricResult(np.mean(values, axis=0), offset, evaluations=rows)

    return Plan(-(-rows // chunk), block, finish, rows)


def _subset_weights(series: int) -> list[tuple[tuple[int, ...], float]]:
    out: list[tuple[tuple[int, ...], float]] = []
    for size in range(series):
        w = factorial(size) * factorial(series - size - 1) / factorial(series)
        out.extend((subset, w) for subset in itertools.combinations(range(series), size))
    return out


def _fine_grained(steps: int, series: int, num_samples: int, seed: int) -> Plan:
    """One block per time step: every subset of the step's series (exact) or ``num_samples`` random
    orderings of them, with the earlier steps present."""
    exact = 2**series <= num_samples
    rng = np.random.default_rng(np.random.SeedSequence([seed, steps, series]))
    orders = [] if exact else [[rng.permutation(series) for _ in range(num_samples)] for _ in range(steps)]
    subsets = list(itertools.product([False, True], repeat=series)) if exact else []

    def block(t: int) -> np.ndarray:
        base = np.zeros((steps, series), bool)
        base[:t] = True
        if exact:
            masks = np.repeat(base[None], len(subsets), axis=0)
            masks[:, t] = np.array(subsets, bool)
            return masks
        masks = np.repeat(base[None], num_samples * (series + 1), axis=0).reshape(num_samples, series + 1, steps,
                                                                                    series)
        for i, order in enumerate(orders[t]):       # each ordering: a chain of F + 1 masks
            for j in range(1, series + 1):
                masks[i, j:, t, order[j - 1]] = True
        return masks.reshape(-1, steps, series)

    def finish(outputs: list[np.ndarray]) -> AsymmetricResult:
        values, evaluations = [], 0
        for t, out in enumerate(outputs):
            out = np.asarray(out, dtype=float)
            evaluations += len(out)
            values.append(_exact_step(out, subsets, series) if exact else _sampled_step(out, orders[t], series))
        first = np.asarray(outputs[0], dtype=float) if steps else np.zeros((1, 0))
        offset = first[0]                           # the first mask of step 0 has nothing present
        return AsymmetricResult(np.asarray(values), offset, evaluations)

    return Plan(steps, block, finish, steps * (len(subsets) if exact else num_samples * (series + 1)))


def _exact_step(out: np.ndarray, subsets: list[tuple[bool, ...]], series: int) -> np.ndarray:
    index = {s: i for i, s in enumerate(subsets)}
    phi = np.zeros((series, out.shape[1]))
    for f in range(series):
        for subset, w in _subset_weights(series):
            if f in subset:
                continue
            without = tuple(g in subset for g in range(series))
            with_f = tuple(g in subset or g == f for g in range(series))
            phi[f] += w * (out[index[with_f]] - out[index[without]])
    return phi


def _sampled_step(out: np.ndarray, orders: list[np.ndarray], series: int) -> np.ndarray:
    chains = out.reshape(len(orders), series + 1, -1)
    phi = np.zeros((series, chains.shape[2]))
    for i, order in enumerate(orders):
        phi[order] += chains[i, 1:] - chains[i, :-1]
    return phi / len(orders)
