"""Drift against a baseline analysis.json: bias drift per metric, attribution drift per label (nDCG).

Bias drift (Model Monitor's ``bias_drift_check``): for every (stage, facet, facet value, metric)
in both documents, the current value violates the baseline when it is farther from neutral than
the baseline's, by more than ``tolerance``. Distance is :func:`analyzer.bias.bands.distance_from_neutral`:
``|value|`` for the metrics neutral at 0, ``|log DI|`` for DI (neutral at 1, so DI 0.5 and 2.0 are
equally far); ``"Infinity"`` is infinitely far, so a finite baseline and an infinite current value
is a violation, and two infinite values are not. The tolerance is added on that same scale.
A null/error value on either side, or a metric in only one document, is "not checked".

Attribution drift (``feature_attribution_drift_check``), per label of
``explanations.kernel_shap``: the nDCG of the current global SHAP ranking, with the baseline's
attributions as relevance, as AWS documents it::

    F' = features sorted by current |attribution|, descending; a(f) = baseline |attribution|
    DCG  = Σ_i a(F'_i) / log2(i + 1)        (i = 1 … m)
    iDCG = Σ_i a(F_i)  / log2(i + 1)        (F = features sorted by baseline attribution)
    nDCG = DCG / iDCG

Features tied in the current ranking share their positions' discounts equally (as scikit-learn's
``ndcg_score`` does), so the score never depends on an arbitrary tie order. A feature missing on
one side counts as attribution 0 there. A label scores below ``threshold`` (0.9) → violation.
"""
from __future__ import annotations

import math
from itertools import groupby
from typing import Any, Mapping, Sequence

from analyzer.bias import distance_from_neutral
from analyzer.monitor.document import BiasEntry, bias_entries, global_shap, value_text
from analyzer.monitor.violations import (
    ATTRIBUTION_DRIFT,
    BIAS_DRIFT,
    FAIL,
    NOT_CHECKED,
    PASS,
    Outcome,
    Violation,
)

BASELINE_NAME = "the baseline constraints"


def ndcg(baseline: Mapping[str, float], current: Mapping[str, float]) -> float:
    """nDCG of the current ranking against the baseline attributions (see the module text);
    NaN when the baseline attributions are all zero (nothing to rank)."""
    features = list(dict.fromkeys([*baseline, *current]))
    relevance = {f: abs(baseline.get(f, 0.0)) for f in features}
    discounts = [1.0 / math.log2(i + 2) for i in range(len(features))]
    ideal = sum(r * d for r, d in zip(sorted(relevance.values(), reverse=True), discounts, strict=True))
    if ideal == 0:
        return math.nan
    ranked = sorted(features, key=lambda f: -abs(current.get(f, 0.0)))
    dcg, position = 0.0, 0
    for _, tied in groupby(ranked, key=lambda f: abs(current.get(f, 0.0))):
        group = list(tied)
        mean_relevance = sum(relevance[f] for f in group) / len(group)
        dcg += mean_relevance * sum(discounts[position:position + len(group)])
        position += len(group)
    return dcg / ideal


def _bias_outcome(current: BiasEntry, baseline: BiasEntry, tolerance: float) -> Outcome:
    criterion = f"baseline {value_text(baseline.raw)}" + (f" (tolerance {tolerance:g})" if tolerance else "")
    for side, entry in (("this run", current), ("the baseline", baseline)):
        if entry.value is None:
            why = entry.error or "no value"
            return Outcome(BIAS_DRIFT, current.subject, NOT_CHECKED, f"No value in {side}: {why}", criterion)
    now = distance_from_neutral(current.metric, current.value)  # type: ignore[arg-type]
    before = distance_from_neutral(baseline.metric, baseline.value)  # type: ignore[arg-type]
    if now > before + tolerance:
        description = (f"Metric value {value_text(current.raw)} doesn't meet the baseline constraint "
                       f"requirement {value_text(baseline.raw)}")
        violation = Violation(BIAS_DRIFT, current.metric, description, facet=current.facet,
                              facet_value=current.facet_value)
        return Outcome(BIAS_DRIFT, current.subject, FAIL, description, criterion, violation)
    return Outcome(BIAS_DRIFT, current.subject, PASS,
                   f"Value {value_text(current.raw)} is no farther from neutral than the baseline's", criterion)


def bias_drift(document: Mapping[str, Any], baseline: Mapping[str, Any], tolerance: float = 0.0) -> list[Outcome]:
    """One outcome per bias metric of either document (current order first, then baseline-only ones)."""
    before = {e.key: e for e in bias_entries(baseline, BASELINE_NAME)}
    outcomes = []
    seen = set()
    for entry in bias_entries(document):
        seen.add(entry.key)
        base = before.get(entry.key)
        if base is None:
            outcomes.append(Outcome(BIAS_DRIFT, entry.subject, NOT_CHECKED, "Not in the baseline", "baseline —"))
        else:
            outcomes.append(_bias_outcome(entry, base, tolerance))
    for key, base in before.items():
        if key not in seen:
            outcomes.append(Outcome(BIAS_DRIFT, base.subject, NOT_CHECKED, "In the baseline but not computed in "
                                    "this run", f"baseline {value_text(base.raw)}"))
    return outcomes


def _attribution_outcome(label: str, current: Mapping[str, float], baseline: Mapping[str, float],
                         threshold: float) -> Outcome:
    subject, criterion = f"{label}, global SHAP ranking", f"nDCG ≥ {threshold:g}"
    score = ndcg(baseline, current)
    if math.isnan(score):
        return Outcome(ATTRIBUTION_DRIFT, subject, NOT_CHECKED, "The baseline attributions are all zero", criterion)
    if score < threshold:
        description = f"Feature attribution drift {value_text(score)} exceeds threshold {value_text(threshold)}"
        violation = Violation(ATTRIBUTION_DRIFT, "shap", description, label=label)
        return Outcome(ATTRIBUTION_DRIFT, subject, FAIL, description, criterion, violation)
    return Outcome(ATTRIBUTION_DRIFT, subject, PASS, f"nDCG {score:.4f}", criterion)


def attribution_drift(document: Mapping[str, Any], baseline: Mapping[str, Any],
                      threshold: float = 0.9) -> list[Outcome]:
    """One outcome per kernel_shap label of either document."""
    now, before = global_shap(document), global_shap(baseline, BASELINE_NAME)
    outcomes = []
    for label in list(dict.fromkeys([*now, *before])):
        if label not in before:
            outcomes.append(Outcome(ATTRIBUTION_DRIFT, f"{label}, global SHAP ranking", NOT_CHECKED,
                                    "Not in the baseline", f"nDCG ≥ {threshold:g}"))
        elif label not in now:
            outcomes.append(Outcome(ATTRIBUTION_DRIFT, f"{label}, global SHAP ranking", NOT_CHECKED,
                                    "In the baseline but not computed in this run", f"nDCG ≥ {threshold:g}"))
        else:
            outcomes.append(_attribution_outcome(label, now[label], before[label], threshold))
    return outcomes


def drift_outcomes(document: Mapping[str, Any], baseline: Mapping[str, Any], tolerance: float,
                   threshold: float) -> Sequence[Outcome]:
    return [*bias_drift(document, baseline, tolerance), *attribution_drift(document, baseline, threshold)]
