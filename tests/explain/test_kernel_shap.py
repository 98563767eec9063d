"""Kernel SHAP against exact Shapley values computed by enumerating every coalition."""
from __future__ import annotations

import itertools
from math import factorial

import numpy as np
import pandas as pd
import pytest

from analyzer.errors import ConfigError, DataError
from analyzer.explain import kernel_shap, local_values_frame
from analyzer.explain._design import coalition_design, effective_num_samples


def exact_shapley(predict, record, baseline, weights, players=None, use_logit=False):
    """Brute force: v(S) = link(sum_b w_b f(x_S, b)) over all 2^M coalitions of ``players``."""
    cols = list(record.columns)
    players = cols if players is None else players
    m = len(players)
    link = (lambda p: np.log(p / (1 - p))) if use_logit else (lambda p: p)
    value = {}
    for subset in itertools.product([0, 1], repeat=m):
        rows = baseline.copy()
        present = [n for n in cols if n not in players]  # outside the game: record's value
        present += [name for j, name in enumerate(players) if subset[j]]
        for name in present:
            rows[name] = pd.Series([record[name].iloc[0]] * len(rows), dtype=record[name].dtype)
        out = np.asarray(predict(rows), dtype=float).reshape(len(rows), -1)
        value[subset] = link((out * weights[:, None]).sum(axis=0))
    phi = np.zeros((m, len(value[subset])))
    for subset, v in value.items():
        size = sum(subset)
        for j in range(m):
            if subset[j]:
                continue
            with_j = list(subset)
            with_j[j] = 1
            coef = factorial(size) * factorial(m - size - 1) / factorial(m)
            phi[j] += coef * (value[tuple(with_j)] - v)
    return phi


def _numeric_case(m=6, n=5, b=3, seed=1):
    rng = np.random.default_rng(seed)
    cols = [f"f{i}" for i in range(m)]
    x = pd.DataFrame(rng.normal(size=(n, m)), columns=cols)
    base = pd.DataFrame(rng.normal(size=(b, m)), columns=cols)

    def predict(frame):
        a = frame.to_numpy()
        first = a[:, 0] * a[:, 1] + np.sin(a[:, 2]) + a[:, 3] ** 2 * a[:, 4] + np.tanh(a[:, 5:].sum(1))
        return np.column_stack([first, a[:, -1] * a[:, 0]])

    return predict, x, base


def _categorical_case():
    rng = np.random.default_rng(7)
    n = 6
    x = pd.DataFrame({
        "age": rng.integers(18, 80, n),
        "colour": pd.Series(rng.choice(["red", "green", "blue"], n), dtype="str"),
        "income": rng.normal(50, 10, n),
        "city": pd.Series(rng.choice(["Oslo", "Lima", "Pune", "Kyiv"], n), dtype=object),
        "flag": rng.integers(0, 2, n),
    })
    base = pd.DataFrame({
        "age": [40, 25], "colour": pd.Series(["red", "blue"], dtype="str"), "income": [45.0, 60.0],
        "city": pd.Series(["Oslo", "Pune"], dtype=object), "flag": [0, 1],
    })
    score = {"red": 0.3, "green": -0.2, "blue": 0.1, "Oslo": 1.0, "Lima": -1.0, "Pune": 0.5, "Kyiv": 0}

    def predict(frame):
        assert frame["colour"].dtype == x["colour"].dtype and frame["city"].dtype == object
        assert frame["age"].dtype.kind == "i" and frame["flag"].dtype.kind == "i"
        c = frame["colour"].map(score).to_numpy(float)
        t = frame["city"].map(score).to_numpy(float)
        z = 0.03 * (frame["age"] - 40) + c * t + 0.05 * (frame["income"] - 50) * frame["flag"]
        return 1 / (1 + np.exp(-z.to_numpy(float)))

    return predict, x, base


@pytest.mark.parametrize("b", [1, 3])
def test_full_enumeration_matches_exact_shapley_multi_output(b):
    predict, x, base = _numeric_case(b=b)
    w = np.arange(1.0, b + 1)
    res = kernel_shap(predict, x, base, baseline_weights=w)
    for i in range(len(x)):
        expect = exact_shapley(predict, x.iloc[[i]], base, w / w.sum())
        np.testing.assert_allclose(res.local_values[i], expect, atol=1e-6)
    assert res.local_values.shape == (5, 6, 2)
    np.testing.assert_array_equal(res.num_samples_used, 62)
    np.testing.assert_array_equal(res.local_std_errors, 0.0)
    np.testing.assert_allclose(res.global_std_errors["mean_abs"], 0.0)


