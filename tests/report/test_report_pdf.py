"""The PDF report, rasterised by pdftoppm and read by pdftotext (poppler-utils): pages, drawn charts,
and no table cut across pages."""
from __future__ import annotations


import pytest
from report_fixtures import adult_analysis, context, local_shap
from report_tools import colour, ink, pixels, require_binary, run

from analyzer.output import OutputWriter
from analyzer.report import write_reports
from analyzer.report.document import format_number

pytestmark = pytest.mark.slow  # headless Chromium / pdftoppm: tens of seconds per module

DPI = 40


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> dict:
    pdftoppm = require_binary("pdftoppm", package="poppler-utils")
    pdftotext = require_binary("pdftotext", package="poppler-utils")
    root = tmp_path_factory.mktemp("pdf")
    analysis = adult_analysis()
    writer = OutputWriter(root)
    write_reports(writer, analysis, context(local_shap(2_000)), "report", "PDF check")
    writer.commit()
    path = root / "report.pdf"
    run(pdftoppm, "-r", str(DPI), "-png", str(path), str(root / "page"))
    pages = [pixels(p) for p in sorted(root.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[1]))]
    texts = run(pdftotext, "-layout", str(path), "-").split("\f")[: len(pages)]
    return {"analysis": analysis, "pages": pages, "texts": texts}


def _page_of(texts: list[str], needle: str) -> list[int]:
    return [i for i, text in enumerate(texts) if needle in text]


def test_paged_and_every_page_has_content(pdf: dict) -> None:
    pages = pdf["pages"]
    assert 4 <= len(pages) <= 24, len(pages)
    height, width = pages[0].shape[:2]
    assert height > width                      # portrait A4
    for i, page in enumerate(pages):
        assert ink(page) > 0.01, f"page {i + 1} is blank"
    assert "Page 1 of" in pdf["texts"][0]


def test_chart_pages_hold_drawn_charts(pdf: dict) -> None:
    texts, pages = pdf["texts"], pdf["pages"]
    for title in ("Global SHAP values — label0", "Local SHAP values — label0", "Partial dependence on Age",
                  "Partial dependence on Sex"):
        found = _page_of(texts, title)
        assert len(found) == 1, (title, found)
        assert colour(pages[found[0]]) > 0.005, title


def test_summary_of_concern_is_the_first_page(pdf: dict) -> None:
    first = pdf["texts"][0]
    assert "Summary of concern" in first and "Metric values far from neutral" in first
    assert "Model accuracy per group" in first


def test_bias_chart_pages_hold_drawn_charts(pdf: dict) -> None:
    texts, pages = pdf["texts"], pdf["pages"]
    for title in ("Positive rates by Sex", "Positive rates by Age", "Sex = Female: metric values against neutral",
                  "Age = (40, 90]: metric values against neutral"):
        found = _page_of(texts, title)
        assert 1 <= len(found) <= 2, (title, found)        # once per bias section, pre and post
        assert all(colour(pages[i]) > 0.005 for i in found), title


def test_no_table_is_cut_across_pages(pdf: dict) -> None:
    texts = pdf["texts"]
    analysis = pdf["analysis"]
    for key in ("pre_training_bias_metrics", "post_training_bias_metrics"):
        for facet, entries in analysis[key]["facets"].items():
            for entry in entries:
                values = [format_number(m["value"]) for m in entry["metrics"]
                          if isinstance(m["value"], float) and abs(m["value"]) != float("inf")]
                pages = {i for value in values for i in _page_of(texts, value)}
                assert any(all(value in texts[i] for value in values) for i in pages), (key, facet)
    glossary = _page_of(texts, "Glossary")
    assert glossary and "The metric could not be computed" in texts[glossary[-1]]
