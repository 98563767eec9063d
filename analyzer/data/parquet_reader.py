"""application/x-parquet: one or many part files."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from analyzer.errors import DataError


def _check_flat(frame: pd.DataFrame, path: Path) -> None:
    """Columns must hold scalars: struct, list and map columns (dicts, arrays) cannot be features,
    labels or facets, and would break grouping later."""
    for name in frame.columns:
        column = frame[name]
        if column.dtype != object:
            continue
        nested = column.map(lambda v: isinstance(v, (dict, list, tuple, np.ndarray, bytes))).to_numpy()
        if nested.any():
            kind = type(column[nested].iloc[0]).__name__
            raise DataError(f"{path}: column '{name}' holds nested values ({kind}, e.g. a struct or list column); "
                            "flatten it into scalar columns or drop it.")


def read_parquet(files: Sequence[Path], headers: Sequence[str] | None) -> pd.DataFrame:
    frames = []
    for path in files:
        try:
            frames.append(pd.read_parquet(path))
        except Exception as exc:  # pyarrow raises many types for a bad file
            reason = str(exc).splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise DataError(f"Cannot read {path} as application/x-parquet: {reason}") from None
        _check_flat(frames[-1], path)
    try:
        frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    except (TypeError, ValueError) as exc:
        raise DataError(f"The Parquet part files do not share one schema: {str(exc)[:200]}") from None
    if headers is not None:
        if len(headers) != frame.shape[1]:
            raise DataError(f"'headers' names {len(headers)} columns but the Parquet data has {frame.shape[1]} "
                            f"({', '.join(map(str, frame.columns))}).")
        frame.columns = list(headers)
    if frame.empty:
        raise DataError(f"The dataset has no rows: {', '.join(map(str, files))}.")
    return frame
