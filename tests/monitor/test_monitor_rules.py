"""Threshold rules: syntax, every operator, abs(), facet scoping, rules files (JSON, YAML), errors."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from analyzer.errors import ConfigError
from analyzer.monitor.rules import metric_codes, parse_rule, read_rules_file


@pytest.mark.parametrize(("text", "value", "violated"), [
    ("DI<0.8", 0.79, True), ("DI<0.8", 0.8, False), ("DI<0.8", 0.81, False),
    ("DI<=0.8", 0.8, True), ("DI<=0.8", 0.8000001, False), ("DI<=0.8", 0.5, True),
    ("DPPL>0.1", 0.1, False), ("DPPL>0.1", 0.1000001, True), ("DPPL>0.1", -0.5, False),
    ("DPPL>=0.1", 0.1, True), ("DPPL>=0.1", 0.0999, False),
    ("TE>5", math.inf, True), ("TE<-5", -math.inf, True), ("TE>5", -math.inf, False),
])
def test_each_operator_is_violated_exactly_when_it_holds(text: str, value: float, violated: bool) -> None:
    assert parse_rule(text).holds(value) is violated


@pytest.mark.parametrize(("value", "violated"), [(-0.2, True), (0.2, True), (0.1, False), (-0.1, False),
                                                 (0.05, False), (-math.inf, True)])
def test_abs_compares_the_magnitude(value: float, violated: bool) -> None:
    rule = parse_rule("abs(DPPL)>0.1")
    assert rule.absolute and rule.metric == "DPPL" and rule.metric_text == "abs(DPPL)"
    assert rule.holds(value) is violated


def test_nan_never_holds() -> None:
    assert not parse_rule("DI<0.8").holds(math.nan)
    assert not parse_rule("abs(DI)>=0").holds(math.nan)


def test_facet_scopes() -> None:
    rule = parse_rule("Sex=Female:CDDL>0.05")
    assert (rule.facet, rule.facet_value, rule.metric, rule.op, rule.threshold) == ("Sex", "Female", "CDDL", ">", 0.05)
    assert rule.applies_to("Sex", "Female") and not rule.applies_to("Sex", "Male")
    assert not rule.applies_to("Race", "Female")
    facet_only = parse_rule("Sex:DI<0.8")
    assert (facet_only.facet, facet_only.facet_value) == ("Sex", None)
    assert facet_only.applies_to("Sex", "Male") and not facet_only.applies_to("Age", "(40, 90]")
    anywhere = parse_rule("DI<0.8")
    assert anywhere.facet is None and anywhere.applies_to("anything", "x")


def test_scope_may_hold_spaces_intervals_and_colons() -> None:
    rule = parse_rule("  Ethnic group = (40, 90] : abs( cddpl ) >= 1e-2 ")
    assert (rule.facet, rule.facet_value, rule.metric, rule.threshold) == ("Ethnic group", "(40, 90]", "CDDPL", 0.01)
    assert parse_rule("Time=12:30:DI<0.8").facet_value == "12:30"  # the last ':' ends the scope


def test_codes_are_matched_without_case_and_numbers_in_any_decimal_form() -> None:
    assert parse_rule("di<.8").metric == "DI"
    assert parse_rule("ABS(dppl)>+0.1").absolute
    assert parse_rule("TE>inf").threshold == math.inf
    assert parse_rule("DPL>-1.5E-1").threshold == -0.15


def test_valid_codes_come_from_the_registry() -> None:
    from analyzer.bias import names

    assert set(metric_codes()) == set(names("pre_training")) | set(names("post_training"))
    assert len(metric_codes()) == 21


@pytest.mark.parametrize("text", ["DI=0.8", "DI<", "<0.8", "DI<abc", "DI<0.8.1", "=Female:DI<0.8",
                                  "Sex=:DI<0.8", "DI < 0.8 extra", "DI<nan", "abs(DI<0.8", "DI<<0.8", ""])
def test_bad_syntax_is_a_config_error_naming_the_rule(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_rule(text)
    assert repr(text) in caught.value.message
    assert "METRIC OP NUMBER" in caught.value.message and "DPPL" in caught.value.message
    assert caught.value.exit_code == 2


def test_unknown_metric_lists_the_valid_codes() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_rule("Sex=F:abs(XYZ)>0.1")
    message = caught.value.message
    assert "'XYZ'" in message and "'Sex=F:abs(XYZ)>0.1'" in message
    assert "AD, CDDL, CDDPL, CI, DAR, DCA, DCR, DI, DPL, DPPL, DRR, FT, GE, JS, KL, KS, LP, RD, SD, TE, TVD" in message


def test_rules_file_json_and_yaml(tmp_path: Path) -> None:
    as_json = tmp_path / "rules.json"
    as_json.write_text(json.dumps(["DI<0.8", {"rule": "abs(DPPL)>0.1", "description": "Parity"}]))
    as_yaml = tmp_path / "rules.yaml"
    as_yaml.write_text("# gates for the release\n- DI<0.8\n- rule: abs(DPPL)>0.1\n  description: Parity\n"
                       "- rule: 'Sex=Female:CDDL>0.05'\n")
    rules = read_rules_file(as_json)
    assert [(r.text, r.description) for r in rules] == [("DI<0.8", None), ("abs(DPPL)>0.1", "Parity")]
    rules = read_rules_file(as_yaml)
    assert [(r.text, r.description) for r in rules] == [("DI<0.8", None), ("abs(DPPL)>0.1", "Parity"),
                                                         ("Sex=Female:CDDL>0.05", None)]
    assert rules[2].facet_value == "Female"


@pytest.mark.parametrize(("content", "expected"), [
    ('{"rule": "DI<0.8"}', "must hold a list"),
    ("[1]", "item 1"),
    ('["DI<0.8", {"rule": "DI<0.8", "why": "x"}]', "item 2"),
    ('[{"rule": "DI<0.8", "description": 3}]', "'description' must be text"),
    ("- [unclosed", "neither JSON nor YAML"),
    ('["DI<0.8", "DI=1"]', "'DI=1'"),
])
def test_bad_rules_files_name_the_file_and_item(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "gates.yml"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        read_rules_file(path)
    assert expected in caught.value.message
    if "'DI=1'" not in expected:
        assert str(path) in caught.value.message
