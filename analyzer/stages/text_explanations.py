"""The text explainability stage (``methods.shap.text_config``): config + dataset + predictor →
text Kernel SHAP, the ``kernel_shap`` section and ``explanations_shap/out.jsonl``.

Text features are the feature columns holding strings that are not numbers. The baseline: the
configured rows (a text column holds its replacement string, e.g. ``"<UNK>"``), or by default the
empty string for text columns (absent units are dropped) and the automatic K-means baseline of the
tabular columns, if any.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyzer.config import AnalysisConfig
from analyzer.data import Dataset
from analyzer.errors import ConfigError, DataError
from analyzer.explain import (
    Baseline,
    Explanation,
    PdpSettings,
    TextSettings,
    TextShapResult,
    auto_baseline,
    coerce_to,
    explain,
    global_values,
    local_lines,
    text_kernel_shap,
    text_kernel_shap_section,
    text_settings,
)
from analyzer.output import OutputWriter

log = logging.getLogger("analyzer.explain")

LOCAL_TEXT_FILE = "explanations_shap/out.jsonl"


def text_columns(features: pd.DataFrame) -> list[str]:
    """Columns of strings that are not all numbers (a CSV number column is numeric already)."""
    out = []
    for c in features.columns:
        s = features[c]
        if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            continue
        values = s.dropna()
        if len(values) and pd.to_numeric(values, errors="coerce").notna().all():
            continue
        out.append(str(c))
    return out


def _baseline(rows: pd.DataFrame | None, features: pd.DataFrame, text: list[str], num_clusters: int | None,
              seed: int | None) -> Baseline:
    if rows is not None:
        rows = rows.copy()
        for c in text:  # replacement strings stay strings ("" when missing)
            rows[c] = rows[c].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
        tab = [c for c in features.columns if c not in text]
        if tab:
            rows[tab] = coerce_to(rows[tab], features[tab], source="methods.shap.baseline")
        return Baseline(rows, np.full(len(rows), 1.0 / len(rows)))
    tab = [c for c in features.columns if c not in text]
    if tab:
        base = auto_baseline(features[tab], num_clusters, seed)
        frame, weights = base.rows.reset_index(drop=True), base.weights
    else:
        frame, weights = pd.DataFrame(index=range(1)), np.ones(1)
    for c in text:
        frame[c] = ""
    return Baseline(frame[list(features.columns)], weights)


@dataclass
class TextExplanationResult:
    """Same interface as :class:`analyzer.stages.explanations.ExplanationResult` for the job and reports."""

    result: TextShapResult
    settings: TextSettings
    agg_method: str
    labels: list[str] | None
    dataset: Dataset
    baseline: Baseline
    save_local: bool
    explanation: Explanation  # PDP only (kernel_shap None: the report's tabular plots do not apply)

    def section(self) -> dict:
        shap = text_kernel_shap_section(self.result, agg_method=self.agg_method, labels=self.labels,
                                        max_top_tokens=self.settings.max_top_tokens)
        out: dict = {"kernel_shap": shap}
        if self.explanation.pdp is not None:
            out["pdp"] = self.explanation.pdp
        return out

    def local_values(self) -> None:
        return None  # text values are not a table: out.jsonl

    def write(self, writer: OutputWriter) -> None:
        from analyzer.stages.explanations import BASELINE_FILE

        writer.write_csv(BASELINE_FILE, self.baseline.rows)
        if not self.save_local:
            return
        join = self.dataset.join_column
        values = self.dataset.frame[join].tolist() if join else None
        lines = local_lines(self.result, self.dataset.feature_frame(), values)
        writer.write_text(LOCAL_TEXT_FILE, "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
        log.info("Wrote %d local explanations to: %s", len(lines), writer.output_dir / LOCAL_TEXT_FILE)


def run_text_explanations(config: AnalysisConfig, dataset: Dataset, predict, baseline_rows: pd.DataFrame | None,
                          labels: list[str] | None, max_rows_per_call: int) -> TextExplanationResult:
    shap = config.methods.shap
    assert shap is not None
    settings = text_settings(dict(shap.text_config or {}))
    features = dataset.feature_frame()
    text = text_columns(features)
    if not text:
        raise DataError("methods.shap.text_config is set but no feature column holds text; features are "
                        f"{list(map(str, features.columns))}.")
    log.info("Text features: %s (granularity %s, language %s)", text, settings.granularity, settings.language)
    base = _baseline(baseline_rows, features, text, shap.num_clusters, shap.seed)
    result = text_kernel_shap(predict, features, base.rows, text, settings, baseline_weights=base.weights,
                              num_samples=shap.num_samples, seed=shap.seed, use_logit=shap.use_logit,
                              max_rows_per_call=max_rows_per_call)
    pdp = None
    if config.methods.pdp is not None:
        pdp = _pdp(config, predict, features, result, text, labels, max_rows_per_call)
    return TextExplanationResult(result, settings, shap.agg_method, labels, dataset, base,
                                 shap.save_local_shap_values, pdp or Explanation(shap_settings=None))


def _pdp(config: AnalysisConfig, predict, features: pd.DataFrame, result: TextShapResult, text: list[str],
         labels: list[str] | None, max_rows_per_call: int) -> Explanation:
    """PDP of the listed features, or of the top tabular features by global SHAP (never of text)."""
    p = config.methods.pdp
    assert p is not None
    chosen = list(p.features) if p.features is not None else None
    if chosen is None:
        agg = config.methods.shap.agg_method if config.methods.shap is not None else "mean_abs"
        glob = np.abs(global_values(result.tabular_values, agg)).sum(axis=1)
        top = np.argsort(-glob, kind="stable")[: p.top_k_features]
        chosen = [result.tabular_features[i] for i in top]
    if any(str(f) in text for f in chosen):
        raise ConfigError(f"methods.pdp.features: partial dependence is not defined for text features {text}.")
    if not chosen:
        return Explanation(shap_settings=None, pdp=[])
    settings = PdpSettings(features=chosen, grid_resolution=p.grid_resolution, top_k_features=p.top_k_features,
                           label_names=labels, max_rows_per_call=max_rows_per_call)
    return explain(predict, features, pdp=settings)
