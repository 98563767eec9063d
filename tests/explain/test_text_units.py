"""Text units: spaCy blank tokenisation, rule-based sentences, blank-line paragraphs; offsets and the
rebuild rule (absent units replaced, or dropped with their whitespace when the replacement is empty)."""
from __future__ import annotations

import numpy as np
import pytest

from analyzer.errors import ConfigError
from analyzer.explain.text_units import LANGUAGES, split_units, text_settings

TEXT = "  i love this dress! It is  great.\n\nBut not cheap.  "


def _units(granularity: str, text: str = TEXT, language: str = "english"):
    return split_units(text, text_settings({"granularity": granularity, "language": language}))


def test_tokens_with_offsets() -> None:
    units = _units("token")
    assert units.units == ["i", "love", "this", "dress", "!", "It", "is", "great", ".", "But", "not", "cheap", "."]
    for unit, start in zip(units.units, units.starts):
        assert TEXT[start:start + len(unit)] == unit


@pytest.mark.parametrize("granularity, expected", [
    ("sentence", ["i love this dress!", "It is  great.", "But not cheap."]),
    ("paragraph", ["i love this dress! It is  great.", "But not cheap."]),
])
def test_sentences_and_paragraphs(granularity: str, expected: list[str]) -> None:
    units = _units(granularity)
    assert units.units == expected
    assert [TEXT.index(u) for u in expected] == units.starts


@pytest.mark.parametrize("granularity", ["token", "sentence", "paragraph"])
def test_all_present_rebuilds_the_text(granularity: str) -> None:
    units = _units(granularity)
    assert units.rebuild(np.ones(len(units), bool), "<UNK>") == TEXT
    assert units.rebuild(np.ones(len(units), bool), "") == TEXT


def test_absent_units_are_replaced_or_dropped() -> None:
    units = _units("token", "not good at all")
    keep = np.array([False, True, True, False])
    assert units.rebuild(keep, "<UNK>") == "<UNK> good at <UNK>"
    assert units.rebuild(keep, "") == "good at "
    assert units.rebuild(np.zeros(4, bool), "") == ""


def test_empty_and_blank_texts_have_no_units() -> None:
    assert len(_units("token", "")) == 0
    assert len(_units("sentence", "   \n ")) == 0


def test_languages_by_name_or_code_and_fallback() -> None:
    assert len(LANGUAGES) == 63  # Clarify's 62 languages and multi-language
    assert text_settings({"granularity": "token", "language": "en"}).language == "en"
    assert text_settings({"granularity": "token", "language": "multi-language"}).language == "xx"
    # Japanese needs SudachiPy in spaCy; the multi-language tokenizer stands in (with a warning).
    assert _units("token", "hello world", "japanese").units == ["hello", "world"]
    assert _units("token", "Das ist gut.", "german").units == ["Das", "ist", "gut", "."]


@pytest.mark.parametrize("raw, key", [
    ({"granularity": "word", "language": "en"}, "granularity"),
    ({"granularity": "token", "language": "klingon"}, "language"),
    ({"granularity": "token", "language": "en", "max_top_tokens": 0}, "max_top_tokens"),
])
def test_bad_text_config_names_the_key(raw: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=f"text_config.{key}"):
        text_settings(raw)


@pytest.mark.parametrize("replacement", ["", "<UNK>"])
def test_rebuild_many_equals_rebuild(replacement: str) -> None:
    units = _units("token")
    masks = np.random.default_rng(0).random((20, len(units))) < 0.5
    assert units.rebuild_many(masks, replacement) == [units.rebuild(m, replacement) for m in masks]
    assert _units("token", " ").rebuild_many(np.zeros((2, 0), bool), "x") == [" ", " "]
