"""The verdict (console and summary of concern) names the right groups: on a dataset built with a
known bias, and on Adult and German where it must match analysis.json's values and the bands."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzer.bias import FacetSpec, run_bias
from analyzer.bias.bands import DEFAULT_BANDS, Band
from analyzer.report import build_context, build_report
from analyzer.report.blocks import Table
from analyzer.report.verdict import Verdict, assess, render_text


def _known_bias(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Sex: half F, half M; F gets the positive label 20% of the time, M 50%; the model predicts
    positive for 10% of F and 50% of M. Region: half N, half S, independent of everything (no bias)."""
    rng = np.random.default_rng(seed)
    sex = np.repeat(["F", "M"], n // 2)
    region = np.tile(["N", "S"], n // 2)
    female = sex == "F"
    label = np.where(female, rng.random(n) < 0.2, rng.random(n) < 0.5).astype(int)
    pred = np.where(female, rng.random(n) < 0.1, rng.random(n) < 0.5).astype(int)
    return pd.DataFrame({"sex": sex, "region": region, "y": label, "yhat": pred})


def _results(frame: pd.DataFrame, facets: list[FacetSpec], **kwargs):
    common = dict(label="y", label_values=[1], facets=facets, label_data_type="categorical", **kwargs)
    post = run_bias(frame, stage="post_training", predicted_label="yhat", **common)
    pre = run_bias(frame, stage="pre_training", **common)
    document = {"version": "1.0", post.key: post.section, pre.key: pre.section}
    return document, build_context((), (post, pre), rows=len(frame), features=2)


@pytest.fixture(scope="module")
def known() -> tuple[dict, Verdict, object]:
    document, context = _results(_known_bias(), [FacetSpec("sex", ("F",)), FacetSpec("region", ("N",))])
    return document, assess(document, context), context


def test_the_biased_group_is_flagged_and_the_neutral_one_is_not(known) -> None:
    _, verdict, _ = known
    flagged = {(g.stage, g.name): {f.metric for f in g.flags} for g in verdict.groups}
    # DPL = 0.5 - 0.2 = 0.3 and DPPL = 0.4, DI = 0.1 / 0.5 = 0.2: far outside their bands.
    assert {"DPL", "KL", "TVD", "KS", "LP"} <= flagged[("pre_training", "sex = F")]   # JS ≈ 0.05: within
    assert "CI" not in flagged[("pre_training", "sex = F")]                     # half the rows: balanced
    assert {"DI", "DPPL"} <= flagged[("post_training", "sex = F")]
    assert flagged[("pre_training", "region = N")] == set()
    assert not {"DI", "DPPL", "AD"} & flagged[("post_training", "region = N")]
    [di] = [f for g in verdict.groups for f in g.flags if g.name == "sex = F" and f.metric == "DI"]
    assert di.value == pytest.approx(0.2, abs=0.05) and di.severity > 5


def test_console_names_groups_accuracy_and_paths(known) -> None:
    _, verdict, context = known
    text = render_text(verdict, [("analysis.json", "/out/analysis.json"), ("report", "/out/report.html")])
    lines = text.splitlines()
    assert lines[0].startswith("Bias verdict (concern bands: DI [0.8, 1.25]; differences ±0.1")
    sex_lines = [line for line in lines if "sex = F: far from neutral" in line]
    assert len(sex_lines) == 2 and "DI 0." in sex_lines[1] and "DPL 0." in sex_lines[0]
    assert any(line.strip().startswith("within every band: region = N") for line in lines)
    accuracy = dict(context.dataset.performance.metrics)["Accuracy"]
    assert f"Model accuracy: all rows {accuracy:.3g}" in text
    assert lines[-2:] == ["analysis.json: /out/analysis.json", "report: /out/report.html"]
    assert len(lines) < 20


def test_summary_of_concern_opens_the_report_with_the_same_flags(known) -> None:
    document, verdict, context = known
    report = build_report(document, context, "T")
    summary = report.sections[0]
    assert summary.id == "summary"
    [flags] = [b for b in summary.blocks if isinstance(b, Table) and b.kind == "concern"]
    named = {(row[1].text, row[2].text) for row in flags.rows}
    assert named == {(g.name, f.metric) for g, f in verdict.flags[:len(flags.rows)]}
    assert all(group == "sex = F" for group, _ in named)
    severities = [f.severity for _, f in verdict.flags]
    assert severities == sorted(severities, reverse=True)


def test_other_bands_change_the_verdict(known) -> None:
    document, _, context = known
    loose = {code: Band(-10, 10) if band.low < 0 else Band(0, 10) for code, band in DEFAULT_BANDS.items()}
    loose["DI"] = Band(0.01, 100)
    assert assess(document, context, loose).flags == []


def _independent_flags(document: dict) -> set[tuple[str, str, str, str]]:
    """Straight from analysis.json: every value outside [low, high] of the documented bands."""
    out = set()
    for stage, key in (("pre_training", "pre_training_bias_metrics"), ("post_training", "post_training_bias_metrics")):
        for facet, entries in document[key]["facets"].items():
            for entry in entries:
                for m in entry["metrics"]:
                    value = m["value"]
                    if value is None or m["name"] == "GE":
                        continue
                    value = float(value)   # "Infinity" strings too
                    band = DEFAULT_BANDS[m["name"]]
                    if not band.low <= value <= band.high:
                        out.add((stage, facet, entry["value_or_threshold"], m["name"]))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", ["adult", "german"])
def test_real_datasets_flags_match_analysis_json_and_bands(name: str, datasets) -> None:
    if name == "adult":
        frame = pd.read_csv(datasets / "adult" / "adult_train.csv")
        frame["pred"] = np.where((frame["Education-Num"] >= 13) & (frame["Age"] > 30), ">50K", "<=50K")
        facets = [FacetSpec("Sex", ("Female",)), FacetSpec("Age", (40,), "continuous"), FacetSpec("Ethnic group")]
        common = dict(label="Target", label_values=[">50K"], facets=facets, group_variable="Education")
    else:
        frame = pd.read_csv(datasets / "german" / "german.csv")
        frame["pred"] = ((frame["checking_account"] != "little") & (frame["duration"] < 30)).astype(int)
        common = dict(label="risk", label_values=[1], facets=[FacetSpec("sex", ("female",)), FacetSpec("age", (25,))],
                      label_data_type="categorical")
    post = run_bias(frame, stage="post_training", predicted_label="pred", **common)
    pre = run_bias(frame, stage="pre_training", **common)
    document = {"version": "1.0", post.key: post.section, pre.key: pre.section}
    context = build_context((), (post, pre), rows=len(frame), features=len(frame.columns) - 2)
    verdict = assess(document, context)
    ours = {(g.stage, g.facet, g.group, f.metric) for g in verdict.groups for f in g.flags}
    assert ours == _independent_flags(document) and ours
    # Accuracy per group, by hand from the labels and predictions.
    first = verdict.accuracy[0]
    column, value = (("Sex", "Female") if name == "adult" else ("sex", "female"))
    rows = frame[frame[column] == value]
    if name == "adult":
        correct = (rows["Target"] == rows["pred"]).mean()
    else:
        correct = (rows["risk"] == rows["pred"]).mean()
    assert (first.facet, first.group) == (column, value) and first.accuracy == pytest.approx(correct)
    text = render_text(verdict)
    for g in verdict.groups:
        if g.flags and verdict.groups.index(g) < 12:
            assert f"{g.name}: far from neutral" in text


def test_failed_checks_are_in_the_verdict_and_the_summary(known) -> None:
    from dataclasses import replace

    from analyzer.monitor.violations import FAIL, PASS, Outcome

    document, _, context = known
    outcomes = (Outcome("bias_threshold", "sex = F, DI (post-training)", FAIL, "DI 0.2 < 0.8", "DI >= 0.8"),
                Outcome("bias_threshold", "region = N, DI (post-training)", PASS, "DI 1.0 >= 0.8", "DI >= 0.8"))
    verdict = assess(document, replace(context, checks=outcomes))
    assert verdict.failed_checks == ("sex = F, DI (post-training): DI 0.2 < 0.8",) and verdict.checks_run == 2
    lines = render_text(verdict).splitlines()
    at = lines.index("Checks: 1 of 2 failed:")
    assert lines[at + 1] == "  sex = F, DI (post-training): DI 0.2 < 0.8"
    summary = build_report(document, replace(context, checks=outcomes), "T").sections[0]
    assert any(getattr(b, "text", "").startswith("1 of 2 checks failed") for b in summary.blocks)
    assert "Checks:" not in render_text(assess(document, context))
