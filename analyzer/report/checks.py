"""The report's "Checks" section: every threshold rule and baseline comparison, pass / fail / not checked."""
from __future__ import annotations

from typing import Sequence

from analyzer.monitor import FAIL, NOT_CHECKED, PASS, Outcome
from analyzer.report.document import Block, Cell, Section, Table, Text

_TITLES = {"threshold_check": "Threshold rules", "bias_drift_check": "Bias drift against the baseline",
           "feature_attribution_drift_check": "Feature attribution drift against the baseline (nDCG)"}
_STYLE = {FAIL: "error", NOT_CHECKED: "warn", PASS: ""}


def checks_section(outcomes: Sequence[Outcome]) -> Section:
    counts = {status: sum(o.status == status for o in outcomes) for status in (PASS, FAIL, NOT_CHECKED)}
    blocks: list[Block] = [Text(
        f"{len(outcomes)} checks: {counts[PASS]} passed, {counts[FAIL]} failed (listed in "
        f"constraint_violations.json), {counts[NOT_CHECKED]} not checked (no value on one side: never "
        "counted as passed).", "intro")]
    for check_type, title in _TITLES.items():
        rows = tuple((Cell(o.subject), Cell(o.criterion), Cell(o.status, _STYLE[o.status]), Cell(o.detail))
                     for o in outcomes if o.check_type == check_type)
        if rows:
            blocks.append(Table(title, ("Checked", "Criterion", "Result", "Detail"), rows, kind="checks"))
    if not outcomes:
        blocks.append(Text("No check applied to this analysis."))
    return Section("checks", "Checks", tuple(blocks))
