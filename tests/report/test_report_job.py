"""The job writes the reports next to analysis.json, and a report failure never fails the analysis."""
from __future__ import annotations

from typing import Any

import pytest

import analyzer.report
from analyzer.runtime import SUCCESS_MESSAGE

DATA = "\n".join(["age,sex,y,yhat"] + [f"{20 + 3 * i},{'F' if i % 3 == 0 else 'M'},{int(i % 4 == 0)},{int(i % 5 == 0)}"
                                       for i in range(30)]) + "\n"


def _config(**methods: Any) -> dict[str, Any]:
    return {"dataset_type": "text/csv", "headers": ["age", "sex", "y", "yhat"], "label": "y",
            "predicted_label": "yhat", "label_values_or_threshold": [1], "label_data_type": "categorical", "facet": [{"name_or_index": "sex",
                                                                                  "value_or_threshold": ["F"]}],
            "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]},
                        "post_training_bias": {"methods": ["DPPL", "DI"]}, **methods}}


def test_reports_are_written_with_the_default_name(run_job) -> None:
    run = run_job(_config(), DATA)
    assert run.code == 0, run.stderr
    names = sorted(p.name for p in run.output.iterdir())
    assert names == ["analysis.json", "analysis_config.json", "report.html", "report.ipynb", "report.pdf"]
    html = (run.output / "report.html").read_text()
    assert "<title>SageMaker Analysis Report</title>" in html
    assert "Model performance (all rows)" in html and "sex = F" in html
    assert run.message == SUCCESS_MESSAGE


def test_pre_training_only_report_has_charts_and_the_console_a_verdict(run_job) -> None:
    config = _config()
    config["methods"] = {"pre_training_bias": {"methods": ["CI", "DPL"]}}
    run = run_job(config, DATA)
    assert run.code == 0, run.stderr
    html = (run.output / "report.html").read_text()
    assert html.count('class="chart bias-rates"') == 1 and html.count('class="chart bias-metrics"') == 1
    assert '<section id="summary">' in html
    lines = run.stdout.splitlines()
    assert lines[0].startswith("Bias verdict") and "sex = F" in run.stdout
    assert lines[-2:] == [f"analysis.json: {run.output / 'analysis.json'}", f"report: {run.output / 'report.html'}"]
    # The full document is not printed at INFO; one line says where it is.
    assert f"Collected analyses: written to {run.output / 'analysis.json'}" in run.stderr
    assert '"pre_training_bias_metrics"' not in run.stderr


def test_report_name_and_title_from_the_config(run_job) -> None:
    run = run_job(_config(report={"name": "bias_report", "title": "Loan bias"}), DATA)
    assert run.code == 0, run.stderr
    assert (run.output / "bias_report.pdf").exists() and not (run.output / "report.pdf").exists()
    assert "<h1>Loan bias</h1>" in (run.output / "bias_report.html").read_text()


def test_a_failing_report_does_not_fail_the_analysis(run_job, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> list[str]:
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(analyzer.report, "write_reports", broken)
    run = run_job(_config(), DATA)
    assert run.code == 0, run.stderr
    assert run.analysis["pre_training_bias_metrics"]["facets"]["sex"][0]["value_or_threshold"] == "F"
    assert sorted(p.name for p in run.output.iterdir()) == ["analysis.json", "analysis_config.json"]
    assert run.message == f"{SUCCESS_MESSAGE} (report not written: RuntimeError: renderer exploded)"
    assert "The report was not written: RuntimeError: renderer exploded" in run.stderr


def test_a_failing_pdf_keeps_the_other_reports(run_job, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pdf(html: str) -> bytes:
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(analyzer.report.writer, "render_pdf", no_pdf)
    run = run_job(_config(), DATA)
    assert run.code == 0, run.stderr
    assert (run.output / "analysis.json").exists() and (run.output / "report.html").exists()
    assert not (run.output / "report.pdf").exists()
    assert run.message == (f"{SUCCESS_MESSAGE} (report not written: ReportError: "
                           "report.pdf: OSError: cannot load library 'libpango-1.0-0')")
