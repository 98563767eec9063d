"""The rows of the local SHAP values kept for the report while a dataset is read in chunks
(analyzer.stages.local_sample): exactly the rows the local chart draws of a whole read, at most
charts.MAX_POINTS of them, so the chart is the whole read's."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzer.report import charts
from analyzer.stages.local_sample import LocalSample


def _whole(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(n)
    local = pd.DataFrame({"id": [f"r{i}" for i in range(n)]})
    for name, scale in (("a", 1.0), ("b", 3.0), ("c", 0.1)):
        local[f"{name}_label0"] = rng.normal(0, scale, n)
    local.loc[rng.random(n) < 0.05, "c_label0"] = np.nan                  # non-finite values are left out
    features = pd.DataFrame({"a": rng.integers(0, 5, n), "b": rng.normal(size=n), "c": rng.choice(["x", "y"], n)})
    return local, features


def _chart(local: pd.DataFrame, features: pd.DataFrame, **sample: object) -> str:
    columns = {f"{f}_label0": f for f in ("a", "b", "c")}
    return charts.beeswarm_chart(local[list(columns)].rename(columns=columns), "Local", "s", features=features,
                                 **sample)


@pytest.mark.parametrize("n, rows", [(40, 7), (1500, 1500), (4000, 333)])
def test_the_kept_rows_draw_the_whole_reads_chart(n: int, rows: int) -> None:
    local, features = _whole(n)
    sample = LocalSample.of(n)
    for start in range(0, n, rows):
        part = slice(start, start + rows)
        sample.add(local.iloc[part].reset_index(drop=True), features.iloc[part].reset_index(drop=True))
    kept, kept_features = sample.local(), sample.features()
    assert kept is not None and kept_features is not None
    assert len(kept) == len(kept_features) == min(n, charts.MAX_POINTS)
    assert sample.sampled == (n > charts.MAX_POINTS)
    assert list(kept["id"]) == [f"r{i}" for i in charts.beeswarm_rows(n)]     # the rows, in order
    importance = sample.importance()
    if sample.sampled:
        assert importance is not None
        expected = local.drop(columns="id").abs().mean()
        assert np.allclose(importance[expected.index], expected, rtol=1e-12)
        importance = importance.rename(index=lambda c: c.removesuffix("_label0"))
        svg = _chart(kept, kept_features, of_rows=n, importance=importance)
        assert f"1,500 of {n:,} rows" in svg
    else:
        assert importance is None
        svg = _chart(kept, kept_features)
    assert svg == _chart(local, features)


def test_a_sample_of_other_rows_is_refused() -> None:
    local, features = _whole(2000)
    with pytest.raises(ValueError, match="1600 local value rows for a sample of 1500 of 2000 rows"):
        _chart(local.iloc[:1600], features.iloc[:1600], of_rows=2000)
