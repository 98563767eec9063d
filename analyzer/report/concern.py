"""The report's opening page: the summary of concern a model-risk reviewer reads first.

Laid out from the same :class:`~analyzer.report.verdict.Verdict` as the console verdict: the metric
values farthest outside their bands (with the group they concern), the groups within every band,
model accuracy per group, the top features and the warnings. Bounded to about one screen: longer
lists end with "and N more" and point to the sections that hold everything.
"""
from __future__ import annotations

from analyzer.report.blocks import Block, Cell, Section, Table, Text
from analyzer.report.readings import reading
from analyzer.report.verdict import (
    MAX_LINES,
    STAGE_TITLES,
    Verdict,
    band_text,
    describe_bands,
    features_text,
    number,
)

MAX_FLAGS = 10            # rows of the "far from neutral" table
MAX_WARNINGS = 5


def _flags(verdict: Verdict) -> list[Block]:
    flags = verdict.flags
    checked = sum(g.checked for g in verdict.groups) + len(verdict.dataset_wide)
    flagged = len(flags) + sum(1 for d in verdict.dataset_wide if d.flag)
    blocks: list[Block] = [Text(
        f"{flagged} of {checked} metric values are outside their concern bands "
        f"({describe_bands(verdict.bands)}; see the README, \"Reading the results\"). "
        "A value outside its band is worth a look, not a finding by itself.", "intro")]
    if flags:
        rows = tuple(
            (Cell(STAGE_TITLES.get(g.stage, g.stage)), Cell(g.name), Cell(f.metric),
             Cell(number(f.value), "num warn"), Cell(band_text(f.band)), Cell(reading(f.metric).meaning))
            for g, f in flags[:MAX_FLAGS])
        more = f" (the {MAX_FLAGS} farthest of {len(flags)})" if len(flags) > MAX_FLAGS else ""
        blocks.append(Table(f"Metric values far from neutral{more}",
                            ("Stage", "Group (d)", "Metric", "Value", "Band", "Reading"), rows, kind="concern"))
    for d in verdict.dataset_wide:
        state = f"outside its band {band_text(d.flag.band)}" if d.flag else "within its band"
        blocks.append(Text(f"Over all rows ({STAGE_TITLES.get(d.stage, d.stage)}): {d.metric} = {number(d.value)}, "
                           f"{state}; {reading(d.metric).meaning}", "warning" if d.flag else "note"))
    calm = list(dict.fromkeys(g.name for g in verdict.groups if g.checked and not g.flags))
    if calm:
        shown = ", ".join(calm[:MAX_LINES]) + (f" and {len(calm) - MAX_LINES} more" if len(calm) > MAX_LINES else "")
        blocks.append(Text(f"Within every band: {shown}.", "note"))
    return blocks


def _accuracy(verdict: Verdict) -> list[Block]:
    if not verdict.accuracy:
        return []
    rows = tuple((Cell(f"{a.facet} = {a.group}"), Cell(f"{a.rows:,}", "num"), Cell(number(a.accuracy), "num"),
                  Cell(number(a.rest_accuracy), "num")) for a in verdict.accuracy[:MAX_LINES])
    caption = "Model accuracy per group"
    if verdict.overall_accuracy is not None:
        caption += f" (all rows: {number(verdict.overall_accuracy)})"
    if len(verdict.accuracy) > MAX_LINES:
        caption += f", the first {MAX_LINES} of {len(verdict.accuracy)} groups"
    return [Table(caption, ("Group (d)", "Rows", "Accuracy in d", "Accuracy in the rest"), rows, kind="data")]


def concern_section(verdict: Verdict) -> Section:
    """The summary of concern; a section even when nothing was measured (it says so)."""
    blocks: list[Block] = []
    if verdict.groups:
        blocks += _flags(verdict)
    blocks += _accuracy(verdict)
    if verdict.checks_run:
        failed = verdict.failed_checks
        text = f"{len(failed)} of {verdict.checks_run} checks failed (threshold rules and baseline; see Checks)"
        if failed:
            text += ": " + "; ".join(failed[:MAX_WARNINGS]) + (" …" if len(failed) > MAX_WARNINGS else "")
        blocks.append(Text(text + ".", "warning" if failed else "note"))
    for label, features in verdict.top_features:
        blocks.append(Text(f"Top features by global SHAP value, output {label}: {features_text(features)}."))
    for warning in verdict.warnings[:MAX_WARNINGS]:
        blocks.append(Text(warning, "warning"))
    if len(verdict.warnings) > MAX_WARNINGS:
        blocks.append(Text(f"And {len(verdict.warnings) - MAX_WARNINGS} more warnings in the sections below.", "note"))
    if not blocks:
        blocks.append(Text("This job computed no bias metrics and no SHAP values to summarise."))
    return Section("summary", "Summary of concern", tuple(blocks))
