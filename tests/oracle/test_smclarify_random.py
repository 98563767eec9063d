"""Property test: many small random frames, every metric (and every whole-report error)
compared with smclarify 0.5. Small frames hit the edge cases: empty groups, one-class
groups, 0/0 and x/0, Clarify's small-data type inference, distance ties in FlipTest."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from smclarify_oracle import assert_same, smclarify_section

from analyzer.bias import FacetSpec, bias_section
from analyzer.errors import AnalyzerError

pytestmark = pytest.mark.oracle

N_CASES = 120


def random_case(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 41))
    frame = pd.DataFrame({
        "x": rng.normal(size=n).round(int(rng.integers(0, 3))),  # rounding makes ties
        "z": rng.integers(0, 4, n),
    })
    kind = rng.choice(["str", "int", "bool"])
    if kind == "str":
        frame["f"] = rng.choice(["a", "b", "c"], n, p=rng.dirichlet([1, 1, 1]))
        choices = [None, ["a"], ["b", "c"], ["q"]]
    elif kind == "int":
        frame["f"] = rng.integers(0, 3, n)
        choices = [[1], [0], [0, 2], [2]]
    else:
        frame["f"] = rng.random(n) < 0.3
        choices = [None, [True], [False]]
    values = choices[int(rng.integers(len(choices)))]
    if rng.random() < 0.5:
        frame["y"] = rng.choice(["yes", "no"], n, p=[0.4, 0.6])
        frame["yhat"] = np.where(rng.random(n) < 0.8, frame["y"], np.where(frame["y"] == "yes", "no", "yes"))
        label_values = ["yes"]
    else:  # small 0/1 integer labels: Clarify reads them as continuous, so [0] means > 0
        frame["y"] = (rng.random(n) < 0.4).astype(int)
        frame["yhat"] = np.where(rng.random(n) < 0.8, frame["y"], 1 - frame["y"])
        label_values = [int(rng.integers(0, 2))]
    if rng.random() < 0.15:  # missing facet values
        frame["f"] = frame["f"].astype(object)
        frame.loc[frame.index[: max(1, n // 8)], "f"] = None
    group = "z" if rng.random() < 0.8 else None
    return frame, values, label_values, group


def run_ours(frame, **kw):
    try:
        return bias_section(frame, **kw)
    except AnalyzerError as exc:
        return ("error", str(exc))


def run_theirs(frame, facets, **kw):
    try:
        return smclarify_section(frame, facets=facets, **kw)
    except (ValueError, RuntimeError) as exc:
        return ("error", str(exc))


@pytest.mark.parametrize("seed", range(N_CASES))
def test_random_frames(seed):
    frame, values, label_values, group = random_case(seed)
    for stage in ("pre_training", "post_training"):
        kw = dict(stage=stage, label="y", label_values=label_values, group_variable=group)
        if stage == "post_training":
            kw["predicted_label"] = "yhat"
        ours = run_ours(frame, facets=[FacetSpec("f", tuple(values) if values else None)], **kw)
        theirs = run_theirs(frame, facets=[("f", values)], **kw)
        if isinstance(ours, tuple) or isinstance(theirs, tuple):
            assert ours == theirs
        else:
            # every metric of the stage, for at least one facet entry, was compared
            assert assert_same(ours, theirs) >= (8 if stage == "pre_training" else 13)