@pytest.mark.slow  # tens of seconds on a loaded 2-core machine
def test_full_enumeration_ten_features():
    predict, x, base = _numeric_case(m=10, n=2, b=1, seed=3)
    res = kernel_shap(predict, x, base, num_samples=5000)
    assert res.num_samples_used.tolist() == [1022, 1022]
    for i in range(len(x)):
        expect = exact_shapley(predict, x.iloc[[i]], base, np.ones(1))
        np.testing.assert_allclose(res.local_values[i], expect, atol=1e-6)


def test_categorical_string_columns_keep_dtypes_and_are_exact():
    predict, x, base = _categorical_case()
    res = kernel_shap(predict, x, base)
    w = np.full(2, 0.5)
    for i in range(len(x)):
        expect = exact_shapley(predict, x.iloc[[i]], base, w)
        np.testing.assert_allclose(res.local_values[i], expect, atol=1e-6)


def test_use_logit_is_exact_in_log_odds():
    predict, x, base = _categorical_case()
    res = kernel_shap(predict, x, base, use_logit=True)
    p0 = predict(base).mean()
    np.testing.assert_allclose(res.expected_value, [np.log(p0 / (1 - p0))])
    for i in range(len(x)):
        expect = exact_shapley(predict, x.iloc[[i]], base, np.full(2, 0.5), use_logit=True)
        np.testing.assert_allclose(res.local_values[i], expect, atol=1e-6)


def test_features_to_explain_runs_the_game_over_listed_features():
    predict, x, base = _numeric_case(m=6, n=3, b=2)
    listed = ["f0", "f2", "f3", "f5"]
    res = kernel_shap(predict, x, base, features_to_explain=[2, "f0", "f5", "f3"])
    assert res.feature_names == listed
    w = np.full(2, 0.5)
    for i in range(len(x)):
        expect = exact_shapley(predict, x.iloc[[i]], base, w, players=listed)
        np.testing.assert_allclose(res.local_values[i], expect, atol=1e-6)
        # efficiency against the record's own empty coalition, not expected_value
        empty = base.copy()
        for c in x.columns:
            if c not in listed:
                empty[c] = x[c].iloc[i]
        np.testing.assert_allclose(res.local_values[i].sum(0),
                                   predict(x.iloc[[i]])[0] - (predict(empty) * 0.5).sum(0), atol=1e-9)


@pytest.mark.parametrize("ns", [1, 3, 9, 20, 100])
@pytest.mark.parametrize("use_logit", [False, True])
def test_efficiency_holds_at_any_budget(ns, use_logit):
    rng = np.random.default_rng(ns)
    m = 25
    cols = [f"f{i}" for i in range(m)]
    x = pd.DataFrame(rng.normal(size=(7, m)), columns=cols)
    base = pd.DataFrame(rng.normal(size=(2, m)), columns=cols)

    def predict(frame):
        a = frame.to_numpy()
        return 1 / (1 + np.exp(-(a[:, :5].prod(1) + np.sin(a).sum(1) * 0.3)))

    res = kernel_shap(predict, x, base, num_samples=ns, use_logit=use_logit, seed=5)
    link = (lambda p: np.log(p / (1 - p))) if use_logit else (lambda p: p)
    fx = link(predict(x))
    np.testing.assert_allclose(res.local_values.sum(1)[:, 0] + res.expected_value[0], fx, atol=1e-6)
    assert np.all(np.isfinite(res.local_values))
    assert res.num_samples_used.tolist() == [ns] * 7
    assert bool(res.warnings) == (ns < m)


