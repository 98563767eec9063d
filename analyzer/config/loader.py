"""Read analysis_config.json, apply command-line overrides, validate and build the typed config."""
from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any, Mapping, Sequence

from analyzer.config.build import build_config
from analyzer.config.checks import cross_field_problems
from analyzer.config.model import AnalysisConfig
from analyzer.config.schema import invalid_paths, schema_problems
from analyzer.errors import ConfigError

log = logging.getLogger("analyzer.config")

SCHEMA_ERROR = "Analysis configuration schema validation error."
JSON_ERROR = "Unable to load analysis configuration as JSON."

#: What --methods adds for each section when the config has none (monitor-style configs).
DEFAULT_SECTIONS: Mapping[str, Any] = {
    "pre_training_bias": {"methods": "all"},
    "post_training_bias": {"methods": "all"},
    "shap": {},
}


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"Analysis config not found: {path}. Mount it at "
                          "/opt/ml/processing/input/config/analysis_config.json or pass --config.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read analysis config {path}: {exc}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{JSON_ERROR} {path}: {exc.msg} at line {exc.lineno} column {exc.colno}.") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{JSON_ERROR} {path}: the top level must be a JSON object, got {type(raw).__name__}.")
    return raw


def apply_overrides(raw: Mapping[str, Any], *, dataset_type: str | None = None,
                    methods: Sequence[str] = (), dataset_uri: str | None = None) -> dict[str, Any]:
    """Fill what a monitor-style partial config leaves out, from command-line flags.

    Flags never replace a value the config already has, except ``dataset_uri`` (``--data``),
    which points the job at other data just as the processing input does.
    """
    out = copy.deepcopy(dict(raw))
    if dataset_type and "dataset_type" not in out:
        out["dataset_type"] = dataset_type
    if methods:
        section = out.setdefault("methods", {})
        for name in methods:
            if name not in DEFAULT_SECTIONS:
                raise ConfigError(f"--methods: unknown section '{name}'; use {', '.join(DEFAULT_SECTIONS)}.")
            section.setdefault(name, copy.deepcopy(DEFAULT_SECTIONS[name]))
    if dataset_uri:
        out["dataset_uri"] = dataset_uri
    return out


def validate(raw: Mapping[str, Any]) -> list[str]:
    """All problems of a raw config at once: the schema's, then those of every cross-field check
    whose inputs the schema accepted."""
    return schema_problems(raw) + cross_field_problems(raw, invalid_paths(raw))


def parse_config(raw: Mapping[str, Any], *, source: str = "analysis config") -> AnalysisConfig:
    problems = validate(raw)
    if problems:
        detail = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(f"{SCHEMA_ERROR} {len(problems)} problem(s) in {source}:\n{detail}")
    return build_config(raw)


def load_config(path: Path, **overrides: Any) -> AnalysisConfig:
    raw = apply_overrides(read_config_file(path), **overrides)
    config = parse_config(raw, source=str(path))
    log.info("Effective analysis config: %s", json.dumps(config.raw, sort_keys=False))
    return config
