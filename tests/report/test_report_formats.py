"""Notebook, HTML and writer: valid notebook with outputs, self-contained page, three files staged."""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from report_fixtures import ADULT_FEATURES, adult_analysis, context, local_shap

from analyzer.output import OutputWriter
from analyzer.report import ReportContext, ReportError, build_report, report_basename, write_reports
from analyzer.report import writer as report_writer
from analyzer.report.document import Chart, Table
from analyzer.report.html import render_html
from analyzer.report.notebook import render_notebook

MB = 1024 * 1024


@pytest.fixture(scope="module")
def report():
    return build_report(adult_analysis(), context(local_shap(500)), "Adult <bias> & SHAP")


def test_notebook_is_valid_v4_with_outputs_in_it(report) -> None:
    notebook = nbformat.reads(render_notebook(report), as_version=4)
    nbformat.validate(notebook)
    assert notebook.nbformat == 4
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    html_tables = [o for o in outputs if "text/html" in o.data]
    svgs = [o for o in outputs if "image/svg+xml" in o.data]
    assert len(html_tables) == len(report.blocks(Table))
    assert len(svgs) == len(report.blocks(Chart)) == 12
    assert all(o.data["image/svg+xml"].startswith("<svg") for o in svgs)
    assert all("text/plain" in o.data for o in outputs)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# Adult \\<bias\\> & SHAP")


def test_html_is_self_contained_and_escaped(report) -> None:
    html = render_html(report)
    assert html.startswith("<!DOCTYPE html>")
    # Nothing to fetch: no scripts, stylesheets, fonts or images from anywhere.
    assert not re.search(r"<script|<link|@import|@font-face", html)
    assert not re.search(r'(src|href)="(?!#|data:)', html)
    assert "<title>Adult &lt;bias&gt; &amp; SHAP</title>" in html
    assert html.count("<svg") == len(report.blocks(Chart)) and html.count("<table") == len(report.blocks(Table))
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "duplicate ids across inline charts"


def test_user_text_cannot_inject_markup() -> None:
    analysis = adult_analysis(features=["<script>alert(1)</script>", "ok"])
    html = render_html(build_report(analysis, ReportContext(), "T"))
    assert "<script>" not in html


def test_report_basename_is_a_safe_file_name() -> None:
    assert report_basename("report") == "report"
    assert report_basename("../../etc/my report") == "etc_my_report"
    assert report_basename("") == report_basename(None) == "report"


def test_write_reports_stages_three_files(tmp_path: Path) -> None:
    writer = OutputWriter(tmp_path)
    written = write_reports(writer, adult_analysis(), context(), "bias_report", "Bias")
    assert written == ["bias_report.ipynb", "bias_report.html", "bias_report.pdf"]
    published = writer.commit()
    assert sorted(p.name for p in published) == sorted(written)
    assert (tmp_path / "bias_report.pdf").read_bytes().startswith(b"%PDF-")
    assert not list(tmp_path.glob(".*")), "nothing left in staging"


def test_one_failing_format_leaves_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(html: str) -> bytes:
        raise OSError("no pango")

    monkeypatch.setattr(report_writer, "render_pdf", broken)
    writer = OutputWriter(tmp_path)
    with pytest.raises(ReportError) as caught:
        write_reports(writer, adult_analysis(), ReportContext(), "report", "T")
    assert caught.value.written == ["report.ipynb", "report.html"]
    assert str(caught.value) == "report.pdf: OSError: no pango"
    assert sorted(p.name for p in writer.commit()) == ["report.html", "report.ipynb"]


def test_infinity_and_nan_read_as_in_analysis_json(tmp_path: Path) -> None:
    analysis = adult_analysis()
    analysis["pre_training_bias_metrics"]["facets"]["Sex"][0]["metrics"][1]["value"] = float("nan")
    writer = OutputWriter(tmp_path)
    write_reports(writer, analysis, ReportContext(), "r", "T")
    writer.commit()
    html = (tmp_path / "r.html").read_text()
    assert "Infinity" in html and "Not computed: no value" in html


