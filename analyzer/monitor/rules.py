"""Threshold rules for CI gates: ``[FACET[=VALUE]:]METRIC OP NUMBER``, violated when the rule holds.

``METRIC`` is a bias metric code (``DI``) or ``abs(CODE)``; ``OP`` is one of ``< <= > >=``;
``NUMBER`` is any finite or infinite decimal (``inf`` too). Examples: ``DI<0.8``, ``abs(DPPL)>0.1``,
``Sex=Female:CDDL>0.05``. Codes come from :mod:`analyzer.bias.registry` and are matched without
regard to case. A rules file (``--thresholds``) is JSON or YAML: a list whose items are rule strings
or ``{"rule": "...", "description": "..."}`` objects.
"""
from __future__ import annotations

import json
import math
import operator
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from analyzer.errors import ConfigError

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}

# The scope is everything before the last ':' (facet values may hold ':' only before it).
_RULE = re.compile(
    r"^\s*(?:(?P<scope>.*):)?\s*(?P<metric>abs\s*\(\s*[A-Za-z]+\s*\)|[A-Za-z]+)\s*"
    r"(?P<op><=|>=|<|>)\s*(?P<number>[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf|infinity))\s*$",
    re.IGNORECASE)
SYNTAX = "[FACET[=VALUE]:]METRIC OP NUMBER (METRIC a bias code or abs(CODE), OP one of < <= > >=)"


def metric_codes() -> dict[str, str]:
    """Every registered bias metric code → its stage (``pre_training`` / ``post_training``)."""
    from analyzer.bias import registry  # the registry fills itself when analyzer.bias is imported

    return {name: stage for stage in registry.STAGES for name in registry.names(stage)}


@dataclass(frozen=True)
class Rule:
    """One parsed threshold rule; ``text`` is the rule as written."""

    text: str
    metric: str                     # the registry's code, e.g. "DI"
    op: str
    threshold: float
    absolute: bool = False
    facet: str | None = None
    facet_value: str | None = None
    description: str | None = None

    def holds(self, value: float) -> bool:
        """True when ``value`` meets the rule's condition, i.e. the rule is violated."""
        if math.isnan(value):
            return False
        return OPERATORS[self.op](abs(value) if self.absolute else value, self.threshold)

    def applies_to(self, facet: str, facet_value: str) -> bool:
        if self.facet is not None and self.facet != facet:
            return False
        return self.facet_value is None or self.facet_value == facet_value

    @property
    def metric_text(self) -> str:
        return f"abs({self.metric})" if self.absolute else self.metric


def _valid_codes_text(codes: dict[str, str]) -> str:
    return ", ".join(sorted(codes))


def _syntax_error(text: str, codes: dict[str, str], why: str = "") -> ConfigError:
    return ConfigError(f"Cannot parse the rule {text!r}: {why}expected {SYNTAX}, e.g. DI<0.8, abs(DPPL)>0.1 or "
                       f"Sex=Female:CDDL>0.05. Valid metric codes: {_valid_codes_text(codes)}.")


def parse_rule(text: str, description: str | None = None) -> Rule:
    """Parse one rule; ``ConfigError`` (exit 2) naming the rule when it cannot parse or names an
    unknown metric."""
    codes = metric_codes()
    match = _RULE.match(text)
    if match is None:
        raise _syntax_error(text, codes)
    metric_text = match["metric"]
    absolute = metric_text.lower().startswith("abs")
    code = re.sub(r"^abs\s*\(\s*|\s*\)$", "", metric_text, flags=re.IGNORECASE).upper()
    if code not in codes:
        raise ConfigError(f"Unknown metric {code!r} in the rule {text!r}. Valid metric codes: "
                          f"{_valid_codes_text(codes)} (or abs(CODE)).")
    facet = facet_value = None
    scope = match["scope"]
    if scope is not None:
        facet, _, value = scope.strip().partition("=")
        facet, facet_value = facet.strip(), (value.strip() if "=" in scope else None)
        if not facet or facet_value == "":
            raise _syntax_error(text, codes, "the scope before ':' must be FACET or FACET=VALUE; ")
    return Rule(text=text.strip(), metric=code, op=match["op"], threshold=float(match["number"]),
                absolute=absolute, facet=facet, facet_value=facet_value, description=description)


def _rule_item(item: Any, where: str) -> Rule:
    if isinstance(item, str):
        return parse_rule(item)
    if isinstance(item, dict) and isinstance(item.get("rule"), str) and set(item) <= {"rule", "description"}:
        description = item.get("description")
        if description is not None and not isinstance(description, str):
            raise ConfigError(f"{where}: 'description' must be text.")
        return parse_rule(item["rule"], description)
    raise ConfigError(f"{where}: each item must be a rule string or an object with 'rule' and an optional "
                      f"'description', not {json.dumps(item, default=str)[:80]}.")


def read_rules_file(path: Path, name: str | None = None) -> tuple[Rule, ...]:
    """The rules in a JSON or YAML file (a list of rules); ``name`` is how errors refer to it."""
    name = name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the rules file {name}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        items = json.loads(text)
    except json.JSONDecodeError:
        import yaml

        try:
            items = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" (line {mark.line + 1})" if mark is not None else ""
            raise ConfigError(f"The rules file {name} is neither JSON nor YAML{at}.") from None
    if not isinstance(items, list):
        raise ConfigError(f"The rules file {name} must hold a list of rules, e.g. [\"DI<0.8\", "
                          "{\"rule\": \"abs(DPPL)>0.1\", \"description\": \"...\"}].")
    return tuple(_rule_item(item, f"{name} item {i + 1}") for i, item in enumerate(items))
