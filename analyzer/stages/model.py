"""The model for a job: one predictor session when something needs it, and the predicted labels
post-training bias runs on (from the data, or from the model)."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterator

from analyzer.config import AnalysisConfig
from analyzer.data import Dataset
from analyzer.errors import EndpointError
from analyzer.labels import predicted_labels_from_column

if TYPE_CHECKING:  # the predictor package is imported when a job needs a model
    from analyzer.predictor import Predictor

log = logging.getLogger("sagemaker-clarify-processing")


def _with_predictions(dataset: Dataset, column: str, labels: Any) -> Dataset:
    return replace(dataset, frame=dataset.frame.assign(**{column: labels}), predicted_label=column)


def with_predicted_labels(config: AnalysisConfig, dataset: Dataset, predictor: Predictor | None) -> Dataset:
    """Post-training bias needs a predicted label per row: from the data, or from the model."""
    if dataset.predicted_label is None:
        if predictor is None:
            raise EndpointError("Post-training bias needs predictions: give predictor, or put them in the data "
                                "('predicted_label' or 'predicted_label_dataset_uri').")
        from analyzer.predictor import predicted_labels

        log.info("Getting predictions from the endpoint")
        output = predictor.predict(dataset.feature_frame())
        column = "predicted_label"
        while column in dataset.frame.columns:  # never overwrite a data column
            column = f"_{column}"
        return _with_predictions(dataset, column, predicted_labels(output, config))
    column = dataset.predicted_label
    labels = predicted_labels_from_column(dataset.frame[column], config.probability_threshold)
    return dataset if labels is dataset.frame[column] else _with_predictions(dataset, column, labels)


def needs_model(config: AnalysisConfig, dataset: Dataset) -> bool:
    methods = config.methods
    return methods.needs_explanations or (methods.post_training_bias is not None and dataset.predicted_label is None)


@contextmanager
def model_session(config: AnalysisConfig, dataset: Dataset) -> Iterator[Predictor | None]:
    """One predictor session for everything that needs the model; none when nothing does."""
    if not needs_model(config, dataset):
        yield None
        return
    from analyzer.predictor import open_predictor

    with open_predictor(config, feature_names=dataset.features) as predictor:
        yield predictor
