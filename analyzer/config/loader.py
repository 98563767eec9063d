"""Read analysis_config.json, apply command-line overrides, validate and build the typed config."""
from __future__ import annotations

import copy
import json
import logging
import stat
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
#: Bounds checked before anything else: a real config is a few KB and a few levels deep.
MAX_CONFIG_BYTES = 16 * 2**20
MAX_CONFIG_DEPTH = 32

#: What --methods adds for each section when the config has none (monitor-style configs).
DEFAULT_SECTIONS: Mapping[str, Any] = {
    "pre_training_bias": {"methods": "all"},
    "post_training_bias": {"methods": "all"},
    "shap": {},
}


class _NotJson(ValueError):
    """A JSON extension Python accepts but JSON (and Clarify) does not: NaN, Infinity, -Infinity."""


def _reject_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number; write a finite number (or a string)")


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a JSON value, iteratively (no recursion), stopping past ``limit``."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def parse_json_text(text: str, where: str) -> Any:
    """JSON text → value, or a one-line ConfigError naming ``where`` (line, column, or the limit hit)."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{JSON_ERROR} {where}: larger than {MAX_CONFIG_BYTES} characters; a config is a few KB.")
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{JSON_ERROR} {where}: {exc.msg} at line {exc.lineno} column {exc.colno}.") from None
    except _NotJson as exc:
        raise ConfigError(f"{JSON_ERROR} {where}: {exc}.") from None
    except RecursionError:
        raise ConfigError(f"{JSON_ERROR} {where}: nested more than {MAX_CONFIG_DEPTH} levels deep.") from None
    if _depth(value, MAX_CONFIG_DEPTH) > MAX_CONFIG_DEPTH:
        raise ConfigError(f"{JSON_ERROR} {where}: nested more than {MAX_CONFIG_DEPTH} levels deep.")
    return value


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        if stat.S_ISFIFO(path.stat().st_mode) or stat.S_ISSOCK(path.stat().st_mode):
            raise ConfigError(f"Cannot read analysis config {path}: a pipe or socket, not a file.")
        with open(path, "rb") as f:  # bounded: /dev/zero or a FIFO must not be read forever
            data = f.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError(f"{JSON_ERROR} {path}: larger than {MAX_CONFIG_BYTES} bytes; a config is a few KB.")
        text = data.decode("utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"Analysis config not found: {path}. Mount it at "
                          "/opt/ml/processing/input/config/analysis_config.json or pass --config.") from None
    except IsADirectoryError:
        raise ConfigError(f"Cannot read analysis config {path}: it is a directory, not a file.") from None
    except UnicodeDecodeError as exc:
        hint = " (it looks like UTF-16; save it as UTF-8)" if exc.object[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise ConfigError(f"Cannot read analysis config {path}: not UTF-8 text (byte {exc.start}){hint}.") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read analysis config {path}: {exc.strerror or exc}.") from None
    raw = parse_json_text(text, str(path))
    if not isinstance(raw, dict):
        raise ConfigError(f"{JSON_ERROR} {path}: the top level must be a JSON object, got {type(raw).__name__}.")
    return raw


def apply_overrides(raw: Mapping[str, Any], *, dataset_type: str | None = None,
                    methods: Sequence[str] = (), dataset_uri: str | None = None) -> dict[str, Any]:
    """Fill what a monitor-style partial config leaves out, from command-line flags.

    Flags never replace a value the config already has, except ``dataset_uri`` (``--data``),
    which points the job at other data just as the processing input does.
    """
    if _depth(raw, MAX_CONFIG_DEPTH) > MAX_CONFIG_DEPTH:  # deepcopy below recurses
        raise ConfigError(f"{JSON_ERROR} nested more than {MAX_CONFIG_DEPTH} levels deep.")
    out = copy.deepcopy(dict(raw))
    if dataset_type and "dataset_type" not in out:
        out["dataset_type"] = dataset_type
    if methods:
        section = out.setdefault("methods", {})
        if not isinstance(section, dict):
            raise ConfigError(f"$.methods: expected an object, got {type(section).__name__}; "
                              "--methods adds sections to it.")
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
        # The first line stands alone (SageMaker's FailureReason); the whole list follows for the log.
        more = f" ({len(problems) - 1} more problem(s) listed below)" if len(problems) > 1 else ""
        detail = "".join(f"\n  - {p}" for p in problems) if len(problems) > 1 else ""
        raise ConfigError(f"{SCHEMA_ERROR} {problems[0]}{more} [{source}]{detail}")
    return build_config(raw)


def load_config(path: Path, **overrides: Any) -> AnalysisConfig:
    raw = apply_overrides(read_config_file(path), **overrides)
    config = parse_config(raw, source=str(path))
    log.info("Effective analysis config: %s", json.dumps(shown_config(config.raw), sort_keys=False))
    return config


#: Config values that may carry credentials and are never echoed (log, output copy of the config).
HIDDEN_KEYS = ("custom_attributes",)


def shown_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The config as it may be shown: hidden keys masked, credentials in URLs removed."""
    from analyzer.redact import MASK, redact

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: MASK if k in HIDDEN_KEYS else walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return redact(value) if isinstance(value, str) else value

    return walk(dict(raw))


def shown_parsed(config: AnalysisConfig) -> AnalysisConfig:
    """The parsed config as reports may show it: no credentials in the endpoint URL, no custom attributes."""
    from dataclasses import replace

    from analyzer.redact import redact

    predictor = config.predictor
    if predictor is None:
        return config
    url = redact(predictor.endpoint_url) if predictor.endpoint_url else None
    return replace(config, raw=shown_config(config.raw),
                   predictor=replace(predictor, endpoint_url=url, custom_attributes=None))
