"""The leader's side of Kernel SHAP on shards (analyzer.distributed.shard_shap): out.csv written as the
parts arrive (one file, or Clarify's part files)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyzer.distributed.shard_shap import LocalValuesOut
from analyzer.output import OutputWriter


@pytest.mark.parametrize("parts, rows, pieces", [(1, 10, [3, 7]), (2, 11, [1, 5, 5]), (3, 10, [10]),
                                                 (4, 9, [2, 2, 2, 3]), (5, 3, [1, 2])])
def test_local_values_arriving_in_pieces_are_the_files_of_the_whole_table(tmp_path: Path, parts: int, rows: int,
                                                                          pieces: list[int]) -> None:
    """The bytes ExplanationResult.write gives the whole table: np.linspace cuts, a header in each part
    file, header-only part files when there are fewer rows than parts."""
    table = pd.DataFrame({"Id": [f"r{i}" for i in range(rows)], "a_label0": np.arange(rows) / 7})
    whole, pieced = OutputWriter(tmp_path / "whole"), OutputWriter(tmp_path / "pieced")
    bounds = np.linspace(0, rows, parts + 1).astype(int)
    expected = {}
    for i in range(parts):
        name = "explanations_shap/out.csv" if parts == 1 else f"explanations_shap/out.csv/part-{i:05d}.csv"
        whole.write_csv(name, table.iloc[bounds[i]:bounds[i + 1]])
        expected[name] = whole.path(name).read_bytes()
    out = LocalValuesOut(pieced, parts, rows)
    start = 0
    for size in pieces:
        out.append(table.iloc[start:start + size])
        start += size
    out.close()
    assert {name: pieced.path(name).read_bytes() for name in expected} == expected
    whole.discard()
    pieced.discard()
