"""The report context is a pure function of the job's results: built here from BiasResult objects
only (no dataset, no config), and the effective-config brief names what the metrics selected."""
from __future__ import annotations

import pytest

from analyzer.bias import BiasResult, GroupStats, ModelPerformance
from analyzer.config.model import AnalysisConfig, FacetConfig, MethodsConfig, ShapConfig
from analyzer.report import build_context, build_report, config_summary, summarize_dataset
from analyzer.report.blocks import Table

FEMALE = GroupStats("Sex", "Female", 300, 0.3, 0.1, rest_rows=700, rest_positive_label_rate=0.3)
FEMALE_POST = GroupStats("Sex", "Female", 300, 0.3, 0.1, (0.05, 0.05, 0.05, 0.85), rest_rows=700,
                         rest_positive_label_rate=0.3, positive_prediction_rate=0.1,
                         rest_positive_prediction_rate=0.35, rest_confusion=(0.2, 0.15, 0.1, 0.55))
PERFORMANCE = ModelPerformance(metrics=(("Accuracy", 0.8),), confusion=(0.15, 0.1, 0.1, 0.65))


def _section(value: str = "Female") -> dict:
    return {"label": "y", "facets": {"Sex": [{"value_or_threshold": value, "metrics": []}]},
            "label_value_or_threshold": "1"}


def _result(stage: str, groups: tuple, performance: ModelPerformance | None = None, warnings=()) -> BiasResult:
    return BiasResult(stage=stage, section=_section(), label="y", positive_label="1", rows=1000,
                      label_distribution=(("0", 760), ("1", 240)), groups=groups, performance=performance,
                      warnings=tuple(warnings))


def test_summary_prefers_the_post_training_groups() -> None:
    pre, post = _result("pre_training", (FEMALE,)), _result("post_training", (FEMALE_POST,), PERFORMANCE)
    summary = summarize_dataset((post, pre), rows=1000, features=12)
    assert (summary.rows, summary.features, summary.label, summary.positive_label) == (1000, 12, "y", "1")
    assert summary.groups == (FEMALE_POST,) and summary.performance is PERFORMANCE
    assert summary.label_distribution == (("0", 760), ("1", 240))
    assert summarize_dataset((pre,), 1000, 12).groups == (FEMALE,)


def test_without_bias_only_the_counts() -> None:
    summary = summarize_dataset((), rows=50, features=3)
    assert (summary.rows, summary.features, summary.label, summary.groups) == (50, 3, None, ())
    assert build_context((), (), generated="today").dataset is None


def test_context_and_report_from_results_alone() -> None:
    post = _result("post_training", (FEMALE_POST,), PERFORMANCE, warnings=["w1", "w2"])
    pre = _result("pre_training", (FEMALE,), warnings=["w1"])
    context = build_context((("label", "y"),), (post, pre), rows=1000, features=12, shap_warnings=["s"])
    assert context.generated.endswith("UTC") and context.config_summary == (("label", "y"),)
    assert context.bias_warnings == ("w1", "w2") and context.shap_warnings == ("s",)
    document = {"version": "1.0", post.key: post.section, pre.key: pre.section}
    report = build_report(document, context, "T")
    [table] = [t for t in report.blocks(Table) if t.caption.startswith("Facet groups")]
    # The facet table shows d and the rest side by side, labels and predictions.
    assert [c.text for c in table.rows[0]] == ["Sex", "Female", "300", "30.0%", "10.0%", "30.0%", "10.0%", "35.0%"]


def _config(**kwargs) -> AnalysisConfig:
    base = dict(dataset_type="text/csv", methods=MethodsConfig(pre_training_bias=("CI",), post_training_bias=("DPPL",)),
                label="y", label_values_or_threshold=(1,), facet=(FacetConfig("Sex", ("F",)),))
    base.update(kwargs)
    return AnalysisConfig(**base)


def test_config_summary_lists_what_was_asked() -> None:
    config = _config(methods=MethodsConfig(pre_training_bias=("CI", "DPL"), shap=ShapConfig(num_samples=100)))
    lines = dict(config_summary(config))
    assert lines["label"] == "y"
    assert lines["facet[0]"] == "Sex: F"
    assert lines["pre_training_bias"] == "CI, DPL"
    assert lines["shap"].startswith("num_samples=100, agg_method=mean_abs")


@pytest.mark.parametrize("configured, entries, shown", [
    ((40,), ["(40, 90]"], "Age: 40 → (40, 90]"),                       # a threshold names its interval
    (("F",), ["F"], "Age: F"),                                         # a value is itself
    (None, ["a", "b", "c"], "Age: every value, one against the rest (3 groups)"),
])
def test_config_summary_names_what_the_metrics_selected(configured, entries, shown) -> None:
    section = {"label": "y", "facets": {"Age": [{"value_or_threshold": e, "metrics": []} for e in entries]},
               "label_value_or_threshold": "(0.5, 1]"}
    result = BiasResult(stage="pre_training", section=section, label="y", positive_label="(0.5, 1]", rows=10)
    lines = dict(config_summary(_config(facet=(FacetConfig("Age", configured),), label_values_or_threshold=(0.5,)),
                                (result,)))
    assert lines["facet[0]"] == shown
    assert lines["label_values_or_threshold"] == "0.5 → (0.5, 1]"


def test_the_report_reads_no_dataset_and_recomputes_nothing() -> None:
    """Only summary.config_summary reads the config (other modules may take its constants, such as
    the default report name); no report module reads data or selects rows."""
    import ast
    from pathlib import Path

    import analyzer.report

    forbidden = ("analyzer.data", "analyzer.bias.selection", "analyzer.bias.section", "analyzer.bias.stats",
                 "analyzer.config", "analyzer.stages")
    for path in Path(analyzer.report.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        bad = []
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(forbidden):
                constants = all(a.name.isupper() for a in node.names)
                if not constants and not (path.name == "summary.py" and node.module == "analyzer.config"):
                    bad.append(node.module)
            elif isinstance(node, ast.Import):
                bad += [a.name for a in node.names if a.name.startswith(forbidden)]
        assert not bad, (path.name, bad)
