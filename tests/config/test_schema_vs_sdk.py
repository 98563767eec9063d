"""Our JSON Schema is no stricter than the SageMaker SDK's ``ANALYSIS_CONFIG_SCHEMA_V1_0`` (issue 12
item 3): the SDK's schema is walked key by key; for every key, every value type it allows (each
enum value in three letter cases, each list item type, each object shape) is put into a minimal
config; whatever the SDK accepts, ours must accept too, except where Clarify's own documentation
is stricter — those places are listed in STRICTER with the reason.

Not walked: numeric ranges (``num_samples: -3``; issue 18 bounds them where Clarify cannot compute)
and ``True`` where the SDK wants an int (Python's ``isinstance(True, int)``).
"""
from __future__ import annotations

import copy
import json
from typing import Any, Iterator

import pytest

from analyzer.config.schema import schema_problems

clarify = pytest.importorskip("sagemaker.clarify")
schema_lib = pytest.importorskip("schema")

SDK_SCHEMA = clarify.ANALYSIS_CONFIG_SCHEMA_V1_0
BASE: dict[str, Any] = {"dataset_type": "text/csv", "methods": {"report": {"name": "report"}}}

#: Where we are stricter than the SDK's client-side schema, and the documentation that says so.
STRICTER = {
    "version": "Clarify's docs: the only analysis config version is \"1.0\"",
    "predictor.endpoint_name_prefix": "Clarify's docs: pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]) for the whole "
                                      "prefix (SageMaker endpoint names); the SDK's regex only checks its start",
    "methods.pre_training_bias.methods": "Clarify's docs: \"all\" or a list of the documented metric names "
                                         "(smclarify rejects others with 'Invalid metric_name')",
    "methods.post_training_bias.methods": "as pre_training_bias.methods",
    "methods.shap.image_config.model_type": "Clarify's docs: IMAGE_CLASSIFICATION or OBJECT_DETECTION",
}

_SAMPLES = {str: ["text"], int: [3], float: [0.5], bool: [True], type(None): [None], object: ["text", 3]}


def _enum(check: Any) -> tuple | None:
    """The allowed values of an SDK ``lambda s: s in (...)`` check (its code's constant tuple)."""
    for const in getattr(getattr(check, "__code__", None), "co_consts", ()):
        if isinstance(const, tuple) and all(isinstance(v, str) for v in const):
            return const
    return None


def samples(node: Any) -> list[Any]:
    """Values the SDK schema ``node`` accepts, one per alternative it offers."""
    if isinstance(node, schema_lib.Schema):
        return samples(node.schema)
    if isinstance(node, schema_lib.Or):
        return [v for arg in node.args for v in samples(arg)]
    if isinstance(node, schema_lib.And):
        for arg in node.args:
            if isinstance(arg, schema_lib.Regex):
                return ["sm-clarify"]
            values = _enum(arg)
            if values:
                return [v for value in values for v in (value, value.upper(), value.title())]
        return samples(node.args[0])
    if isinstance(node, list):
        return [[v] for item in node for v in samples(item)] + [[]]
    if isinstance(node, dict):
        literal = [k for k in node if isinstance(_key(k), str) and not isinstance(_key(k), type)]
        if not literal:   # {object: object}, {str: str}, {Or(str, int): [...]}
            key, value = next(iter(node.items()))
            return [{"key": samples(value)[0]}]
        return [minimal(node)]
    if isinstance(node, type):
        return list(_SAMPLES.get(node, []))
    return [node]


def _key(key: Any) -> Any:
    return key.schema if isinstance(key, schema_lib.Optional) else key


def minimal(node: dict) -> dict:
    """The smallest object the SDK accepts: its required keys, each with its first sample."""
    return {k: samples(v)[0] for k, v in node.items() if not isinstance(k, schema_lib.Optional)
            and isinstance(k, str)}


def mutations(node: dict, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any, dict]]:
    """(path, value, the minimal parent objects along the path) for every key and value the SDK allows."""
    for raw_key, value in node.items():
        key = _key(raw_key)
        if not isinstance(key, str):
            continue
        here = path + (key,)
        inner = value.schema if isinstance(value, schema_lib.Schema) else value
        if isinstance(inner, dict) and any(isinstance(_key(k), str) for k in inner):
            yield from mutations(inner, here)
        alternatives = inner.args if isinstance(inner, schema_lib.Or) else [inner]
        for alternative in alternatives:
            if isinstance(alternative, list) and alternative and isinstance(alternative[0], dict) \
                    and any(isinstance(_key(k), str) for k in alternative[0]):
                for sub_path, sub_value, _ in mutations(alternative[0], ()):
                    item = minimal(alternative[0])
                    _set(item, sub_path, sub_value, alternative[0])
                    yield here, [item], {}
        for sample in samples(value):
            yield here, sample, {}


