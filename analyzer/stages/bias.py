"""The bias stage: config + dataset → one ``*_bias_metrics`` section of analysis.json, with the
statistics of the same groups (:class:`~analyzer.bias.BiasResult`) for the report and the verdict."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from analyzer.bias import BiasResult, FacetSpec, Stage
from analyzer.bias import run_bias as compute_bias
from analyzer.config import AnalysisConfig
from analyzer.data import Dataset
from analyzer.errors import AnalysisError, ConfigError


def run_bias(config: AnalysisConfig, dataset: Dataset, stage: Stage, methods: Sequence[str],
             weights: np.ndarray | None = None, ft_rows: tuple[pd.DataFrame, np.ndarray] | None = None) -> BiasResult:
    """The result for ``stage``; post-training reads the predicted labels the dataset carries.

    ``weights`` and ``ft_rows``: the dataset holds distinct rows, counted (see
    :func:`analyzer.bias.run_bias` and :mod:`analyzer.stages.chunked`)."""
    if dataset.label is None:  # the config checks require it for bias; this keeps the types honest
        raise ConfigError("label: required for bias metrics.")
    facets = [FacetSpec(name=name, values=f.value_or_threshold, data_type=f.data_type)
              for name, f in zip(dataset.facets, config.facet, strict=True)]
    try:
        return _section(config, dataset, stage, methods, facets, weights, ft_rows)
    except AnalysisError as exc:  # Clarify's words first, then the columns, values seen and the fix
        from analyzer.diagnose import bias_failure

        raise AnalysisError(bias_failure(
            exc.message, dataset.frame, dataset.label, config.label_values_or_threshold or (),
            [(spec.name, spec.values) for spec in facets],
            dataset.predicted_label if stage == "post_training" else None, weights)) from None


def _section(config: AnalysisConfig, dataset: Dataset, stage: Stage, methods: Sequence[str],
             facets: list[FacetSpec], weights: np.ndarray | None,
             ft_rows: tuple[pd.DataFrame, np.ndarray] | None) -> BiasResult:
    assert dataset.label is not None
    return compute_bias(
        dataset.frame,
        stage=stage,
        label=dataset.label,
        label_values=list(config.label_values_or_threshold or ()),
        facets=facets,
        predicted_label=dataset.predicted_label if stage == "post_training" else None,
        group_variable=dataset.group_variable,
        methods=list(methods),
        label_data_type=config.label_data_type,
        ft_exclude=[c for c in (dataset.join_column,) if c],
        ft_encoding=config.methods.ft_encoding if stage == "post_training" else None,
        weights=weights,
        ft_rows=ft_rows,
    )
