"""PDP chunk by chunk (analyzer.stages.pdp_stream, grids from the survey) gives the entries of
partial_dependence over every row, bit for bit: numeric, integer, constant and categorical features,
missing values, one and two model outputs."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyzer.explain import partial_dependence
from analyzer.stages.pdp_stream import PdpStream, pdp_part
from analyzer.stages.survey import MixedTypes, survey


def _model(outputs: int):
    def predict(frame: pd.DataFrame) -> np.ndarray:
        z = 0.1 * frame["n"].to_numpy(float) + 0.3 * frame["i"].to_numpy(float) + (frame["s"] == "b").to_numpy(float)
        z = np.nan_to_num(z) + 1e-3 * frame["k"].to_numpy(float)
        p = 1 / (1 + np.exp(-z))
        return p if outputs == 1 else np.column_stack([p, 1 - p])
    return predict


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    numbers = rng.normal(0, 3, n)
    numbers[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({"n": numbers, "i": rng.integers(-2, 9, n), "k": np.full(n, 4.0),
                         "s": pd.Series(rng.choice(["c", "a", "b"], n), dtype="str")})


@pytest.mark.parametrize("outputs, rows", [(1, 1), (1, 7), (2, 33), (2, 1000)])
def test_chunks_give_the_entries_of_all_rows(outputs: int, rows: int, tmp_path: Path) -> None:
    frame = _frame(130)
    features = ["n", "i", "k", "s"]
    chunks = [frame.iloc[start:start + rows] for start in range(0, len(frame), rows)]
    found = survey(iter(chunks), features, features, None)
    assert found.rows == len(frame)
    stream = PdpStream(_model(outputs), found, features, 6, None, 40, str(tmp_path))
    for chunk in chunks:
        stream.add(chunk)
    expected = [partial_dependence(_model(outputs), frame, f, grid_resolution=6, max_rows_per_call=40)
                for f in features]
    assert stream.finish() == expected
    assert [e["data_type"] for e in expected] == ["numerical", "numerical", "numerical", "categorical"]


def test_ints_and_floats_across_chunks_are_floats_other_mixes_are_refused() -> None:
    ints, floats = pd.DataFrame({"x": [1, 2]}), pd.DataFrame({"x": [1.5, np.nan]})
    found = survey(iter([ints, floats]), ["x"], [], None)
    assert found.dtypes["x"] == np.float64 and found.typed(ints)["x"].dtype == np.float64
    with pytest.raises(MixedTypes, match="column 'x' reads as"):
        survey(iter([ints, pd.DataFrame({"x": ["a", "b"]})]), ["x"], [], None)


@pytest.mark.parametrize("outputs", [1, 2])
def test_parts_scored_anywhere_in_any_order_give_the_entries_of_all_rows(outputs: int, tmp_path: Path) -> None:
    """As the Dask job does it: the grids from the survey go to the parts, each part is scored (through pickle,
    as a worker returns it) and written at its rows' place in a shuffled order, an empty part included."""
    frame = _frame(130)
    features = ["n", "i", "k", "s"]
    cuts = [0, 1, 40, 40, 97, 130]
    found = survey(iter([frame]), features, features, None)
    stream = PdpStream(_model(outputs), found, features, 6, None, 40, str(tmp_path))
    grid = pickle.loads(pickle.dumps(stream.grid))
    rng = np.random.default_rng(outputs)
    for i in rng.permutation(len(cuts) - 1).tolist():
        part = pdp_part(_model(outputs), frame.iloc[cuts[i]:cuts[i + 1]], grid, 40)
        stream.add_part(cuts[i], pickle.loads(pickle.dumps(part)))
    expected = [partial_dependence(_model(outputs), frame, f, grid_resolution=6, max_rows_per_call=40)
                for f in features]
    assert stream.finish() == expected
    with pytest.raises(ValueError, match="outside the 130 rows"):
        stream.add_part(100, pdp_part(_model(outputs), frame.iloc[:40], grid, 40))