def test_adult_sized_report_with_local_values_is_small(tmp_path: Path) -> None:
    """32,561 rows × 14 features of local SHAP values: each format stays under 3 MB."""
    rows = 32_561
    features = pd.DataFrame(np.random.default_rng(1).normal(size=(rows, 14)), columns=ADULT_FEATURES)
    writer = OutputWriter(tmp_path)
    write_reports(writer, adult_analysis(), context(local_shap(rows), features), "report", "Adult")
    writer.commit()
    sizes = {p.suffix: p.stat().st_size for p in tmp_path.iterdir()}
    assert set(sizes) == {".ipynb", ".html", ".pdf"}
    assert all(size < 3 * MB for size in sizes.values()), sizes
    notebook = json.loads((tmp_path / "report.ipynb").read_text())
    assert notebook["nbformat"] == 4


def test_pdf_engine_fetches_nothing(tmp_path: Path) -> None:
    """An http or file reference in the page is neither requested nor read; data: URIs still work."""
    import http.server
    import threading

    from analyzer.report.pdf import render_pdf

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        secret = tmp_path / "secret.css"
        secret.write_text("body { background: red; }")
        html = (f'<html><head><link rel="stylesheet" href="{secret.as_uri()}"></head><body>'
                f'<img src="http://127.0.0.1:{server.server_port}/x.png">'
                '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">x</body></html>')
        assert render_pdf(html).startswith(b"%PDF-")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert hits == []


def _wide_analysis(features: list[str], values: int) -> tuple[dict, ReportContext]:
    """120 features with standard errors, and a facet with ``values`` values in both bias sections."""
    from analyzer.report import GroupStats

    analysis = adult_analysis(features)
    rng = np.random.default_rng(3)
    for key in ("pre_training_bias_metrics", "post_training_bias_metrics"):
        template = analysis[key]["facets"]["Sex"][0]["metrics"]
        analysis[key]["facets"]["Country"] = [
            {"value_or_threshold": f"Country {i}", "metrics": [
                {**m, "value": float(rng.normal(0, 0.2)) if isinstance(m["value"], float) else m["value"]}
                for m in template]} for i in range(values)]
    block = analysis["explanations"]["kernel_shap"]["label0"]
    block["analyzer_diagnostics"]["global_shap_standard_errors"] = {f: 0.001 for f in features}
    groups = tuple(GroupStats("Country", f"Country {i}", 100 + i, 0.01, 0.2, (0.1, 0.1, 0.1, 0.7), rest_rows=9000,
                              rest_positive_label_rate=0.25, positive_prediction_rate=0.2,
                              rest_positive_prediction_rate=0.3, rest_confusion=(0.1, 0.1, 0.1, 0.7))
                   for i in range(values))
    base = context(local_shap(5_000, features))
    summary = base.dataset.__class__(**{**base.dataset.__dict__, "groups": base.dataset.groups + groups})
    return analysis, ReportContext(**{**base.__dict__, "dataset": summary})


@pytest.mark.slow
def test_size_is_bounded_with_many_features_and_facet_values(tmp_path: Path) -> None:
    """120 features and a 60-value facet: charts are capped (top 20 features, 6 metric charts and 25
    groups per facet), so the files stay small; the tables hold every value."""
    features = [f"feature_{i:03d}" for i in range(120)]
    analysis, ctx = _wide_analysis(features, 60)
    report = build_report(analysis, ctx, "Wide")
    charts = report.blocks(Chart)
    assert sum(c.kind == "bias-metrics" for c in charts) == 2 * (2 + 6)     # Sex, Age, 6 of 60 countries
    assert sum(c.kind == "bias-rates" for c in charts) == 2 * 3
    assert max(len(c.svg) for c in charts) < 400_000
    writer = OutputWriter(tmp_path)
    write_reports(writer, analysis, ctx, "report", "Wide")
    writer.commit()
    sizes = {p.suffix: p.stat().st_size for p in tmp_path.iterdir()}
    assert sizes[".html"] < 3 * MB and sizes[".ipynb"] < 4 * MB and sizes[".pdf"] < 4 * MB, sizes
    pdfinfo = __import__("shutil").which("pdfinfo")
    if pdfinfo:
        import subprocess

        info = subprocess.run([pdfinfo, str(tmp_path / "report.pdf")], capture_output=True, text=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        assert pages < 120, pages
    print("sizes", sizes)
