"""The report's text explanations: per output label and text feature, the units (tokens, sentences,
paragraphs) with the largest aggregated attribution (``global_top_shap_text``), as a bar chart."""
from __future__ import annotations

import re
from typing import Any, Mapping

from analyzer.report import charts
from analyzer.report.blocks import Block, Chart, Text

TEXT_KEY = "global_top_shap_text"   # analyzer.explain.text_report writes it


def text_blocks(label: str, block: Mapping[str, Any]) -> list[Block]:
    """Blocks for one ``kernel_shap.<label>`` entry's text features (none without text)."""
    top = block.get(TEXT_KEY)
    if not isinstance(top, Mapping):
        return []
    out: list[Block] = []
    for feature, units in top.items():
        if not isinstance(units, Mapping) or not units:
            out.append(Text(f"Text feature {feature}: no units with attributions for output {label}.", "note"))
            continue
        shown = min(charts.TOP_FEATURES, len(units))
        out.append(Text(f"Text feature {feature}: the {shown} units (of the {len(units)} kept) with the largest "
                        f"aggregated SHAP value for output {label}.", "intro"))
        salt = "text-" + re.sub(r"[^a-z0-9]+", "-", f"{label}-{feature}".lower()).strip("-")
        out.append(Chart(f"Top text units, {feature}, output {label}",
                         charts.shap_bar_chart({str(k): float(v) for k, v in units.items()},
                                               f"Top text units — {feature} — {label}", salt), "shap-bar"))
    return out
