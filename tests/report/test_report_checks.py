"""The report's Checks section: every outcome listed with its status, grouped by check type, in every format."""
from __future__ import annotations

import json

from report_fixtures import adult_analysis

from analyzer.monitor import CheckOptions, parse_rule, run_checks
from analyzer.report import ReportContext, build_report
from analyzer.report.checks import checks_section
from analyzer.report.document import Table, Text
from analyzer.report.html import render_html
from analyzer.report.notebook import render_notebook


def _outcomes():
    analysis = adult_analysis()
    baseline = json.loads(json.dumps(analysis, default=str).replace("Infinity", "1.5"))
    rules = (parse_rule("Sex=Female:CDDL>0"), parse_rule("abs(DPL)>10"), parse_rule("TE>2"))
    return analysis, run_checks(analysis, CheckOptions(rules=rules, baseline=baseline,
                                                       baseline_constraints="baseline.json")).outcomes


def test_every_outcome_is_a_row_grouped_by_check_type() -> None:
    _, outcomes = _outcomes()
    section = checks_section(outcomes)
    tables = [b for b in section.blocks if isinstance(b, Table)]
    assert [t.caption for t in tables] == ["Threshold rules", "Bias drift against the baseline",
                                           "Feature attribution drift against the baseline (nDCG)"]
    assert sum(len(t.rows) for t in tables) == len(outcomes)
    threshold = {(r[0].text, r[1].text): (r[2].text, r[2].kind) for r in tables[0].rows}
    assert threshold[("Sex = Female, CDDL (pre-training)", "Sex=Female:CDDL>0")] == ("not checked", "warn")
    assert threshold[("Sex = Female, DPL (pre-training)", "abs(DPL)>10")] == ("pass", "")
    assert threshold[("Sex = Female, TE (post-training)", "TE>2")] == ("fail", "error")
    drift = {r[0].text: r[2].text for r in tables[1].rows}
    assert drift["Sex = Female, TE (post-training)"] == "fail"      # 1.5 in the baseline, Infinity now
    assert drift["Sex = Female, DPL (pre-training)"] == "pass"
    assert {r[2].text for r in tables[2].rows} == {"pass"}           # same SHAP values: nDCG 1
    intro = section.blocks[0]
    assert isinstance(intro, Text)
    fails = sum(o.status == "fail" for o in outcomes)
    assert f"{len(outcomes)} checks:" in intro.text and f"{fails} failed" in intro.text


def test_section_sits_before_the_glossary_and_renders_in_html_and_notebook() -> None:
    analysis, outcomes = _outcomes()
    report = build_report(analysis, ReportContext(checks=outcomes), "T")
    assert [s.id for s in report.sections][-2:] == ["checks", "glossary"]
    html = render_html(report)
    assert '<section id="checks">' in html and "Bias drift against the baseline" in html
    assert "Sex=Female:CDDL&gt;0" in html
    notebook = render_notebook(report)
    assert "Checks" in notebook and "not checked" in notebook
    assert "checks" not in [s.id for s in build_report(analysis, ReportContext(), "T").sections]


def test_no_outcomes_says_so() -> None:
    section = checks_section(())
    assert [b.text for b in section.blocks if isinstance(b, Text)][-1] == "No check applied to this analysis."
