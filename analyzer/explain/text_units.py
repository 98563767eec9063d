"""Text units for NLP explanations: ``methods.shap.text_config`` → the players of the text game.

Each text value is split into units (tokens, sentences or paragraphs) with spaCy's *blank*
pipelines: rule-based tokenizers and the rule-based sentencizer, so nothing is downloaded at run
time. Paragraphs are the blocks between blank lines (spaCy has no paragraph splitter).

A text is kept as ``prefix + sum_j (unit_j + gap_j)``: ``gap_j`` is the whitespace after unit j
(units cover every non-space character). A coalition rebuilds the text with present units as they
are and each absent unit replaced by the baseline string: ``replacement + gap_j``, or nothing at all
(unit and gap dropped) when the replacement is empty, Clarify's default ("simply drops parts of
the input text").
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from analyzer.errors import ConfigError

log = logging.getLogger(__name__)

GRANULARITIES = ("token", "sentence", "paragraph")
DEFAULT_MAX_TOP_TOKENS = 50

#: Clarify's language names (docs, ``text_config.language``) → spaCy language codes.
LANGUAGES = {
    "chinese": "zh", "danish": "da", "dutch": "nl", "english": "en", "french": "fr", "german": "de",
    "greek": "el", "italian": "it", "japanese": "ja", "lithuanian": "lt", "multi-language": "xx",
    "norwegian bokmål": "nb", "polish": "pl", "portuguese": "pt", "romanian": "ro", "russian": "ru",
    "spanish": "es", "afrikaans": "af", "albanian": "sq", "arabic": "ar", "armenian": "hy",
    "basque": "eu", "bengali": "bn", "bulgarian": "bg", "catalan": "ca", "croatian": "hr",
    "czech": "cs", "estonian": "et", "finnish": "fi", "gujarati": "gu", "hebrew": "he", "hindi": "hi",
    "hungarian": "hu", "icelandic": "is", "indonesian": "id", "irish": "ga", "kannada": "kn",
    "kyrgyz": "ky", "latvian": "lv", "ligurian": "lij", "luxembourgish": "lb", "macedonian": "mk",
    "malayalam": "ml", "marathi": "mr", "nepali": "ne", "persian": "fa", "sanskrit": "sa",
    "serbian": "sr", "setswana": "tn", "sinhala": "si", "slovak": "sk", "slovenian": "sl",
    "swedish": "sv", "tagalog": "tl", "tamil": "ta", "tatar": "tt", "telugu": "te", "thai": "th",
    "turkish": "tr", "ukrainian": "uk", "urdu": "ur", "vietnamese": "vi", "yoruba": "yo",
}
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")


@dataclass(frozen=True)
class TextSettings:
    """``methods.shap.text_config`` after validation."""

    granularity: str
    language: str  # spaCy code
    max_top_tokens: int = DEFAULT_MAX_TOP_TOKENS


def text_settings(raw: Any) -> TextSettings:
    """Validate ``text_config``; every problem names the key."""
    if not isinstance(raw, dict):
        raise ConfigError("methods.shap.text_config must be an object with granularity and language.")
    granularity = str(raw.get("granularity", "")).lower()
    if granularity not in GRANULARITIES:
        raise ConfigError(f"methods.shap.text_config.granularity: {raw.get('granularity')!r} is not one of "
                          f"{', '.join(GRANULARITIES)}.")
    language = str(raw.get("language", "")).strip().lower()
    code = LANGUAGES.get(language, language if language in LANGUAGES.values() else None)
    if code is None:
        raise ConfigError(f"methods.shap.text_config.language: {raw.get('language')!r} is not a supported "
                          "language (a name such as 'english' or its ISO code such as 'en'; 'multi-language' "
                          "or 'xx' for mixed text).")
    top = raw.get("max_top_tokens", DEFAULT_MAX_TOP_TOKENS)
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ConfigError(f"methods.shap.text_config.max_top_tokens must be a positive integer; got {top!r}.")
    return TextSettings(granularity, code, top)


@lru_cache(maxsize=8)
def _pipeline(code: str, sentences: bool):
    try:
        import spacy  # heavy: only text jobs pay for it
    except ImportError:
        raise ConfigError("methods.shap.text_config: text explanations need spaCy, which this installation "
                          "lacks; install the 'text' extra (pip install 'clarify-analyzer[text]'); the image "
                          "has it.") from None

    try:
        nlp = spacy.blank(code)
    except ImportError as exc:  # ja/th/vi/... tokenizers need optional packages
        log.warning("spaCy's %r tokenizer is not available (%s); using the multi-language tokenizer.",
                    code, str(exc).split("\n")[0])
        nlp = spacy.blank("xx")
    if sentences:
        nlp.add_pipe("sentencizer")
    return nlp


@dataclass(frozen=True)
class Units:
    """One text split into units: ``text == prefix + "".join(u + g for u, g in zip(units, gaps))``."""

    text: str
    prefix: str
    units: list[str]
    gaps: list[str]
    starts: list[int]

    def __len__(self) -> int:
        return len(self.units)

    def rebuild(self, present: np.ndarray, replacement: str) -> str:
        """The text with the units where ``present`` is False replaced (see module docstring)."""
        if replacement:
            pieces = [(u if keep else replacement) + g for u, g, keep in zip(self.units, self.gaps, present)]
        else:
            pieces = [u + g for u, g, keep in zip(self.units, self.gaps, present) if keep]
        return self.prefix + "".join(pieces)


    def rebuild_many(self, present: np.ndarray, replacement: str) -> list[str]:
        """``rebuild`` for each row of ``present`` (rows, units)."""
        if not len(self.units):
            return [self.prefix] * len(present)
        kept = np.array([u + g for u, g in zip(self.units, self.gaps)], dtype=object)
        absent = np.array([replacement + g if replacement else "" for g in self.gaps], dtype=object)
        pieces = np.where(present, kept[None, :], absent[None, :]).tolist()
        return [self.prefix + "".join(row) for row in pieces]


def _from_spans(text: str, spans: list[tuple[int, int]]) -> Units:
    spans = [(s, e) for s, e in spans if text[s:e].strip()]
    if not spans:
        return Units(text, text, [], [], [])
    ends = [s for s, _ in spans[1:]] + [len(text)]
    return Units(text, text[:spans[0][0]], [text[s:e] for s, e in spans],
                 [text[e:nxt] for (_, e), nxt in zip(spans, ends)], [s for s, _ in spans])


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    left = len(piece) - len(piece.lstrip())
    return start + left, start + len(piece.rstrip())


def split_units(text: str, settings: TextSettings) -> Units:
    """Split one text value into units with their start offsets (characters)."""
    text = "" if text is None else str(text)
    if settings.granularity == "paragraph":
        spans, start = [], 0
        for brk in _PARAGRAPH_BREAK.finditer(text):
            spans.append(_strip_span(text, start, brk.start()))
            start = brk.end()
        spans.append(_strip_span(text, start, len(text)))
        return _from_spans(text, spans)
    doc = _pipeline(settings.language, settings.granularity == "sentence")(text)
    if settings.granularity == "token":
        return _from_spans(text, [(t.idx, t.idx + len(t.text)) for t in doc if not t.is_space])
    return _from_spans(text, [_strip_span(text, s.start_char, s.end_char) for s in doc.sents])
