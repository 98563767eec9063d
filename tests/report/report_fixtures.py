"""Synthetic results shaped like an Adult run: bias sections, SHAP, PDP and an out.csv-sized frame."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analyzer.report import DatasetSummary, GroupStats, ModelPerformance, ReportContext

ADULT_FEATURES = ["Age", "Workclass", "fnlwgt", "Education", "Education-Num", "Marital Status", "Occupation",
                  "Relationship", "Ethnic group", "Sex", "Capital Gain", "Capital Loss", "Hours per week",
                  "Country"]
PRE = ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
DESCRIPTIONS = {"CI": "Class Imbalance", "DPL": "Difference in Positive Proportions in Labels",
                "JS": "Jensen-Shannon Divergence", "KL": "Kullback-Liebler Divergence", "KS": "Kolmogorov-Smirnov Distance",
                "LP": "L-p Norm", "TVD": "Total Variation Distance", "AD": "Accuracy Difference",
                "DAR": "Difference in Acceptance Rates", "DCA": "Difference in Conditional Acceptance",
                "DCR": "Difference in Conditional Rejection", "DI": "Disparate Impact",
                "DPPL": "Difference in Positive Proportions in Predicted Labels",
                "DRR": "Difference in Rejection Rates", "FT": "Flip Test", "GE": "Generalized Entropy",
                "RD": "Recall Difference", "SD": "Specificity Difference"}
POST = ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE"]


def _metrics(names: list[str], rng: np.random.Generator) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in names:
        if name.startswith("CDD"):
            out.append({"name": name, "description": f"Conditional Demographic Disparity ({name})", "value": None,
                        "error": "Group variable is empty or not provided"})
        elif name == "TE":
            out.append({"name": name, "description": "Treatment Equality (TE)", "value": float("inf")})
        else:
            out.append({"name": name, "description": f"{DESCRIPTIONS.get(name, name)} ({name})",
                        "value": float(np.round(rng.normal(0, 0.2), 6))})
    return out


def bias_section(names: list[str], rng: np.random.Generator) -> dict[str, Any]:
    return {"label": "Target", "facets": {
        "Sex": [{"value_or_threshold": "Female", "metrics": _metrics(names, rng)}],
        "Age": [{"value_or_threshold": "(40, 90]", "metrics": _metrics(names, rng)}],
    }, "label_value_or_threshold": ">50K"}


def pdp_entries(features: list[str], rng: np.random.Generator) -> list[dict[str, Any]]:
    entries = []
    for feature in features:
        if feature == "Sex":
            entries.append({"feature_name": feature, "data_type": "categorical", "feature_values": ["Female", "Male"],
                            "data_distribution": [0.33, 0.67], "model_predictions": [[0.11, 0.31]],
                            "label_headers": ["label0"]})
        else:
            grid = np.linspace(17, 90, 15)
            entries.append({"feature_name": feature, "data_type": "numerical", "feature_values": grid.tolist(),
                            "data_distribution": (np.ones(15) / 15).tolist(),
                            "model_predictions": [(1 / (1 + np.exp(-(grid - 45) / 10))).tolist()],
                            "label_headers": ["label0"]})
    return entries


def adult_analysis(features: list[str] = ADULT_FEATURES, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {
        "version": "1.0",
        "post_training_bias_metrics": bias_section(POST, rng),
        "pre_training_bias_metrics": bias_section(PRE, rng),
        "explanations": {
            "kernel_shap": {"label0": {
                "global_shap_values": {f: float(abs(rng.normal(0, 0.05))) for f in features},
                "expected_value": 0.2412,
                "analyzer_diagnostics": {"warnings": ["Estimated SHAP error is large for 3 rows."]},
            }},
            "pdp": pdp_entries(["Age", "Sex"], rng),
        },
    }


def local_shap(rows: int, features: list[str] = ADULT_FEATURES, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    scales = np.linspace(0.1, 0.01, len(features))
    return pd.DataFrame(rng.normal(0, 1, (rows, len(features))) * scales,
                        columns=[f"{f}_label0" for f in features])


def context(local: pd.DataFrame | None = None, features: pd.DataFrame | None = None) -> ReportContext:
    summary = DatasetSummary(
        rows=32561, features=14, label="Target", positive_label=">50K",
        label_distribution=(("<=50K", 24720), (">50K", 7841)),
        groups=(GroupStats("Sex", "Female", 10771, 0.3308, 0.1095, (0.05, 0.02, 0.06, 0.87), rest_rows=21790,
                           rest_positive_label_rate=0.3057, positive_prediction_rate=0.07,
                           rest_positive_prediction_rate=0.2, rest_confusion=(0.15, 0.05, 0.15, 0.65)),
                GroupStats("Age", "(40, 90]", 13000, 0.40, 0.35, (0.2, 0.05, 0.1, 0.65), rest_rows=19561,
                           rest_positive_label_rate=0.16, positive_prediction_rate=0.25,
                           rest_positive_prediction_rate=0.12, rest_confusion=(0.08, 0.04, 0.08, 0.8))),
        performance=ModelPerformance(metrics=(("Accuracy", 0.85), ("F1 Score", 0.66)),
                                     confusion=(0.15, 0.05, 0.09, 0.71)),
    )
    return ReportContext(generated="2025-01-01 00:00 UTC", config_summary=(("dataset_type", "text/csv"),
                                                                          ("label", "Target")),
                         dataset=summary, local_shap=local, local_features=features,
                         shap_warnings=("SHAP values for 12 rows did not converge.",))