def _set(target: dict, path: tuple[str, ...], value: Any, node: dict) -> None:
    """Put ``value`` at ``path``, creating each missing parent as the SDK's minimal object."""
    for key in path[:-1]:
        node = _child(node, key)
        target = target.setdefault(key, minimal(node) if isinstance(node, dict) else {})
    target[path[-1]] = value


def _child(node: dict, key: str) -> Any:
    for raw_key, value in node.items():
        if _key(raw_key) == key:
            value = value.schema if isinstance(value, schema_lib.Schema) else value
            if isinstance(value, schema_lib.Or):
                value = next((a for a in value.args if isinstance(a, dict)), value)
            return value
    raise KeyError(key)


def cases() -> list[tuple[str, Any, dict]]:
    root = SDK_SCHEMA.schema
    out, seen = [], set()
    for path, value, _ in mutations(root):
        config = copy.deepcopy(BASE)
        _set(config, path, value, root)
        text = json.dumps(config, sort_keys=True)
        if text not in seen:
            seen.add(text)
            out.append((".".join(path), value, config))
    return out


CASES = cases()


def _sdk_accepts(config: dict) -> bool:
    try:
        SDK_SCHEMA.validate(copy.deepcopy(config))
        return True
    except schema_lib.SchemaError:
        return False


def test_the_walk_covers_every_sdk_key():
    def keys(node: Any, path: str = "") -> set[str]:
        out = set()
        if isinstance(node, schema_lib.Schema):
            node = node.schema
        if isinstance(node, schema_lib.Or):
            return set().union(*(keys(a, path) for a in node.args))
        if isinstance(node, list) and node:
            return keys(node[0], path)
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(_key(k), str):
                    here = f"{path}.{_key(k)}".lstrip(".")
                    out |= {here} | keys(v, here)
        return out

    walked = {path for path, _, _ in CASES}
    every = keys(SDK_SCHEMA.schema)
    # list-of-object keys (facet, segment_config) are walked through their parent path; an object
    # key through its children
    missing = {k for k in every
               if not any(w == k or k.startswith(w + ".") or w.startswith(k + ".") for w in walked)}
    assert not missing
    assert len(CASES) > 300


@pytest.mark.parametrize("path,value,config", CASES, ids=[f"{p}={json.dumps(v)[:40]}" for p, v, _ in CASES])
def test_what_the_sdk_accepts_we_accept(path: str, value: Any, config: dict):
    if not _sdk_accepts(config):
        pytest.skip("the SDK's schema rejects this value too")
    problems = schema_problems(config)
    if path in STRICTER:
        return  # documented: see STRICTER (asserted to be stricter below)
    assert problems == [], f"the SDK accepts {path}={value!r}, we say: {problems}"


@pytest.mark.parametrize("path", sorted(STRICTER))
def test_each_listed_strictness_is_real(path: str):
    """Every STRICTER entry names a place where the SDK accepts a value we refuse."""
    refused = [c for p, _, c in CASES if p == path and _sdk_accepts(c) and schema_problems(c)]
    extra = {"version": {**BASE, "version": "2.0"},
             "predictor.endpoint_name_prefix": {**BASE, "predictor": {"endpoint_name_prefix": "ab_c"}}}
    if path in extra:
        assert _sdk_accepts(extra[path]) and schema_problems(extra[path])
    else:
        assert refused, f"{path}: no value found that the SDK accepts and we refuse; drop it from STRICTER"


@pytest.mark.parametrize("config", [
    {**BASE, "predictor": {"label_headers": [0, 1]}},
    {**BASE, "predictor": {"content_template": {"instances": "$records"}}},
    {**BASE, "methods": {"asymmetric_shapley_value": {"direction": "chronological", "granularity": "timewise",
                                                      "baseline": {"target_time_series": "MEAN",
                                                                   "related_time_series": "Zero"}}}},
])
def test_the_issue_examples_are_accepted(config: dict):
    assert _sdk_accepts(config)
    assert schema_problems(config) == []
