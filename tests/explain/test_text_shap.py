"""Text Kernel SHAP against exact Shapley values by enumeration (an independent game built here from
whitespace-separated words), known answers of linear bag-of-words models, efficiency, seeding."""
from __future__ import annotations

import itertools
from math import factorial

import numpy as np
import pandas as pd
import pytest

from analyzer.explain.text_shap import text_kernel_shap
from analyzer.explain.text_units import text_settings

TOKENS = text_settings({"granularity": "token", "language": "english"})
WORDS = {"good": 1.0, "bad": -2.0, "great": 1.5}


def model(frame: pd.DataFrame) -> np.ndarray:
    """Two outputs with interactions: word weights, a 'not ... good' term, length, age, age x 'bad'."""
    out = []
    for text, age in zip(frame["review"], frame["age"]):
        words = text.split()
        score = sum(WORDS.get(w, 0.0) for w in words) + 3.0 * ("not" in words and "good" in words)
        score += 0.25 * len(words) + 0.1 * age + 0.05 * age * ("bad" in words)
        out.append([score, np.tanh(score / 4)])
    return np.array(out)


def _text(words: list[str], present: tuple[bool, ...], replacement: str) -> str:
    if replacement:
        return " ".join(w if keep else replacement for w, keep in zip(words, present))
    return " ".join(w for w, keep in zip(words, present) if keep)


def exact_shapley(record: dict, baseline: list[dict], weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Players: age (if it differs from a baseline row) then the words; v(S) by brute force."""
    words = record["review"].split()
    age_plays = any(b["age"] != record["age"] for b in baseline)
    players = (["age"] if age_plays else []) + list(range(len(words)))
    m = len(players)

    def v(coalition: frozenset) -> np.ndarray:
        rows = []
        for b in baseline:
            present = tuple(i in coalition for i in range(len(words)))
            age = record["age"] if ("age" in coalition or not age_plays) else b["age"]
            rows.append({"age": age, "review": _text(words, present, b["review"])})
        return weights @ model(pd.DataFrame(rows))

    phi = np.zeros((m, 2))
    for j, p in enumerate(players):
        others = [q for q in players if q != p]
        for size in range(m):
            for subset in itertools.combinations(others, size):
                w = factorial(size) * factorial(m - size - 1) / factorial(m)
                phi[j] += w * (v(frozenset(subset) | {p}) - v(frozenset(subset)))
    return phi, age_plays


@pytest.mark.parametrize("baseline", [
    [{"age": 40.0, "review": ""}],
    [{"age": 40.0, "review": "<UNK>"}, {"age": 20.0, "review": ""}],
    [{"age": 30.0, "review": "[MASK]"}],   # age equal to one record's age: not a player there
])
def test_full_enumeration_equals_exact_shapley(baseline: list[dict]) -> None:
    records = pd.DataFrame({"age": [30.0, 55.0, 41.0],
                            "review": ["good film not bad", "not good at all really", "great"]})
    base = pd.DataFrame(baseline)
    weights = np.linspace(1, 2, len(base))
    weights /= weights.sum()
    result = text_kernel_shap(model, records, base, ["review"], TOKENS, baseline_weights=weights,
                              num_samples=2**10, seed=3, max_rows_per_call=50)
    for i, record in enumerate(records.to_dict("records")):
        phi, age_plays = exact_shapley(record, baseline, weights)
        got = result.unit_values[i]["review"]
        np.testing.assert_allclose(got, phi[1:] if age_plays else phi, atol=1e-6)
        if age_plays:
            np.testing.assert_allclose(result.tabular_values[i, 0], phi[0], atol=1e-6)
        else:
            assert np.all(result.tabular_values[i] == 0)
    np.testing.assert_allclose(result.expected_value, weights @ model(base), atol=1e-12)


def test_linear_bag_of_words_known_answer() -> None:
    """With the empty replacement a unit's value is its word weight plus its share of the length term."""
    records = pd.DataFrame({"age": [40.0], "review": ["bad good great meh good"]})
    base = pd.DataFrame({"age": [40.0], "review": [""]})
    result = text_kernel_shap(lambda f: model(f)[:, :1], records, base, ["review"], TOKENS, num_samples=30)
    np.testing.assert_allclose(result.unit_values[0]["review"][:, 0],
                               [-2 + .25 + 2, 1.25, 1.75, 0.25, 1.25], atol=1e-9)  # bad: + its age x bad term


def test_sampling_keeps_efficiency_and_is_seeded() -> None:
    text = "good " * 7 + "not bad at all but great in parts and good"
    records = pd.DataFrame({"age": [22.0, 60.0], "review": [text, text.upper()]})
    base = pd.DataFrame({"age": [40.0], "review": ["<UNK>"]})
    run = lambda seed: text_kernel_shap(model, records, base, ["review"], TOKENS, num_samples=64,  # noqa: E731
                                        seed=seed, max_rows_per_call=100)
    first, again, other = run(1), run(1), run(2)
    assert first.num_samples_used.tolist() == [64, 64]
    fx = model(records)
    for i in range(2):
        empty = model(pd.DataFrame({"age": [40.0], "review": [" ".join(["<UNK>"] * len(text.split()))]}))[0]
        total = first.unit_values[i]["review"].sum(axis=0) + first.tabular_values[i].sum(axis=0)
        np.testing.assert_allclose(total, fx[i] - empty, atol=1e-9)
        np.testing.assert_array_equal(first.unit_values[i]["review"], again.unit_values[i]["review"])
    assert not np.allclose(first.unit_values[0]["review"], other.unit_values[0]["review"])


def test_sentences_are_the_players() -> None:
    sentences = TOKENS.__class__("sentence", "en")
    records = pd.DataFrame({"age": [40.0], "review": ["It is good. It is bad. Meh."]})
    base = pd.DataFrame({"age": [40.0], "review": [""]})
    result = text_kernel_shap(lambda f: model(f)[:, :1], records, base, ["review"], sentences, num_samples=6)
    assert result.units[0]["review"].units == ["It is good.", "It is bad.", "Meh."]
    # Words are "good." / "bad." with a full stop: only the length term counts, 0.25 per word.
    np.testing.assert_allclose(result.unit_values[0]["review"][:, 0], [0.75, 0.75, 0.25], atol=1e-9)


def test_one_unit_takes_everything_and_no_units_gives_nothing() -> None:
    records = pd.DataFrame({"age": [40.0, 40.0], "review": ["good", ""]})
    base = pd.DataFrame({"age": [40.0], "review": [""]})
    result = text_kernel_shap(model, records, base, ["review"], TOKENS)
    np.testing.assert_allclose(result.unit_values[0]["review"], model(records)[:1] - model(base), atol=1e-12)
    assert result.unit_values[1]["review"].shape == (0, 2)
    assert result.num_players.tolist() == [1, 0]
