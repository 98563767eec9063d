"""Helpers that run smclarify (the test oracle) the way Clarify does and compare with ours.

smclarify 0.5 crashes on pandas 3's string dtype, so its frames get object-dtype copies
of the string columns. Our side gets the frames pandas 3 builds by default.
"""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
REL = 1e-9
ABS = 1e-12


def data_dir() -> Path:
    """Fetch the datasets if needed (scripts/fetch_datasets.py) and return the data dir."""
    spec = importlib.util.spec_from_file_location("fetch_datasets", ROOT / "scripts" / "fetch_datasets.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.fetch(ROOT / "data")


def as_object(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``frame`` with string columns as object dtype (what smclarify can read)."""
    # astype(object) is enough; the deprecated "future.infer_string" option is not needed.
    return frame.astype({c: object for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype)})


def smclarify_section(frame: pd.DataFrame, *, stage: str, label: str, label_values: list,
                      facets: list[tuple[str, list | None]], predicted_label: str | None = None,
                      group_variable: str | None = None, methods: Any = "all") -> dict:
    """smclarify's bias_report for each facet, assembled into our section's shape."""
    from smclarify.bias.report import FacetColumn, LabelColumn, StageType, bias_report, label_value_or_threshold

    df = as_object(frame)
    stage_type = StageType.PRE_TRAINING if stage == "pre_training" else StageType.POST_TRAINING
    metrics = ["all"] if methods == "all" else list(methods)
    out: dict[str, Any] = {"label": label, "facets": {}}
    for name, values in facets:
        kwargs = {}
        if predicted_label is not None:
            kwargs["predicted_label_column"] = LabelColumn(predicted_label, df[predicted_label])
        out["facets"][name] = bias_report(
            df, FacetColumn(name, list(values) if values else None),
            LabelColumn(label, df[label], list(label_values)), stage_type, metrics=metrics,
            group_variable=df[group_variable] if group_variable else None, **kwargs,
        )
    out["label_value_or_threshold"] = label_value_or_threshold(df[label], list(label_values))
    return out


def close(a: Any, b: Any) -> bool:
    if isinstance(a, str) or isinstance(b, str) or a is None or b is None:
        return a == b
    return math.isclose(float(a), float(b), rel_tol=REL, abs_tol=ABS)


def assert_same(ours: dict, theirs: dict) -> int:
    """Assert two sections agree (structure, texts, errors; values to 1e-9 relative).

    Returns the number of metric values compared.
    """
    assert list(ours) == list(theirs)
    assert ours["label"] == theirs["label"]
    assert ours["label_value_or_threshold"] == theirs["label_value_or_threshold"]
    assert list(ours["facets"]) == list(theirs["facets"])
    n = 0
    for name in ours["facets"]:
        mine, ref = ours["facets"][name], theirs["facets"][name]
        assert [e["value_or_threshold"] for e in mine] == [e["value_or_threshold"] for e in ref], name
        for e_mine, e_ref in zip(mine, ref):
            assert [m["name"] for m in e_mine["metrics"]] == [m["name"] for m in e_ref["metrics"]]
            for m, r in zip(e_mine["metrics"], e_ref["metrics"]):
                where = f"{name}={e_mine['value_or_threshold']} {m['name']}"
                assert list(m) == list(r), where
                assert m["description"] == r["description"], where
                assert m.get("error") == r.get("error"), (where, m, r)
                assert close(m["value"], r["value"]), (where, m["value"], r["value"])
                n += 1
    return n
