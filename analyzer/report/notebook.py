"""The report as a Jupyter notebook (nbformat v4) whose outputs are already filled in.

Headings and sentences are markdown cells; each table and chart is a code cell whose output holds
the table as text/html (plus text/plain) or the chart as image/svg+xml, so the notebook reads like
the HTML page without being run. The code cells only show where each output comes from in
analysis.json, so re-running them does not need this package.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from analyzer.report.blocks import Chart, Heading, Report, Table, Text
from analyzer.report.html import render_table

if TYPE_CHECKING:   # nbformat is imported when the notebook is written: after the page went to the PDF process
    import nbformat

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!])")


def _md(text: str) -> str:
    """Plain text safe inside markdown (user-given names may hold *, _, <, |...)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _plain_table(table: Table) -> str:
    widths = [len(c) for c in table.columns]
    for row in table.rows:
        widths = [max(w, len(cell.text)) for w, cell in zip(widths, row, strict=True)]
    cap = [min(w, 60) for w in widths]
    lines = ["  ".join(c[:w].ljust(w) for c, w in zip(table.columns, cap, strict=True))]
    lines += ["  ".join(cell.text[:w].ljust(w) for cell, w in zip(row, cap, strict=True)) for row in table.rows]
    return table.caption + "\n" + "\n".join(line.rstrip() for line in lines)


def _output_cell(source: str, data: dict[str, str], count: int) -> nbformat.NotebookNode:
    from nbformat import v4

    cell = v4.new_code_cell(source=source, execution_count=count)
    cell.outputs = [v4.new_output("display_data", data=data, metadata={})]
    return cell


def render_notebook(report: Report) -> str:
    """The notebook as JSON text (validated against the nbformat v4 schema before it is returned)."""
    import nbformat
    from nbformat import v4

    notebook = v4.new_notebook()
    notebook.metadata.update({
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "title": report.title,
    })
    cells = [
        v4.new_markdown_cell(f"# {_md(report.title)}\n\nGenerated {_md(report.generated or '—')} by "
                             f"clarify-analyzer {_md(report.tool_version)}. The outputs below are the report; "
                             "the numbers come from `analysis.json` next to this notebook."),
        v4.new_code_cell(source='import json\n\nwith open("analysis.json") as f:\n    analysis = json.load(f)',
                         execution_count=1),
    ]
    count = 1
    for section in report.sections:
        cells.append(v4.new_markdown_cell(f"## {_md(section.title)}"))
        for block in section.blocks:
            if isinstance(block, Heading):
                cells.append(v4.new_markdown_cell(f"### {_md(block.text)}"))
            elif isinstance(block, Text):
                prefix = "**Warning:** " if block.kind == "warning" else ""
                cells.append(v4.new_markdown_cell(prefix + _md(block.text)))
            elif isinstance(block, Table):
                count += 1
                cells.append(_output_cell(f"# {block.caption}", {
                    "text/html": render_table(block), "text/plain": _plain_table(block)}, count))
            elif isinstance(block, Chart):
                count += 1
                cells.append(_output_cell(f"# Chart: {block.caption}", {
                    "image/svg+xml": block.svg, "text/plain": f"<chart: {block.caption}>"}, count))
    notebook.cells = cells
    nbformat.validate(notebook)
    return nbformat.writes(notebook, version=4) + "\n"
