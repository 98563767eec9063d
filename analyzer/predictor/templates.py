"""Clarify's request templates: ``content_template`` ($features, $record, $records) and JSON
``record_template`` ($features, $feature_names, $features_kvp, "${name}" per feature)."""
from __future__ import annotations

import json
import math
import re
from typing import Any, Sequence

from analyzer.errors import ConfigError

_RECORD_VARS = re.compile(r"\$(features_kvp|feature_names|features)\b")
_FEATURE_PLACEHOLDER = re.compile(r'"\$\{([^}]*)\}"')  # the quotes belong to the placeholder
_CONTENT_RECORDS = re.compile(r"\$(records|record)\b")
_CONTENT_FEATURES = re.compile(r"\$features\b")

DEFAULT_JSONLINES_TEMPLATE = "$features"
DEFAULT_JSON_CONTENT_TEMPLATE = "$records"
DEFAULT_RECORD_TEMPLATE = "$features"


def to_json_value(value: Any) -> Any:
    """A cell as plain JSON: numpy scalars unwrapped, NaN/None as null."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=to_json_value)


def check_jsonlines_template(template: str) -> None:
    if not _CONTENT_FEATURES.search(template):
        raise ConfigError(f"predictor.content_template: for application/jsonlines it must contain $features; "
                          f"got {template!r}.")


def render_jsonlines(template: str, row: Sequence[Any]) -> str:
    return _CONTENT_FEATURES.sub(lambda _m: dumps(list(row)), template)


def render_jsonlines_cells(template: str, rows: Sequence[Sequence[str]]) -> str:
    """All lines from rows of JSON cell texts (see ``cells.json_cells``); the same text as
    ``render_jsonlines`` line by line."""
    parts = _CONTENT_FEATURES.split(template)
    return "\n".join(("[" + ",".join(row) + "]").join(parts) for row in rows)


class RecordTemplate:
    """One JSON record from one row of feature values."""

    def __init__(self, template: str, feature_names: Sequence[str]) -> None:
        self.template = template
        self.names = list(feature_names)
        self._index = {name: i for i, name in enumerate(self.names)}
        placeholders = _FEATURE_PLACEHOLDER.findall(template)
        variables = _RECORD_VARS.findall(template)
        unknown = [p for p in placeholders if p not in self._index]
        if unknown:
            raise ConfigError(f"predictor.record_template: placeholder(s) {', '.join('${%s}' % u for u in unknown)} "
                              f"name no feature; features are: {', '.join(self.names)}.")
        if variables.count("features_kvp") > 1:
            raise ConfigError("predictor.record_template: $features_kvp may appear only once.")
        if placeholders and variables:
            raise ConfigError("predictor.record_template: use either \"${name}\" placeholders or "
                              "$features/$feature_names/$features_kvp, not both.")
        if not placeholders and not ({"features", "features_kvp"} & set(variables)):
            raise ConfigError(f"predictor.record_template: must contain $features, $features_kvp or \"${{name}}\" "
                              f"placeholders; got {template!r}.")
        self._names_json = dumps(self.names)
        self._placeholders = bool(placeholders)
        self._keys = [dumps(name) + ":" for name in self.names]
        self.renders_cells = len(set(self.names)) == len(self.names)   # $features_kvp: a dict of unique keys

    def render(self, row: Sequence[Any]) -> str:
        def variable(match: re.Match) -> str:
            kind = match.group(1)
            if kind == "features":
                return dumps(list(row))
            if kind == "feature_names":
                return self._names_json
            return dumps(dict(zip(self.names, row)))

        if self._placeholders:   # never both kinds; a value that looks like "${x}" stays a value
            return _FEATURE_PLACEHOLDER.sub(lambda m: dumps(row[self._index[m.group(1)]]), self.template)
        return _RECORD_VARS.sub(variable, self.template)


    def render_cells(self, cells: Sequence[str]) -> str:
        """The same text as ``render`` from the row's JSON cell texts (when ``renders_cells``)."""
        def variable(match: re.Match) -> str:
            kind = match.group(1)
            if kind == "features":
                return "[" + ",".join(cells) + "]"
            if kind == "feature_names":
                return self._names_json
            return "{" + ",".join(key + cell for key, cell in zip(self._keys, cells)) + "}"

        if self._placeholders:
            return _FEATURE_PLACEHOLDER.sub(lambda m: cells[self._index[m.group(1)]], self.template)
        return _RECORD_VARS.sub(variable, self.template)


def check_json_content_template(template: str) -> bool:
    """Validate a JSON content_template; True when it sends one record per request ($record)."""
    found = set(_CONTENT_RECORDS.findall(template))
    if not found:
        raise ConfigError(f"predictor.content_template: for application/json it must contain $record or $records; "
                          f"got {template!r}.")
    if len(found) > 1:
        raise ConfigError("predictor.content_template: use $record or $records, not both.")
    return found == {"record"}


def render_json_content(template: str, records: Sequence[str]) -> str:
    def fill(match: re.Match) -> str:
        return records[0] if match.group(1) == "record" else "[" + ",".join(records) + "]"

    return _CONTENT_RECORDS.sub(fill, template)
