"""Validate a raw analysis config against the JSON Schema, reporting every problem at once."""
from __future__ import annotations

import difflib
import re
import json
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema import validators

SCHEMA_FILE = "analysis_config.schema.json"
#: How many characters of a value a message repeats (pasted secrets and huge values stay out).
SHOWN_CHARS = 60


_PATTERN = jsonschema.Draft202012Validator.VALIDATORS["pattern"]


def _ascii_pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Any:
    """Case-insensitive enum patterns match ASCII only: Python's re folds look-alikes such as
    'İ' (U+0130) and the Kelvin sign onto 'i' and 'k', which would pass validation and then match
    no metric."""
    if isinstance(instance, str) and pattern.startswith("(?i)") and not instance.isascii() and (
            pattern.isascii() or not re.search(pattern[4:], instance.lower())):  # 'bokmål' is a real choice
        yield jsonschema.ValidationError(f"{shown(instance)} contains non-ASCII characters")
        return
    yield from _PATTERN(validator, pattern, instance, schema)


Validator = validators.extend(jsonschema.Draft202012Validator, {"pattern": _ascii_pattern})


def shown(value: Any) -> str:
    """A value as messages repeat it: repr, cut to SHOWN_CHARS."""
    text = repr(value) if not isinstance(value, str) or value.isascii() else ascii(value)  # look-alikes visible
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "...'"


#: What a pattern means, where the schema's description is prose rather than a list of choices.
PATTERN_MEANING = {
    "^https?://": "an http:// or https:// URL",
    "^[a-zA-Z0-9](-*[a-zA-Z0-9])*$": "letters, digits and single hyphens, starting and ending alphanumeric",
}


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    text = resources.files("config_schema").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def _json_path(path: Any) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _subschema(schema: dict[str, Any], path: Any) -> dict[str, Any]:
    """The schema node that describes the instance at ``path`` (objects and arrays only)."""
    node = schema
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(part, {})
    return node


def _describe(error: jsonschema.ValidationError, schema: dict[str, Any]) -> list[str]:
    where = _json_path(error.absolute_path)
    if error.validator == "additionalProperties":
        known = sorted(_subschema(schema, error.absolute_path).get("properties", {}))
        unknown = [k for k in error.instance if k not in known]
        problems = []
        for key in unknown:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else f" Allowed keys: {', '.join(known)}."
            problems.append(f"{where}: unknown key {shown(key)}.{hint}")
        return problems
    if error.validator == "required":
        return [f"{where}: {error.message}."]
    if error.validator == "pattern":
        expected = PATTERN_MEANING.get(error.validator_value) or error.schema.get("description", "")
        if not expected.startswith(("one of", "an ", "letters")):
            expected = f"a value matching {error.validator_value}"
        ascii_note = "; it contains non-ASCII characters" if not str(error.instance).isascii() else ""
        return [f"{where}: {shown(error.instance)} is not valid{ascii_note}; expected {expected}."]
    if error.validator in ("maxItems", "minItems") and isinstance(error.instance, list):
        bound = "at most" if error.validator == "maxItems" else "at least"
        return [f"{where}: {len(error.instance)} items; {bound} {error.validator_value} allowed."]
    if error.validator in ("maximum", "minimum", "exclusiveMinimum", "exclusiveMaximum", "maxLength",
                           "minLength", "type", "enum"):
        return [f"{where}: {shown(error.instance)} {_broken_rule(error)}."]
    if error.validator == "oneOf" and error.context:
        # Report the most specific branch failure rather than the generic "is not valid under any".
        return _describe(jsonschema.exceptions.best_match(error.context), schema)
    return [f"{where}: {_cut(error.message)}."]


def _cut(text: str) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= 3 * SHOWN_CHARS else line[:3 * SHOWN_CHARS] + "..."


def _broken_rule(error: jsonschema.ValidationError) -> str:
    value = error.validator_value
    rules = {
        "maximum": f"is above the maximum {value}",
        "minimum": f"is below the minimum {value}",
        "exclusiveMinimum": f"must be greater than {value}",
        "exclusiveMaximum": f"must be less than {value}",
        "maxLength": f"is longer than {value} characters",
        "minLength": f"is shorter than {value} character(s)",
        "type": f"is not of type {', '.join(map(repr, value)) if isinstance(value, list) else repr(value)}",
        "enum": f"is not one of {', '.join(map(repr, value)) if isinstance(value, list) else value}",
    }
    return rules[error.validator]


def _errors(raw: Any) -> list[jsonschema.ValidationError]:
    validator = Validator(load_schema())  # ASCII-only case-insensitive patterns
    return sorted(validator.iter_errors(raw), key=lambda e: (list(map(str, e.absolute_path)), e.validator))


def schema_problems(raw: Any) -> list[str]:
    """Every schema violation of ``raw``, each prefixed by its JSON path, in document order."""
    schema = load_schema()
    problems: list[str] = []
    for error in _errors(raw):
        problems.extend(_describe(error, schema))
    return problems


def invalid_paths(raw: Any) -> list[tuple[str | int, ...]]:
    """The paths of the values the schema rejects: an unknown key, a missing required key, or a
    value of the wrong type/shape. Cross-field checks that read these paths are skipped."""
    paths: list[tuple[str | int, ...]] = []
    for error in _errors(raw):
        where = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = _subschema(load_schema(), error.absolute_path).get("properties", {})
            paths.extend(where + (key,) for key in error.instance if key not in known)
        elif error.validator == "required" and isinstance(error.instance, dict):
            paths.extend(where + (key,) for key in error.validator_value if key not in error.instance)
        else:
            paths.append(where)
    return paths
