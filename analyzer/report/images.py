"""The report's image explanations: a table of the explained images and their heat maps.

The heat maps come from the run (``ReportContext.images``: output file name → JPEG bytes), shrunk
and embedded in an SVG so the HTML, notebook and PDF reports all carry them without extra files.
"""
from __future__ import annotations

import base64
import html
import io
from typing import Any, Mapping

from analyzer.report.blocks import Block, Cell, Chart, Heading, Table, Text, format_number

SECTION_KEY = "image_kernel_shap"   # analyzer.stages.image_explanations writes it
MAX_HEAT_MAPS = 24                  # more stay in the output folder only


def thumbnail(jpeg: bytes, max_width: int = 640) -> bytes:
    """A smaller JPEG for the report (the full-size file stays in the outputs)."""
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as picture:
        if picture.width <= max_width:
            return jpeg
        height = max(1, round(picture.height * max_width / picture.width))
        small = picture.convert("RGB").resize((max_width, height), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _svg(jpeg: bytes, caption: str) -> str:
    from PIL import Image

    small = thumbnail(jpeg)
    with Image.open(io.BytesIO(small)) as picture:
        width, height = picture.size
    data = base64.b64encode(small).decode("ascii")
    return (f'<svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" '
            f'xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{html.escape(caption)}">'
            f'<image width="{width}" height="{height}" href="data:image/jpeg;base64,{data}" '
            f'xlink:href="data:image/jpeg;base64,{data}"/></svg>')


def _rows(images: list[Mapping[str, Any]]) -> tuple[tuple[Cell, ...], ...]:
    rows = []
    for entry in images:
        name = Cell(str(entry.get("image")))
        segments = Cell(str(entry.get("segments")), "num")
        if "objects" in entry:
            objects = entry["objects"] or []
            found = ", ".join(f"{o.get('label')} ({format_number(o.get('score'))})" for o in objects) or "none"
            rows.append((name, segments, Cell(found), Cell(str(entry.get("detections")), "num")))
        else:
            rows.append((name, segments, Cell(f"{entry.get('predicted_label')} ({format_number(entry.get('score'))})"),
                         Cell(format_number(entry.get("expected_value")), "num")))
    return tuple(rows)


def _heat_map_names(images: list[Mapping[str, Any]]) -> list[str]:
    names: list[str] = []
    for entry in images:
        if "objects" in entry:
            names.extend(str(o["heat_map"]) for o in entry.get("objects") or [])
        elif entry.get("heat_map"):
            names.append(str(entry["heat_map"]))
    return names


def image_blocks(explanations: Mapping[str, Any], files: Mapping[str, bytes]) -> list[Block]:
    """Blocks for ``explanations.image_kernel_shap`` (none when the run explained no images)."""
    section = explanations.get(SECTION_KEY)
    if not isinstance(section, Mapping):
        return []
    images = list(section.get("images") or [])
    detection = section.get("model_type") == "OBJECT_DETECTION"
    blocks: list[Block] = [Heading("Image explanations")]
    blocks.append(Text(f"{len(images)} image(s), {section.get('model_type')}: Kernel SHAP over about "
                       f"{section.get('num_segments')} superpixels per image (SLIC, compactness "
                       f"{format_number(section.get('segment_compactness'))}); absent superpixels take the baseline "
                       f"({section.get('baseline')}). Blue segments raise the explained score, red ones lower it.",
                       "intro"))
    columns = ("Image", "Segments", "Explained objects (score)", "Detections") if detection else \
        ("Image", "Segments", "Predicted label (score)", "Expected value")
    blocks.append(Table("Explained images", columns, _rows(images), kind="data"))
    names = _heat_map_names(images)
    for name in names[:MAX_HEAT_MAPS]:
        if name in files:
            blocks.append(Chart(f"Heat map {name}", _svg(files[name], name), "image"))
    if len(names) > MAX_HEAT_MAPS:
        blocks.append(Text(f"{len(names) - MAX_HEAT_MAPS} more heat map(s) are in the output folder.", "note"))
    return blocks
