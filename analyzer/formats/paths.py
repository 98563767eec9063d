"""JMESPath compiled once per expression, with simple paths evaluated without the interpreter.

``score``, ``a.b``, ``[0]``, ``predictions[*].label`` (fields, indexes and at most one ``[*]``)
are what models answer with; evaluating them directly is several times faster than
``jmespath.search`` per record. Anything else goes to the full JMESPath compiled expression.
The simple evaluator follows JMESPath's rules: a field of a non-object, an index of a non-list or
out of range is null; a projection drops null results.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable

import jmespath

_STEP = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[(-?\d+)\]|\[(\*)\]")
_MISSING = object()

Step = tuple[str, Any]  # ("field", name) | ("index", n) | ("project", None)


def _simple_steps(path: str) -> list[Step] | None:
    """The path as steps, or None when it is not a simple path."""
    steps: list[Step] = []
    position = 0
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None or (match.group(0).startswith(".") and not steps) \
                or (match.group(1) and steps and not match.group(0).startswith(".")):
            return None
        name, index, star = match.groups()
        steps.append(("field", name) if name else ("index", int(index)) if index else ("project", None))
        position = match.end()
    if not steps or sum(kind == "project" for kind, _ in steps) > 1:
        return None
    return steps


def _apply(steps: list[Step], value: Any) -> Any:
    for position, (kind, arg) in enumerate(steps):
        if value is None:
            return None
        if kind == "field":
            value = value.get(arg) if isinstance(value, dict) else None
        elif kind == "index":
            if not isinstance(value, list):
                return None
            try:
                value = value[arg]
            except IndexError:
                return None
        else:
            if not isinstance(value, list):
                return None
            rest = steps[position + 1:]
            found = (_apply(rest, item) for item in value) if rest else iter(value)
            return [item for item in found if item is not None]
    return value


@lru_cache(maxsize=256)
def compile_path(path: str) -> Callable[[Any], Any]:
    """A function document → result, the same as ``jmespath.search(path, document)``.

    Raises ``jmespath.exceptions.JMESPathError`` for an invalid expression (checked even on the fast path).
    """
    expression = jmespath.compile(path)
    steps = _simple_steps(path)
    if steps is None:
        return expression.search
    if len(steps) == 1 and steps[0][0] == "field":
        name = steps[0][1]
        return lambda document: document.get(name) if isinstance(document, dict) else None
    return lambda document: _apply(steps, document)
