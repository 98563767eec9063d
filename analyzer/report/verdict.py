"""The verdict: which metrics are far from neutral for which groups, model accuracy per group, top
features and warnings. One judgement, two layouts: the report's opening "Summary of concern" and
the short text ``analyzer run`` prints at the end.

Built from the analysis document and the report context only (both pure results of the job), with
the concern bands of :mod:`analyzer.bias.bands`; callers may pass other bands (threshold rules).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from analyzer.bias import DATASET_WIDE, DEFAULT_BANDS, Band, distance_from_neutral, outside_band
from analyzer.bias import SECTION_KEYS
from analyzer.monitor import FAIL
from analyzer.output import json_number
from analyzer.report.context import DIAGNOSTICS_KEY, ReportContext

STAGE_TITLES = {"pre_training": "pre-training", "post_training": "post-training"}
TOP_FEATURES = 5          # features named per model output
MAX_LINES = 12            # groups or accuracy lines printed before "and N more"


@dataclass(frozen=True)
class Flag:
    """One metric value outside its band."""

    metric: str
    value: float
    band: Band

    @property
    def severity(self) -> float:
        """How many times farther from neutral than the band edge on its side (> 1 when flagged)."""
        edge = self.band.high if self.value > self.band.high else self.band.low
        limit = distance_from_neutral(self.metric, edge)
        distance = distance_from_neutral(self.metric, self.value)
        return math.inf if limit == 0 or math.isinf(distance) else distance / limit


@dataclass(frozen=True)
class GroupVerdict:
    """One entry of a bias section: a facet value (d) against the rest (a)."""

    stage: str                   # "pre_training" / "post_training"
    facet: str
    group: str
    flags: tuple[Flag, ...]
    checked: int                 # metrics with a value that has a band

    @property
    def name(self) -> str:
        return f"{self.facet} = {self.group}"


@dataclass(frozen=True)
class DatasetValue:
    """A metric over all rows (GE): reported once per stage, not per group."""

    stage: str
    metric: str
    value: float
    flag: Flag | None            # set when outside its band


@dataclass(frozen=True)
class GroupAccuracy:
    facet: str
    group: str
    rows: int
    accuracy: float | None       # within d
    rest_accuracy: float | None  # within a


@dataclass(frozen=True)
class Verdict:
    groups: tuple[GroupVerdict, ...] = ()
    dataset_wide: tuple[DatasetValue, ...] = ()
    accuracy: tuple[GroupAccuracy, ...] = ()
    overall_accuracy: float | None = None
    top_features: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()   # per model output
    warnings: tuple[str, ...] = ()
    failed_checks: tuple[str, ...] = ()      # threshold rules and baseline checks that failed (analyzer.monitor)
    checks_run: int = 0
    bands: Mapping[str, Band] = field(default_factory=lambda: DEFAULT_BANDS)

    @property
    def flags(self) -> list[tuple[GroupVerdict, Flag]]:
        """Every flagged value, the farthest from neutral (relative to its band) first."""
        pairs = [(g, f) for g in self.groups for f in g.flags]
        return sorted(pairs, key=lambda gf: -gf[1].severity)


def as_number(value: Any) -> float | None:
    """A metric value as analysis.json writes it ("Infinity" strings, null) → float or None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def top_features(values: Mapping[str, Any], top: int) -> list[tuple[str, float]]:
    """Features by |value|, largest first; ties keep the result's order (stable sort)."""
    items = [(str(k), n) for k, v in values.items() if (n := as_number(v)) is not None and math.isfinite(n)]
    return sorted(items, key=lambda kv: -abs(kv[1]))[:top]


def _group_verdicts(document: Mapping[str, Any],
                    bands: Mapping[str, Band]) -> tuple[list[GroupVerdict], list[DatasetValue]]:
    groups: list[GroupVerdict] = []
    dataset: dict[tuple[str, str], DatasetValue] = {}
    for stage, key in SECTION_KEYS.items():
        for facet, entries in ((document.get(key) or {}).get("facets") or {}).items():
            for entry in entries:
                flags, checked = [], 0
                for metric in entry.get("metrics") or []:
                    name, value = str(metric.get("name")), as_number(metric.get("value"))
                    if value is None or name not in bands:
                        continue
                    flag = Flag(name, value, bands[name]) if outside_band(name, value, dict(bands)) else None
                    if name in DATASET_WIDE:
                        dataset.setdefault((stage, name), DatasetValue(stage, name, value, flag))
                        continue
                    checked += 1
                    if flag is not None:
                        flags.append(flag)
                groups.append(GroupVerdict(stage, str(facet), str(entry.get("value_or_threshold")), tuple(flags),
                                           checked))
    return groups, list(dataset.values())


def _explanation_facts(document: Mapping[str, Any], top: int) -> tuple[list, list[str]]:
    features: list[tuple[str, tuple[tuple[str, float], ...]]] = []
    warnings: list[str] = []
    kernel = (document.get("explanations") or {}).get("kernel_shap") or {}
    for label, block in kernel.items():
        if isinstance(block, Mapping) and "global_shap_values" in block:
            features.append((str(label), tuple(top_features(block["global_shap_values"], top))))
            warnings.extend(str(w) for w in (block.get(DIAGNOSTICS_KEY) or {}).get("warnings") or [])
    return features, warnings


