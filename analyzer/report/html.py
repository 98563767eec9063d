"""The report as one self-contained HTML page: inline CSS and SVG, no scripts, no external anything.

The same page, with its print rules (A4, page numbers, nothing cut across pages), is what the PDF
engine lays out. The template lives here as a string so that it ships with the module.
"""
from __future__ import annotations

import jinja2
from markupsafe import Markup

from analyzer.report.blocks import Chart, Heading, Report, Table, Text

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; font-size: 14px; line-height: 1.45;
       color: #1d1d1f; background: #fff; margin: 0 auto; max-width: 1000px; padding: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #1f77b4;
     break-after: avoid; page-break-after: avoid; }
h3 { font-size: 16px; margin: 18px 0 8px; break-after: avoid; page-break-after: avoid; }
.meta { color: #555; margin: 0 0 12px; }
nav ol { margin: 4px 0 0; padding-left: 22px; }
.block { margin: 10px 0 16px; break-inside: avoid; page-break-inside: avoid; }
.caption { font-weight: bold; margin: 0 0 4px; break-after: avoid; page-break-after: avoid; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border: 1px solid #d0d0d5; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #eef3f8; }
tr { break-inside: avoid; page-break-inside: avoid; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.error { color: #a4000f; background: #fff0f0; }
td.warn { color: #a4000f; font-weight: bold; }
table.concern td:nth-child(6) { font-size: 12px; }
table.kv { width: auto; min-width: 50%; }
table.kv td:first-child { font-weight: bold; white-space: nowrap; }
table.metrics td:nth-child(1) { font-weight: bold; white-space: nowrap; }
table.metrics td:nth-child(4), table.metrics td:nth-child(5) { font-size: 12px; }
p.note { color: #444; }
p.intro { break-after: avoid; page-break-after: avoid; }
p.warning { background: #fff7e0; border-left: 4px solid #e0a100; padding: 6px 10px; }
figure { margin: 0; }
figure svg.chart-svg { display: block; width: 100%; height: auto; max-width: 100%; }
@page { size: A4; margin: 16mm 14mm 18mm;
        @bottom-center { content: "Page " counter(page) " of " counter(pages); font-size: 9px; color: #666;
                        font-family: "DejaVu Sans", Arial, sans-serif; } }
@media print {
  body { max-width: none; padding: 0; font-size: 10px; }
  h1 { font-size: 20px; } h2 { font-size: 15px; } h3 { font-size: 12px; }
  table { font-size: 8.5px; } table.metrics td:nth-child(4), table.metrics td:nth-child(5) { font-size: 8px; }
  nav { display: none; }
}
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="clarify-analyzer {{ report.tool_version }}">
<title>{{ report.title }}</title>
<style>{{ css }}</style>
</head>
<body>
<header>
<h1>{{ report.title }}</h1>
<p class="meta">Generated {{ report.generated or "—" }} by clarify-analyzer {{ report.tool_version }}</p>
<nav><strong>Contents</strong><ol>
{%- for section in report.sections %}
<li><a href="#{{ section.id }}">{{ section.title }}</a></li>
{%- endfor %}
</ol></nav>
</header>
<main>
{%- for section in report.sections %}
<section id="{{ section.id }}">
<h2>{{ section.title }}</h2>
{%- for block in section.blocks %}
{{ render_block(block) }}
{%- endfor %}
</section>
{%- endfor %}
</main>
</body>
</html>
"""

TABLE = """<div class="block table-block">
<p class="caption">{{ table.caption }}</p>
<table class="{{ table.kind }}">
<thead><tr>{% for column in table.columns %}<th>{{ column }}</th>{% endfor %}</tr></thead>
<tbody>
{%- for row in table.rows %}
<tr>{% for cell in row %}<td{% if cell.kind %} class="{{ cell.kind }}"{% endif %}>{{ cell.text }}</td>{% endfor %}</tr>
{%- endfor %}
</tbody>
</table>
</div>"""

CHART = """<div class="block chart-block">
<figure class="chart {{ chart.kind }}" role="img" aria-label="{{ chart.caption }}">
{{ chart.svg | safe }}
</figure>
</div>"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False)
_TABLE = _ENV.from_string(TABLE)
_CHART = _ENV.from_string(CHART)


def render_table(table: Table) -> str:
    """One table as an HTML fragment (also the notebook's text/html output)."""
    return _TABLE.render(table=table)


def render_chart(chart: Chart) -> str:
    return _CHART.render(chart=chart)


def render_block(block: object) -> str:
    if isinstance(block, Table):
        return render_table(block)
    if isinstance(block, Chart):
        return render_chart(block)
    if isinstance(block, Heading):
        return _ENV.from_string("<h3>{{ text }}</h3>").render(text=block.text)
    if isinstance(block, Text):
        return _ENV.from_string('<p{% if kind %} class="{{ kind }}"{% endif %}>{{ text }}</p>').render(
            text=block.text, kind=block.kind)
    raise TypeError(f"unknown report block {type(block).__name__}")


def render_html(report: Report) -> str:
    """The complete page."""
    page = _ENV.from_string(TEMPLATE)
    # Blocks are rendered (and escaped) by their own templates; the page inserts them as markup.
    return page.render(report=report, css=Markup(CSS),
                       render_block=lambda block: Markup(render_block(block)))
