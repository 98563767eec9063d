"""The HTML report in headless Chromium, offline: charts drawn, expected elements, nothing fetched,
no console messages.

A copy of the page gets a small probe script that writes each chart's box into the DOM (read
with --dump-dom); a screenshot of the original page at the same window width is then cut at
those boxes and each must hold a drawing. The screenshot run logs the page's console to stderr
(--enable-logging=stderr --v=0), where every message is a "CONSOLE" line.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from report_fixtures import adult_analysis, context, local_shap
from report_tools import chromium, colour, ink, pixels, require_binary

from analyzer.output import OutputWriter
from analyzer.report import write_reports

pytestmark = pytest.mark.slow  # headless Chromium / pdftoppm: tens of seconds per module

WIDTH = 1100
CONSOLE_TO_STDERR = ("--enable-logging=stderr", "--v=0")
PROBE = """<script>
const boxes = [...document.querySelectorAll("figure.chart")].map(f => {
  const r = f.getBoundingClientRect();
  return {kind: f.classList[1], x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height};
});
const pre = document.createElement("pre");
pre.id = "probe";
pre.textContent = JSON.stringify({boxes, height: document.documentElement.scrollHeight,
  tables: document.querySelectorAll("table").length, rows: document.querySelectorAll("tbody tr").length,
  svgs: document.querySelectorAll("figure.chart svg").length});
document.body.appendChild(pre);
</script></body>"""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> dict:
    binary = require_binary("chromium", "chromium-browser", package="chromium")
    root = tmp_path_factory.mktemp("browser")
    writer = OutputWriter(root / "out")
    write_reports(writer, adult_analysis(), context(local_shap(2_000)), "report", "Browser check")
    writer.commit()
    html_path = root / "out" / "report.html"
    probe_path = root / "probe.html"
    probe_path.write_text(html_path.read_text().replace("</body>", PROBE))
    dom = chromium(binary, probe_path.as_uri(), root / "profile", f"--window-size={WIDTH},1000", "--dump-dom").stdout
    probe = json.loads(re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL).group(1).replace("&quot;", '"'))
    shot = root / "page.png"
    shown = chromium(binary, html_path.as_uri(), root / "profile", f"--window-size={WIDTH},{probe['height']}",
                     f"--screenshot={shot}", *CONSOLE_TO_STDERR)
    return {"probe": probe, "pixels": pixels(shot), "html": html_path.read_text(), "log": shown.stderr}


def test_expected_elements(page: dict) -> None:
    probe = page["probe"]
    per_facet = ["bias-rates", "bias-metrics"]
    assert [b["kind"] for b in probe["boxes"]] == per_facet * 4 + ["shap-bar", "shap-local", "pdp", "pdp"]
    assert probe["svgs"] == 12
    # Summary 2 (flags, accuracy), overview 2, dataset 3, 2 + 2 bias tables, performance 3, glossary 1.
    assert probe["tables"] == 15
    assert probe["rows"] >= 8 * 2 + 13 * 2 + 14


def test_no_console_messages(page: dict) -> None:
    assert "CONSOLE" not in page["log"], page["log"][-2000:]


def test_console_check_sees_a_broken_page(tmp_path: Path) -> None:
    binary = require_binary("chromium", "chromium-browser", package="chromium")
    broken = tmp_path / "broken.html"
    broken.write_text('<html><body><script>console.error("canary"); missing();</script></body></html>')
    log = chromium(binary, broken.as_uri(), tmp_path / "profile", f"--screenshot={tmp_path / 'b.png'}",
                   *CONSOLE_TO_STDERR).stderr
    assert "CONSOLE" in log and "canary" in log


def test_every_chart_is_drawn(page: dict) -> None:
    image = page["pixels"]
    assert image.shape[0] >= page["probe"]["height"] - 1
    for box in page["probe"]["boxes"]:
        assert box["w"] > 600 and box["h"] > 150, box
        region = image[int(box["y"]):int(box["y"] + box["h"]), int(box["x"]):int(box["x"] + box["w"])]
        assert ink(region) > 0.03, box
        # Bars, points or lines in colour, not just axes and text (a 2-point PDP has little colour).
        assert colour(region) > (0.002 if box["kind"] == "pdp" else 0.02), box
    # And the page is not all chart: some white space between blocks.
    assert ink(image) < 0.5


def test_page_needs_no_network(page: dict) -> None:
    html = page["html"]
    assert not re.search(r"<script|<link|@import|url\((?!#)", html)
    assert not re.search(r'(src|href)="(?!#|data:)', html)
