"""application/x-parquet: one or many part files."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from analyzer.errors import DataError


def read_parquet(files: Sequence[Path], headers: Sequence[str] | None) -> pd.DataFrame:
    frames = []
    for path in files:
        try:
            frames.append(pd.read_parquet(path))
        except Exception as exc:  # pyarrow raises many types for a bad file
            raise DataError(f"Cannot read {path} as application/x-parquet: {exc}") from None
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    if headers is not None:
        if len(headers) != frame.shape[1]:
            raise DataError(f"'headers' names {len(headers)} columns but the Parquet data has {frame.shape[1]} "
                            f"({', '.join(map(str, frame.columns))}).")
        frame.columns = list(headers)
    if frame.empty:
        raise DataError(f"The dataset has no rows: {', '.join(map(str, files))}.")
    return frame
