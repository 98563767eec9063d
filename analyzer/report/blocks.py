"""The blocks a report is made of (tables, charts, text), and number formatting shared by every layout.

:mod:`analyzer.report.document` and :mod:`analyzer.report.concern` decide the content; the HTML,
notebook and PDF renderers only lay these blocks out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Union

from analyzer.output import json_number


@dataclass(frozen=True)
class Cell:
    text: str
    kind: str = ""          # "", "num", "error", "warn": a style hint for renderers


@dataclass(frozen=True)
class Table:
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    kind: str = ""          # "metrics", "kv", ...


@dataclass(frozen=True)
class Chart:
    caption: str
    svg: str
    kind: str               # "shap-bar", "shap-local", "pdp"


@dataclass(frozen=True)
class Text:
    text: str
    kind: str = ""          # "", "note", "warning", "intro" (kept with what follows)


@dataclass(frozen=True)
class Heading:
    text: str


Block = Union[Table, Chart, Text, Heading]


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Report:
    title: str
    generated: str
    tool_version: str
    sections: tuple[Section, ...] = field(default=())

    def blocks(self, kind: type) -> list:
        return [b for s in self.sections for b in s.blocks if isinstance(b, kind)]


# -- formatting ---------------------------------------------------------------------------------------
def format_number(value: Any) -> str:
    """4 significant digits; Clarify's "Infinity" strings and other text as they are."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)) or hasattr(value, "item"):
        number = float(value)
        if math.isnan(number):
            return "NaN"
        if math.isinf(number):
            return str(json_number(number))   # analysis.json's "Infinity" text
        if number == int(number) and abs(number) < 1e15:
            return str(int(number))
        return f"{number:.4g}"
    return str(value)