def test_constant_features_get_zero_and_small_m_cases():
    cols = ["a", "b", "c"]
    base = pd.DataFrame([[1.0, 2.0, 3.0]], columns=cols)
    x = pd.DataFrame([[1.0, 2.0, 3.0], [1.0, 5.0, 3.0], [4.0, 5.0, 3.0], [np.nan, 2.0, 3.0]], columns=cols)

    def predict(frame):
        a = np.nan_to_num(frame.to_numpy(), nan=10.0)
        return a[:, 0] * a[:, 1] + a[:, 2]

    res = kernel_shap(predict, x, base)
    assert res.num_varying.tolist() == [0, 1, 2, 1]
    assert res.num_samples_used.tolist() == [0, 0, 2, 0]
    np.testing.assert_array_equal(res.local_values[0], 0.0)
    np.testing.assert_allclose(res.local_values[1, :, 0], [0.0, 3.0, 0.0])
    np.testing.assert_allclose(res.local_values[2, :, 0], [3.0 * 3.5, 3.0 * 2.5, 0.0])
    np.testing.assert_allclose(res.local_values[3, :, 0], [18.0, 0.0, 0.0])
    # NaN equals NaN when deciding what varies
    res2 = kernel_shap(predict, x.iloc[[3]], x.iloc[[3]])
    np.testing.assert_array_equal(res2.local_values, 0.0)


def _out_csv_bytes(res):
    return local_values_frame(res).to_csv(index=False).encode()


def test_same_seed_same_bytes_and_chunking_does_not_matter():
    predict, x, base = _numeric_case(m=14, n=40, b=3, seed=11)
    x.iloc[::3, 2] = base.iloc[0, 2]  # a second pattern: f2 equal to one baseline row only
    for b in range(3):
        x.iloc[1::5, 5] = base.iloc[0, 5]
    base.iloc[:, 7] = 0.25
    x.iloc[::2, 7] = 0.25  # f7 constant on half of the records: two varying sets
    kw = dict(num_samples=150, seed=42)
    ref = kernel_shap(predict, x, base, max_rows_per_call=100_000, **kw)
    assert ref.model_calls == 2  # baseline + one chunk
    assert len(set(ref.num_varying.tolist())) == 2
    for rows in [1, 451, 1000, 4000]:
        other = kernel_shap(predict, x, base, max_rows_per_call=rows, **kw)
        assert _out_csv_bytes(other) == _out_csv_bytes(ref)
        np.testing.assert_array_equal(other.expected_value, ref.expected_value)
        np.testing.assert_array_equal(other.local_std_errors, ref.local_std_errors)
    # a record's values do not depend on which other records are explained with it
    alone = kernel_shap(predict, x.iloc[[5]], base, **kw)
    np.testing.assert_array_equal(alone.local_values[0], ref.local_values[5])
    again = kernel_shap(predict, x, base, max_rows_per_call=100_000, **kw)
    assert _out_csv_bytes(again) == _out_csv_bytes(ref)
    different = kernel_shap(predict, x, base, num_samples=150, seed=43)
    assert _out_csv_bytes(different) != _out_csv_bytes(ref)


def _in_shards(records_per_shard, order=lambda parts: parts):
    """A runner that explains the records in shards (as Dask workers do), merged in any order."""

    def runner(run, max_rows):
        merged = {}
        for rows in order(run.shards(records_per_shard)):
            sub = run.shard(rows, run.model)
            sub.explain_all(max_rows)
            run.absorb(rows, sub.local, sub.local_var, sub.pattern_var, sub.partials(), merged)
        run.close_merged(merged)

    return runner


def test_global_errors_do_not_depend_on_chunks_or_shards():
    """Every output, the global standard errors too, is the same bits whatever the chunk size and
    however the records are split into shards (and whatever order the shards come back in)."""
    predict, x, base = _numeric_case(m=8, n=230, b=2, seed=5)
    x.iloc[::4, 3] = base.iloc[0, 3]
    base.iloc[:, 6] = 0.5
    x.iloc[::3, 6] = 0.5  # patterns of 77, 58, ... records: several influence blocks each
    kw = dict(num_samples=60, seed=9)
    ref = kernel_shap(predict, x, base, max_rows_per_call=100_000, **kw)
    assert len(set(ref.num_varying.tolist())) >= 2 and ref.global_std_errors["mean_abs"].max() > 0
    runs = [kernel_shap(predict, x, base, max_rows_per_call=rows, **kw) for rows in (1, 333, 5000)]
    runs += [kernel_shap(predict, x, base, runner=_in_shards(size, order), **kw)
             for size, order in [(1, lambda p: p), (40, lambda p: p[::-1]), (97, lambda p: p[1:] + p[:1]),
                                 (10_000, lambda p: p)]]
    for other in runs:
        assert _out_csv_bytes(other) == _out_csv_bytes(ref)
        np.testing.assert_array_equal(other.local_std_errors, ref.local_std_errors)
        for key in ref.global_std_errors:
            np.testing.assert_array_equal(other.global_std_errors[key], ref.global_std_errors[key])


