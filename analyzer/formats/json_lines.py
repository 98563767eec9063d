"""JSON Lines text → one JSON value per non-blank line, in bulk (shared by live model responses)."""
from __future__ import annotations

import json
from typing import Any


def json_lines(text: str) -> list[Any]:
    """One JSON value per non-blank line, as ``json.loads`` per line gives them (same errors), with
    the decoder's scanner called directly: half the cost per record."""
    scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # per call: the scanner's key memo is not shared by threads

    def one(line: str) -> Any:
        text = line.strip(" \t\n\r")   # the whitespace json.loads allows around a value
        try:
            value, end = scan(text, 0)
            if end == len(text):
                return value
        except (StopIteration, ValueError):
            pass
        return json.loads(line)   # raises json.loads's own error

    return list(map(one, filter(str.strip, text.splitlines())))
