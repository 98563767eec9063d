"""Atomic output writing: every file is staged and appears only when the whole job succeeded.

Files are written into a hidden staging directory inside the output directory (same file
system), then renamed into place by :meth:`OutputWriter.commit`. On failure :meth:`discard`
removes the staging directory, so no partial ``analysis.json`` or ``out.csv`` is ever left.
"""
from __future__ import annotations

import json
import logging
import math
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from analyzer.errors import StorageError

log = logging.getLogger("analyzer.output")


def json_number(value: float) -> float | str | None:
    """A float as analysis.json holds it: ±inf → "Infinity"/"-Infinity" (Clarify's inf_as_str), NaN → null.
    The one place this rule lives: everything written as JSON passes through it."""
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if math.isnan(value):
        return None
    return value


def _json_safe(value: Any) -> Any:
    """Floats as :func:`json_number`; numpy scalars → Python."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float):
        return json_number(value)
    return value


def to_json_text(document: Any) -> str:
    return json.dumps(_json_safe(document), indent=4, allow_nan=False) + "\n"


def _not_writable(output_dir: Path) -> str:
    """Why the output cannot be written, and the usual fix. The image's entrypoint gives root-owned
    output folders to its user when the container starts as root (SageMaker); a folder owned by
    someone else needs a matching ``docker run --user``."""
    owner = output_dir.stat().st_uid
    return (f"The output directory {output_dir} is not writable by this process (uid {os.getuid()}; the "
            f"directory belongs to uid {owner}). Mount it writable for uid {os.getuid()} (docker run --user "
            "\"$(id -u):$(id -g)\" with a folder you own), or start the image as root (its default), whose "
            "entrypoint gives root-owned output folders to the analyzer's user before dropping to it.")


class OutputWriter:
    """Stage output files and publish them together."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"Cannot create the output directory {output_dir}: {exc.strerror or exc}") from None
        if not os.access(output_dir, os.W_OK):
            raise StorageError(_not_writable(output_dir))
        # Created on first use, inside the job's try block: a stop that landed between creating it
        # here and that block left an empty staging folder behind.
        self._staging = output_dir / f".staging-{uuid.uuid4().hex[:12]}"
        self._written: list[str] = []

    @property
    def staging(self) -> Path:
        self._staging.mkdir(exist_ok=True)
        return self._staging

    def path(self, relative: str) -> Path:
        """A staging path for ``relative``; the caller writes it, commit() publishes it."""
        target = self.staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if relative not in self._written:
            self._written.append(relative)
        return target

    def write_json(self, relative: str, document: Any) -> None:
        self.path(relative).write_text(to_json_text(document), encoding="utf-8")

    def write_text(self, relative: str, text: str) -> None:
        self.path(relative).write_text(text, encoding="utf-8")

    def write_csv(self, relative: str, frame: pd.DataFrame) -> None:
        from analyzer.predictor import write_frame_csv   # to_csv's text, rows made by Arrow in blocks

        with self.path(relative).open("wb") as sink:
            write_frame_csv(frame, sink)

    def append_csv(self, relative: str, frame: pd.DataFrame) -> None:
        """More rows for ``relative``: the first call writes the header too (a table written in parts,
        e.g. per chunk of the dataset, has the bytes of :meth:`write_csv` on the whole table)."""
        from analyzer.predictor import write_frame_csv

        first = relative not in self._written
        with self.path(relative).open("wb" if first else "ab") as sink:
            write_frame_csv(frame, sink, header=first)

    def commit(self) -> list[Path]:
        """Move every staged file into the output directory (analysis.json last) and clean up."""
        order = sorted(self._written, key=lambda r: r == "analysis.json")
        published = []
        for relative in order:
            target = self.output_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._staging / relative, target)
            published.append(target)
        shutil.rmtree(self._staging, ignore_errors=True)
        return published

    def retract(self, published: list[Path]) -> None:
        """Remove files that ``commit`` published (a stop arrived while they moved into place)."""
        for target in sorted(published, key=lambda p: p.name != "analysis.json"):  # analysis.json first
            target.unlink(missing_ok=True)
        for relative in self._written:
            parent = (self.output_dir / relative).parent
            while parent != self.output_dir and parent.is_relative_to(self.output_dir):
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent

    def discard(self) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)
