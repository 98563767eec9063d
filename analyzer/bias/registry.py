"""The metric registry: short name -> (function, exact Clarify description, stage).

Every bias metric is a plain function of a :class:`~analyzer.bias.groups.Groups` and is
registered here by the :func:`metric` decorator. A duplicate name fails at import time.
``"all"`` means every registered name of a stage, sorted by name (Clarify's output order).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from analyzer.errors import ConfigError

if TYPE_CHECKING:
    from analyzer.bias.groups import Groups

Stage = Literal["pre_training", "post_training"]
STAGES: tuple[Stage, ...] = ("pre_training", "post_training")

MetricFunction = Callable[["Groups"], float]


class MetricUndefined(Exception):
    """A metric cannot be computed on these groups (empty group, no positives, ...).

    The report builder turns it into ``{"value": null, "error": str(exc)}``; the other
    metrics go on. Messages are smclarify's, word for word.
    """


@dataclass(frozen=True)
class Metric:
    """One registered bias metric."""

    name: str
    description: str
    stage: Stage
    function: MetricFunction


_REGISTRY: dict[str, Metric] = {}


def register(name: str, description: str, stage: Stage, function: MetricFunction) -> Metric:
    """Add ``function`` under ``name``; a name already registered raises ``ValueError``."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; expected one of {list(STAGES)}")
    if name in _REGISTRY:
        raise ValueError(f"bias metric {name!r} is already registered")
    entry = Metric(name=name, description=description, stage=stage, function=function)
    _REGISTRY[name] = entry
    return entry


def metric(name: str, description: str, stage: Stage) -> Callable[[MetricFunction], MetricFunction]:
    """Decorator form of :func:`register`; returns the function unchanged."""

    def decorate(function: MetricFunction) -> MetricFunction:
        register(name, description, stage, function)
        return function

    return decorate


def names(stage: Stage) -> list[str]:
    """All registered names of ``stage``, sorted (the order Clarify writes them)."""
    return sorted(m.name for m in _REGISTRY.values() if m.stage == stage)


def get(name: str) -> Metric:
    """The registered metric called ``name`` (``KeyError`` if none)."""
    return _REGISTRY[name]


def select(stage: Stage, methods: str | Sequence[str] = "all") -> list[Metric]:
    """Resolve a config's ``methods`` (``"all"`` or a list of names) for ``stage``.

    Names are case-sensitive, as in Clarify. The result is sorted by name and has no
    duplicates. An unknown name, or a name of the other stage, raises ``ConfigError``.
    """
    valid = names(stage)
    if isinstance(methods, str):
        if methods == "all":
            return [_REGISTRY[n] for n in valid]
        methods = [methods]
    requested = list(methods)
    if requested == ["all"]:
        return [_REGISTRY[n] for n in valid]
    bad = [m for m in requested if m not in valid]
    if bad:
        raise ConfigError(
            f"Unknown {stage} bias metric(s) {bad} in methods; valid names are {valid} or \"all\""
        )
    return [_REGISTRY[n] for n in sorted(set(requested))]
