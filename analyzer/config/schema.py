"""Validate a raw analysis config against the JSON Schema, reporting every problem at once."""
from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema

SCHEMA_FILE = "analysis_config.schema.json"


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
            problems.append(f"{where}: unknown key '{key}'.{hint}")
        return problems
    if error.validator == "required":
        return [f"{where}: {error.message}."]
    if error.validator == "pattern" and "description" in error.schema:
        return [f"{where}: {error.instance!r} is not valid; expected {error.schema['description']}."]
    if error.validator == "oneOf" and error.context:
        # Report the most specific branch failure rather than the generic "is not valid under any".
        best = jsonschema.exceptions.best_match(error.context)
        return [f"{_json_path(list(error.absolute_path) + list(best.relative_path))}: {best.message}."]
    return [f"{where}: {error.message}."]


def _errors(raw: Any) -> list[jsonschema.ValidationError]:
    validator = jsonschema.Draft202012Validator(load_schema())
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
