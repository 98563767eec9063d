"""Request encoders: a feature frame → one request body, one dispatch entry per content type.

Each takes the fastest path that gives the general path's bytes: Arrow (``bulk``), then rows of
cell texts (``cells``), then pandas ``to_csv`` / ``json.dumps`` per row.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import pandas as pd

from analyzer.formats import CSV, JSON, JSONLINES
from analyzer.predictor import bulk, templates
from analyzer.predictor.cells import frame_cells

if TYPE_CHECKING:
    from analyzer.predictor.codecs import RequestCodec


def _rows(frame: pd.DataFrame) -> list[list[Any]]:
    return frame.astype(object).where(frame.notna(), None).to_numpy().tolist()


def _cells(frame: pd.DataFrame, kind: str, min_columns: int = 1) -> list[tuple[str, ...]] | None:
    """Rows of cell texts made in bulk, or None for the general path (also for frames with no rows,
    and for one-column CSV, where the csv module quotes an empty string)."""
    if not len(frame) or frame.shape[1] < min_columns:
        return None
    return frame_cells(frame, kind)


def _encode_csv(codec: RequestCodec, frame: pd.DataFrame) -> bytes:
    body = bulk.csv_body(frame)
    if body is not None:
        return body
    rows = _cells(frame, "csv", min_columns=2)
    if rows is not None:
        return ("\n".join(map(",".join, rows)) + "\n").encode("utf-8")
    return frame.to_csv(header=False, index=False, lineterminator="\n").encode("utf-8")


def _encode_jsonlines(codec: RequestCodec, frame: pd.DataFrame) -> bytes:
    template = codec.content_template or templates.DEFAULT_JSONLINES_TEMPLATE
    lines = bulk.json_records(frame, lambda cells: templates.render_jsonlines_cells(template, [cells]), "\n")
    if lines is not None:
        return lines[:-1].encode("utf-8")
    rows = _cells(frame, "json")
    if rows is not None:
        return templates.render_jsonlines_cells(template, rows).encode("utf-8")
    return "\n".join(templates.render_jsonlines(template, row) for row in _rows(frame)).encode("utf-8")


def _encode_json(codec: RequestCodec, frame: pd.DataFrame) -> bytes:
    record = codec.record_template
    assert record is not None
    template = codec.content_template or templates.DEFAULT_JSON_CONTENT_TEMPLATE
    if record.renders_cells and (len(frame) == 1 or not codec.one_record_per_request):
        joined = bulk.json_records(frame, record.render_cells, ",")
        if joined is not None:   # all records, comma-separated: what $records puts in brackets
            return templates.render_json_content(template, [joined[:-1]]).encode("utf-8")
    rows = _cells(frame, "json") if record.renders_cells else None
    if rows is not None:
        records = [record.render_cells(row) for row in rows]
    else:
        records = [record.render(row) for row in _rows(frame)]
    return templates.render_json_content(template, records).encode("utf-8")


ENCODERS: dict[str, Callable[[RequestCodec, pd.DataFrame], bytes]] = {   # keys: codecs.REQUEST_TYPES
    CSV: _encode_csv,
    JSONLINES: _encode_jsonlines,
    JSON: _encode_json,
}
