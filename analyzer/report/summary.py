"""The report context from the analysis result: the effective config in brief and a dataset summary.

A pure function of what the job computed: the bias stages' :class:`~analyzer.bias.BiasResult`
(groups, positive label, model performance and label distribution of exactly the rows
analysis.json describes), the explanation values and a few counts. Nothing here reads the dataset
or recomputes a statistic.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Sequence

import pandas as pd

from analyzer.bias import BiasResult
from analyzer.config import AnalysisConfig
from analyzer.report.context import DatasetSummary, ReportContext


def summarize_dataset(bias: Sequence[BiasResult], rows: int, features: int) -> DatasetSummary:
    """Rows, label distribution and, per facet group, share of rows and positive rates; with
    predictions also the confusion fractions and the model performance over all rows. The
    post-training stage's groups are preferred: they hold the label rates too."""
    if not bias:
        return DatasetSummary(rows=rows, features=features, label=None, positive_label=None)
    main = next((b for b in bias if b.stage == "post_training"), bias[0])
    return DatasetSummary(
        rows=main.rows, features=features, label=main.label, positive_label=main.positive_label,
        label_distribution=main.label_distribution, groups=main.groups, performance=main.performance,
    )


def _brief(value: Any, limit: int = 120) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _selected(bias: Sequence[BiasResult]) -> tuple[str | None, list[list[str]]]:
    """(positive label text, the value_or_threshold texts of each configured facet, in config order)."""
    if not bias:
        return None, []
    facets = bias[0].section.get("facets") or {}
    texts = [[str(e.get("value_or_threshold")) for e in entries] for entries in facets.values()]
    return bias[0].positive_label, texts


def _facet_line(configured: Any, texts: list[str] | None) -> str:
    """What a facet selects, as the metrics name it: ``40 → (40, 90]`` rather than a bare ``40``."""
    if not configured:
        shown = f"every value, one against the rest ({len(texts)} groups)" if texts else "every value"
        return shown
    values = _brief(configured)
    if texts and len(texts) == 1 and texts[0] != values:
        return f"{values} → {_brief(texts[0])}"
    return values


def config_summary(config: AnalysisConfig, bias: Sequence[BiasResult] = ()) -> tuple[tuple[str, str], ...]:
    """The effective config in brief: what was analysed and how, one line per key that is set. With
    the bias results, thresholds are shown with the interval they selected."""
    positive, facet_texts = _selected(bias)
    lines: list[tuple[str, str]] = [("dataset_type", config.dataset_type)]
    if config.label is not None:
        lines.append(("label", _brief(config.label)))
    if config.label_values_or_threshold:
        values = _brief(config.label_values_or_threshold)
        lines.append(("label_values_or_threshold", values if positive in (None, values) else f"{values} → {positive}"))
    for i, facet in enumerate(config.facet):
        texts = facet_texts[i] if i < len(facet_texts) else None
        lines.append((f"facet[{i}]", f"{facet.name_or_index}: {_facet_line(facet.value_or_threshold, texts)}"))
    if config.group_variable is not None:
        lines.append(("group_variable", _brief(config.group_variable)))
    if config.predicted_label is not None:
        lines.append(("predicted_label", _brief(config.predicted_label)))
    methods = config.methods
    if methods.pre_training_bias is not None:
        lines.append(("pre_training_bias", _brief(methods.pre_training_bias)))
    if methods.post_training_bias is not None:
        lines.append(("post_training_bias", _brief(methods.post_training_bias)))
        lines.append(("probability_threshold", str(config.probability_threshold)))
    if methods.shap is not None:
        shap = methods.shap
        lines.append(("shap", f"num_samples={shap.num_samples}, agg_method={shap.agg_method}, "
                              f"use_logit={shap.use_logit}, save_local_shap_values={shap.save_local_shap_values}"))
    if methods.pdp is not None:
        pdp = methods.pdp
        features = _brief(pdp.features) if pdp.features else f"top {pdp.top_k_features} by SHAP"
        lines.append(("pdp", f"grid_resolution={pdp.grid_resolution}, features: {features}"))
    predictor = config.predictor
    if predictor is not None:
        target = (predictor.endpoint_name or predictor.model_name or predictor.endpoint_url
                  or predictor.image_uri or "")
        lines.append(("predictor", _brief(target) or "configured"))
    return tuple(lines)


def build_context(config_lines: Sequence[tuple[str, str]] = (), bias: Sequence[BiasResult] = (), *,
                  rows: int = 0, features: int = 0, local_shap: pd.DataFrame | None = None,
                  local_features: pd.DataFrame | None = None, shap_warnings: Sequence[str] = (),
                  generated: str | None = None) -> ReportContext:
    """Everything :func:`analyzer.report.write_reports` needs besides the analysis document, from the
    job's results only: ``config_lines`` (:func:`config_summary`), the bias stages' results, the
    dataset's row and feature counts, and the explanation values."""
    if generated is None:
        generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    warnings = tuple(dict.fromkeys(w for result in bias for w in result.warnings))
    return ReportContext(
        generated=generated,
        config_summary=tuple(config_lines),
        dataset=summarize_dataset(bias, rows, features) if bias or rows else None,
        local_shap=local_shap,
        local_features=local_features,
        shap_warnings=tuple(shap_warnings),
        bias_warnings=warnings,
    )
