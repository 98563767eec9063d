"""Asymmetric Shapley values against brute force: the mean marginal contribution over every ordering
of the players that the causal order allows (enumerated here with itertools.permutations)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from analyzer.errors import ConfigError
from analyzer.explain.asymmetric import asymmetric_shapley

T, F, H = 3, 2, 2
RNG = np.random.default_rng(4)
X = RNG.normal(size=(T, F))          # the item's history: target and one related series
BASE = np.zeros((T, F))              # the "zero" baseline
W = RNG.normal(size=(T, F, H))


def forecast(values: np.ndarray) -> np.ndarray:
    """A nonlinear forecaster of H steps with interactions across time and series."""
    lin = np.einsum("tf,tfh->h", values, W)
    return lin + np.array([values[0, 0] * values[2, 1], np.tanh(values[:, 0].sum()) * values[1, 1]])


def evaluate(masks: np.ndarray) -> np.ndarray:
    return np.array([forecast(np.where(m, X, BASE)) for m in masks])


def brute_force(players: list, allowed) -> dict:
    """Mean marginal contribution of each player over the allowed orderings."""
    totals = {p: np.zeros(H) for p in players}
    count = 0
    for order in itertools.permutations(players):
        if not allowed(order):
            continue
        count += 1
        mask = np.zeros((T, F), bool)
        before = forecast(BASE)
        for p in order:
            cells = [(p, f) for f in range(F)] if isinstance(p, int) else [p]
            for cell in cells:
                mask[cell] = True
            after = forecast(np.where(mask, X, BASE))
            totals[p] += after - before
            before = after
    return {p: v / count for p, v in totals.items()}


@pytest.mark.parametrize("direction", ["chronological", "anti_chronological"])
def test_timewise_equals_brute_force(direction: str) -> None:
    sign = 1 if direction == "chronological" else -1
    expected = brute_force(list(range(T)), lambda o: list(o) == sorted(o, key=lambda t: sign * t))
    got = asymmetric_shapley(evaluate, T, F, direction=direction)
    np.testing.assert_allclose(got.values, np.array([expected[t] for t in range(T)]), atol=1e-12)
    np.testing.assert_allclose(got.offset + got.values.sum(axis=0), forecast(X), atol=1e-12)
    np.testing.assert_allclose(got.offset, forecast(BASE), atol=1e-12)


def test_bidirectional_is_the_mean_of_both_directions() -> None:
    chron = asymmetric_shapley(evaluate, T, F, direction="chronological").values
    anti = asymmetric_shapley(evaluate, T, F, direction="anti_chronological").values
    both = asymmetric_shapley(evaluate, T, F, direction="bidirectional").values
    # Brute force: the two orderings allowed, each counted once.
    orders = {(0, 1, 2), (2, 1, 0)}
    expected = brute_force(list(range(T)), lambda o: tuple(o) in orders)
    np.testing.assert_allclose(both, (chron + anti) / 2, atol=1e-12)
    np.testing.assert_allclose(both, np.array([expected[t] for t in range(T)]), atol=1e-12)


def test_fine_grained_exact_equals_brute_force() -> None:
    cells = [(t, f) for t in range(T) for f in range(F)]
    expected = brute_force(cells, lambda o: [c[0] for c in o] == sorted(c[0] for c in o))
    got = asymmetric_shapley(evaluate, T, F, direction="chronological", granularity="fine_grained",
                             num_samples=4)
    np.testing.assert_allclose(got.values, np.array([[expected[(t, f)] for f in range(F)] for t in range(T)]),
                               atol=1e-12)
    np.testing.assert_allclose(got.offset + got.values.sum(axis=(0, 1)), forecast(X), atol=1e-12)


def test_fine_grained_sampled_keeps_efficiency_per_step_and_is_seeded() -> None:
    exact = asymmetric_shapley(evaluate, T, F, granularity="fine_grained", num_samples=4).values
    sampled = asymmetric_shapley(evaluate, T, F, granularity="fine_grained", num_samples=3, seed=1)
    np.testing.assert_allclose(sampled.offset + sampled.values.sum(axis=(0, 1)), forecast(X), atol=1e-12)
    # per step, the series' values add up to the step's chronological contribution
    np.testing.assert_allclose(sampled.values.sum(axis=1), exact.sum(axis=1), atol=1e-12)
    again = asymmetric_shapley(evaluate, T, F, granularity="fine_grained", num_samples=3, seed=1)
    np.testing.assert_array_equal(sampled.values, again.values)


def test_ar1_known_answer() -> None:
    """An AR(1) forecast a * y_T uses only the last step: chronological gives it everything."""
    def ar1(masks: np.ndarray) -> np.ndarray:
        return np.array([[0.7 * np.where(m, X, BASE)[-1, 0]] for m in masks])

    got = asymmetric_shapley(ar1, T, F, direction="chronological")
    np.testing.assert_allclose(got.values[:, 0], [0, 0, 0.7 * X[-1, 0]], atol=1e-15)


@pytest.mark.parametrize("kwargs, key", [
    ({"direction": "sideways"}, "direction"),
    ({"granularity": "coarse"}, "granularity"),
    ({"granularity": "fine_grained", "direction": "bidirectional", "num_samples": 4}, "direction"),
    ({"granularity": "fine_grained"}, "num_samples"),
])
def test_bad_settings_name_the_key(kwargs: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=f"asymmetric_shapley_value.{key}"):
        asymmetric_shapley(evaluate, T, F, **kwargs)


def test_long_timewise_histories_come_in_blocks_that_give_the_same_values(monkeypatch) -> None:
    from analyzer.explain import asymmetric

    whole = asymmetric_shapley(evaluate, T, F, direction="bidirectional")
    monkeypatch.setattr(asymmetric, "BLOCK_CELLS", 2 * T * F)       # two masks per block
    p = asymmetric.plan(T, F, direction="bidirectional")
    assert p.blocks == T + 1 and p.evaluations == 2 * (T + 1)
    got = p.finish([evaluate(p.block(i)) for i in range(p.blocks)])
    np.testing.assert_allclose(got.values, whole.values, atol=1e-12)
    np.testing.assert_allclose(got.offset, whole.offset, atol=1e-12)
