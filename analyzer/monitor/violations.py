"""Check outcomes and ``constraint_violations.json`` in Model Monitor's format.

Model Monitor writes ``{"version": "1.0", "violations": [...]}`` with ``constraint_check_type``
``bias_drift_check`` (keys ``facet``, ``facet_value``, ``metric_name``, ``constraint_check_type``,
``description``) or ``feature_attribution_drift_check`` (``label``, ``metric_name`` = ``"shap"``,
``constraint_check_type``, ``description``). Threshold rules are ours: ``threshold_check`` with the
bias keys plus ``rule`` (the rule as written).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

BIAS_DRIFT = "bias_drift_check"
ATTRIBUTION_DRIFT = "feature_attribution_drift_check"
THRESHOLD = "threshold_check"
CHECK_TYPES = (THRESHOLD, BIAS_DRIFT, ATTRIBUTION_DRIFT)

PASS, FAIL, NOT_CHECKED = "pass", "fail", "not checked"


@dataclass(frozen=True)
class Violation:
    check_type: str
    metric_name: str
    description: str
    facet: str | None = None
    facet_value: str | None = None
    label: str | None = None
    rule: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Model Monitor's key order; keys that do not apply to the check type are left out."""
        if self.check_type == ATTRIBUTION_DRIFT:
            return {"label": self.label, "metric_name": self.metric_name,
                    "constraint_check_type": self.check_type, "description": self.description}
        entry = {"facet": self.facet, "facet_value": self.facet_value, "metric_name": self.metric_name,
                 "constraint_check_type": self.check_type, "description": self.description}
        if self.rule is not None:
            entry["rule"] = self.rule
        return entry


@dataclass(frozen=True)
class Outcome:
    """The result of one comparison: a rule on one facet value, or one baseline comparison."""

    check_type: str
    subject: str                # what was compared, e.g. "Sex = Female, DI (post-training)" or "label0"
    status: str                 # PASS, FAIL or NOT_CHECKED
    detail: str                 # why, in words
    criterion: str = ""         # the rule text, or the baseline value and tolerance
    violation: Violation | None = None


def constraint_violations(violations: Iterable[Violation]) -> dict[str, Any]:
    return {"version": "1.0", "violations": [v.to_json() for v in violations]}
