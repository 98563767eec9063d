"""The report context from a config and a loaded dataset: effective config in brief, dataset summary.

Only counts and fractions leave this module. Positive labels, facet groups, per-group statistics
and model performance come from :mod:`analyzer.bias` (Clarify's basic stats), so the report's
groups are exactly the ones analysis.json reports.
"""
from __future__ import annotations

import datetime as _dt
import logging
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Iterator

import pandas as pd

from analyzer.bias import FacetSpec
from analyzer.bias.report import facet_entries, resolve
from analyzer.bias.stats import facet_stats, model_performance_report
from analyzer.config.model import AnalysisConfig
from analyzer.data import Dataset
from analyzer.report.context import DatasetSummary, GroupStats, ModelPerformance, ReportContext

MAX_LABELS = 10


def _facet_specs(config: AnalysisConfig, dataset: Dataset) -> list[FacetSpec]:
    return [FacetSpec(name=name, values=f.value_or_threshold, data_type=f.data_type)
            for name, f in zip(dataset.facets, config.facet)]


@contextmanager
def _bias_warnings_already_logged() -> Iterator[None]:
    """The bias stage has logged its inference warnings once; recomputing groups must not repeat them."""
    logger = logging.getLogger("analyzer.bias")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _groups(config: AnalysisConfig, dataset: Dataset, predicted: str | None) -> tuple[str | None, tuple[GroupStats, ...]]:
    """(positive label text, one GroupStats per facet value), by the bias metrics' own rules, so
    the report's groups are exactly the ones analysis.json describes."""
    frame, label_values = dataset.frame, list(config.label_values_or_threshold or ())
    if dataset.label is None or not label_values or not dataset.facets:
        return None, ()
    stage = "post_training" if predicted is not None else "pre_training"
    specs = _facet_specs(config, dataset)
    resolved, kinds = resolve(frame, stage=stage, label=dataset.label, label_values=label_values, facets=specs,
                              predicted_label=predicted, label_data_type=config.label_data_type)
    groups = []
    for spec, kind in zip(specs, kinds):
        for text, g in facet_entries(frame, resolved, spec, kind):
            values = {m["name"]: m["value"] for m in facet_stats(g)}
            confusion = values.get("confusion_matrix")
            groups.append(GroupStats(
                facet=spec.name, group=text, rows=int(g.n_d), proportion=values["proportion"],
                positive_label_rate=values["observed_label_distribution"][0],
                confusion=tuple(confusion) if confusion is not None else None))
    positive = resolved.label.text or f"none (the threshold {label_values[0]} selects no rows)"
    return positive, tuple(groups)


def _performance(config: AnalysisConfig, dataset: Dataset, predicted: str) -> ModelPerformance:
    report = model_performance_report(dataset.frame, label=dataset.label, predicted_label=predicted,
                                      label_values=list(config.label_values_or_threshold or ()),
                                      label_data_type=config.label_data_type)
    return ModelPerformance(metrics=tuple((m["name"], m["value"]) for m in report["model_performance_metrics"]),
                            confusion=tuple(report["binary_confusion_matrix"]))


def summarize_dataset(config: AnalysisConfig, dataset: Dataset,
                      predicted_labels: pd.Series | None = None) -> DatasetSummary:
    """Rows, label distribution, and per facet group: share of rows, positive-label rate and,
    with predictions, the confusion fractions; model performance over all rows."""
    frame = dataset.frame
    predicted = None
    if predicted_labels is not None and dataset.label is not None:
        predicted = "__report_predicted_label__"
        frame = frame.assign(**{predicted: predicted_labels.to_numpy()})
        dataset = replace(dataset, frame=frame, predicted_label=predicted)
    distribution: tuple[tuple[str, int], ...] = ()
    if dataset.label is not None:
        counts = frame[dataset.label].value_counts(dropna=False)
        distribution = tuple((str(k), int(v)) for k, v in counts.iloc[:MAX_LABELS].items())
    with _bias_warnings_already_logged():
        positive, groups = _groups(config, dataset, predicted)
        performance = _performance(config, dataset, predicted) if predicted and positive is not None else None
    return DatasetSummary(
        rows=len(frame), features=len(dataset.features), label=dataset.label, positive_label=positive,
        label_distribution=distribution, groups=groups, performance=performance,
    )


def _brief(value: Any, limit: int = 120) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def config_summary(config: AnalysisConfig) -> tuple[tuple[str, str], ...]:
    """The effective config in brief: what was analysed and how, one line per key that is set."""
    lines: list[tuple[str, str]] = [("dataset_type", config.dataset_type)]
    if config.label is not None:
        lines.append(("label", _brief(config.label)))
    if config.label_values_or_threshold:
        lines.append(("label_values_or_threshold", _brief(config.label_values_or_threshold)))
    for i, facet in enumerate(config.facet):
        values = _brief(facet.value_or_threshold) if facet.value_or_threshold else "every value"
        lines.append((f"facet[{i}]", f"{facet.name_or_index} ({values})"))
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


def build_context(config: AnalysisConfig, dataset: Dataset | None = None, *,
                  predicted_labels: pd.Series | None = None, local_shap: pd.DataFrame | None = None,
                  local_features: pd.DataFrame | None = None, shap_warnings: Sequence[str] = (),
                  generated: str | None = None) -> ReportContext:
    """Everything :func:`analyzer.report.write_reports` needs besides the analysis document."""
    if generated is None:
        generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return ReportContext(
        generated=generated,
        config_summary=config_summary(config),
        dataset=summarize_dataset(config, dataset, predicted_labels) if dataset is not None else None,
        local_shap=local_shap,
        local_features=local_features,
        shap_warnings=tuple(shap_warnings),
    )
