"""analysis.json documents built by hand for the check tests."""
from __future__ import annotations

from typing import Any


def metric(name: str, value: Any, error: str | None = None) -> dict[str, Any]:
    entry = {"name": name, "description": f"{name} description", "value": value}
    if error is not None:
        entry["error"] = error
    return entry


def document(post: dict[str, dict[str, list[dict]]], pre: dict[str, dict[str, list[dict]]] | None = None,
              shap: dict[str, dict[str, float]] | None = None) -> dict[str, Any]:
    """analysis.json from {facet: {value: [metrics]}} per stage."""
    doc: dict[str, Any] = {"version": "1.0"}
    for key, stage in (("post_training_bias_metrics", post), ("pre_training_bias_metrics", pre)):
        if stage is not None:
            doc[key] = {"label": "y", "label_value_or_threshold": "1", "facets": {
                facet: [{"value_or_threshold": v, "metrics": m} for v, m in values.items()]
                for facet, values in stage.items()}}
    if shap is not None:
        doc["explanations"] = {"kernel_shap": {label: {"global_shap_values": values, "expected_value": 0.3}
                                               for label, values in shap.items()}}
    return doc