def assess(document: Mapping[str, Any], context: ReportContext | None = None,
           bands: Mapping[str, Band] | None = None, top: int = TOP_FEATURES) -> Verdict:
    """The verdict on one job's result (``document`` as analysis.json holds it)."""
    bands = bands or DEFAULT_BANDS
    features, shap_warnings = _explanation_facts(document, top)
    accuracy: list[GroupAccuracy] = []
    overall = None
    warnings: list[str] = []
    if context is not None:
        warnings.extend(context.bias_warnings)
        warnings.extend(context.shap_warnings)
        summary = context.dataset
        if summary is not None:
            accuracy = [GroupAccuracy(g.facet, g.group, g.rows, g.accuracy, g.rest_accuracy)
                        for g in summary.groups if g.confusion is not None]
            overall = summary.performance.value("Accuracy") if summary.performance else None
    groups, dataset_wide = _group_verdicts(document, bands)
    outcomes = list(context.checks or ()) if context is not None else []
    failed = tuple(f"{o.subject}: {o.detail}" for o in outcomes if o.status == FAIL)
    return Verdict(groups=tuple(groups), dataset_wide=tuple(dataset_wide), accuracy=tuple(accuracy),
                   overall_accuracy=overall, top_features=tuple(features),
                   warnings=tuple(dict.fromkeys(warnings + shap_warnings)), failed_checks=failed,
                   checks_run=len(outcomes), bands=bands)


# -- words shared by the report and the console -------------------------------------------------------
def number(value: float | None) -> str:
    if value is None:
        return "—"
    if math.isinf(value):
        return str(json_number(value))      # analysis.json's "Infinity" text
    return f"{value:.3g}"


def band_text(band: Band) -> str:
    if band.low == -band.high:
        return f"±{number(band.high)}"
    if band.low == 0:
        return f"at most {number(band.high)}"
    return f"[{number(band.low)}, {number(band.high)}]"


def describe_bands(bands: Mapping[str, Band]) -> str:
    """One line: which band applies to which metrics (long lists named by kind)."""
    by_band: dict[Band, list[str]] = {}
    for code, band in bands.items():
        by_band.setdefault(band, []).append(code)
    parts = []
    for band, codes in by_band.items():
        if len(codes) > 4:
            kind = "differences" if band.low < 0 else "divergences and GE"
            parts.append(f"{kind} {band_text(band)}")
        else:
            parts.append(f"{', '.join(codes)} {band_text(band)}")
    return "; ".join(parts)


def features_text(features: Sequence[tuple[str, float]]) -> str:
    return ", ".join(f"{name} {number(value)}" for name, value in features)


def render_text(verdict: Verdict, paths: Sequence[tuple[str, str]] = (), limit: int = MAX_LINES) -> str:
    """The console verdict: a few lines a person reads at the end of a run, then where the files are."""
    lines = []
    if verdict.groups:
        lines.append(f"Bias verdict (concern bands: {describe_bands(verdict.bands)}):")
        flagged = [g for g in verdict.groups if g.flags]
        for g in flagged[:limit]:
            flags = sorted(g.flags, key=lambda f: -f.severity)
            lines.append(f"  {STAGE_TITLES.get(g.stage, g.stage):<13} {g.name}: far from neutral: "
                         + ", ".join(f"{f.metric} {number(f.value)}" for f in flags))
        if len(flagged) > limit:
            lines.append(f"  and {len(flagged) - limit} more groups with values outside their bands (see the report)")
        calm = list(dict.fromkeys(g.name for g in verdict.groups if not g.flags and g.checked))
        if calm:
            shown = ", ".join(calm[:limit]) + (f" and {len(calm) - limit} more" if len(calm) > limit else "")
            lines.append(f"  within every band: {shown}")
        for d in verdict.dataset_wide:
            state = f"outside {band_text(d.flag.band)}" if d.flag else "within its band"
            lines.append(f"  {STAGE_TITLES.get(d.stage, d.stage):<13} all rows: {d.metric} {number(d.value)} ({state})")
        if not flagged and not any(d.flag for d in verdict.dataset_wide):
            lines.append("  no metric value is outside its band")
    if verdict.overall_accuracy is not None or verdict.accuracy:
        lines.append(f"Model accuracy: all rows {number(verdict.overall_accuracy)}; per group, d (the rest):")
        lines += [f"  {a.facet} = {a.group}: {number(a.accuracy)} ({number(a.rest_accuracy)})"
                  for a in verdict.accuracy[:limit]]
        if len(verdict.accuracy) > limit:
            lines.append(f"  and {len(verdict.accuracy) - limit} more groups (see the report)")
    for label, features in verdict.top_features:
        lines.append(f"Top SHAP features ({label}): {features_text(features)}")
    if verdict.checks_run:
        lines.append(f"Checks: {len(verdict.failed_checks)} of {verdict.checks_run} failed"
                     + (":" if verdict.failed_checks else ""))
        lines += [f"  {failure}" for failure in verdict.failed_checks[:limit]]
        if len(verdict.failed_checks) > limit:
            lines.append(f"  and {len(verdict.failed_checks) - limit} more (constraint_violations.json)")
    for warning in verdict.warnings[:limit]:
        lines.append(f"Warning: {warning if len(warning) <= 300 else warning[:299] + '…'}")
    lines += [f"{what}: {where}" for what, where in paths]
    return "\n".join(lines)