def test_shards_start_on_influence_blocks():
    from analyzer.explain._influence import BLOCK

    predict, x, base = _numeric_case(m=5, n=100, b=1, seed=2)
    x.iloc[::2, 1] = base.iloc[0, 1]
    seen = []

    def runner(run, max_rows):
        parts = run.shards(10)
        seen.extend(parts)
        assert np.array_equal(np.concatenate(parts), run.order())
        assert all(run.position[p[0]] % BLOCK == 0 for p in parts)
        _in_shards(10)(run, max_rows)

    kernel_shap(predict, x, base, runner=runner, num_samples=20)
    assert len(seen) > 2


def test_rank_deficient_budget_stays_bounded_and_warns():
    rng = np.random.default_rng(0)
    m = 60
    cols = [f"f{i}" for i in range(m)]
    x = pd.DataFrame(rng.integers(0, 2, (30, m)).astype(float), columns=cols)
    base = pd.DataFrame([x.mean().to_numpy()], columns=cols)  # fractional "mean row": all vary

    def predict(frame):
        a = frame.to_numpy()
        return 1 / (1 + np.exp(-(a[:, :10] @ np.linspace(-2, 2, 10) + a[:, 10] * a[:, 11])))

    for ns in (15, 59, 61, 100):
        res = kernel_shap(predict, x, base, num_samples=ns, use_logit=True)
        delta = np.abs(res.local_values.sum(1)).max()
        assert np.abs(res.local_values).max() < 10 * (1 + delta)
        assert bool(res.warnings) == (ns < m)
    assert "num_samples=15 is smaller than the number of varying features (up to 60)" in \
        kernel_shap(predict, x, base, num_samples=15).warnings[0]


def test_standard_errors_track_the_spread_over_seeds():
    predict, x, base = _numeric_case(m=12, n=20, b=1, seed=2)
    runs = [kernel_shap(predict, x, base, num_samples=400, seed=s) for s in range(12)]
    spread = np.stack([r.local_values for r in runs]).std(axis=0).mean()
    reported = np.mean([r.local_std_errors.mean() for r in runs])
    assert 0.5 < reported / spread < 2.0
    g_spread = np.stack([np.abs(r.local_values).mean(0) for r in runs]).std(axis=0).mean()
    g_reported = np.mean([r.global_std_errors["mean_abs"].mean() for r in runs])
    assert 0.4 < g_reported / g_spread < 2.5


def test_design_follows_shap_schedule():
    rng = np.random.default_rng(0)
    # M=10, budget 100: size 1 (20 masks, paired) fits, size 2 (90 masks) does not
    d = coalition_design(10, 100, rng)
    assert d.num_samples == 100
    sizes = d.masks.sum(axis=1)
    assert sorted(sizes[:20].tolist()) == [1] * 10 + [9] * 10
    assert set(sizes[20:].tolist()) <= set(range(2, 9))
    assert len({r.tobytes() for r in d.masks}) == 100
    np.testing.assert_allclose(d.weights.sum(), 1.0)
    # the enumerated size-1 masks carry the Shapley-kernel share of size 1
    w = np.array([9 / (s * (10 - s)) for s in range(1, 6)])
    w[:4] *= 2
    np.testing.assert_allclose(d.weights[:20].sum(), w[0] / w.sum())
    assert effective_num_samples(10, None) == 1022
    assert effective_num_samples(108, None) == 2 * 108 + 2048
    assert effective_num_samples(40, 15) == 15


def test_errors_name_the_problem():
    predict, x, base = _numeric_case()
    with pytest.raises(ConfigError, match="'nope' is not a feature"):
        kernel_shap(predict, x, base, features_to_explain=["nope"])
    with pytest.raises(ConfigError, match="index 9 is out of range"):
        kernel_shap(predict, x, base, features_to_explain=[9])
    with pytest.raises(DataError, match="shape"):
        kernel_shap(lambda f: np.zeros((1, 1)), x, base)
    with pytest.raises(DataError, match="baseline has columns"):
        kernel_shap(predict, x, base.iloc[:, :3])
    with pytest.raises(ConfigError, match="num_samples must be a positive integer; got 0"):
        kernel_shap(predict, x, base, num_samples=0)
