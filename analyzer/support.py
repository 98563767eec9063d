"""What this analyzer can run: the refusals ``run`` makes from the config alone, in one place, so
that ``analyzer validate`` reports exactly what ``analyzer run`` would refuse, with the same words.

A config can be valid for Clarify (schema and cross-field checks in :mod:`analyzer.config`) and
still be refused here: a dataset type without a reader, image explanations, time series mixed with
other methods, or model request and response settings that cannot work (templates, content and accept types).
"""
from __future__ import annotations

import logging
import re
from typing import Callable

from analyzer.config import JSON, JSONLINES, AnalysisConfig
from analyzer.errors import ConfigError

log = logging.getLogger("sagemaker-clarify-processing")

_PLACEHOLDER = re.compile(r'"\$\{([^}]*)\}"')


def _dataset_type(config: AnalysisConfig) -> list[str]:
    from analyzer.formats import dataset_format

    try:
        dataset_format(config.dataset_type)   # the format table: every type with a reader
    except ConfigError as exc:
        return [exc.message]
    return []


def _explanation_kinds(config: AnalysisConfig) -> list[str]:
    unsupported = []
    shap = config.methods.shap
    if shap and shap.image_config:
        unsupported.append("image explanations (methods.shap.image_config)")
    return ["Not supported by this analyzer yet: " + "; ".join(unsupported) + "."] if unsupported else []


def _time_series(config: AnalysisConfig) -> list[str]:
    """Forecast explanations run alone (as the SDK builds them), with a request the model can take."""
    ts = config.time_series_data_config
    if ts is None:
        return []
    methods = config.methods
    others = [name for name, value in (("shap", methods.shap), ("pdp", methods.pdp),
                                       ("pre_training_bias", methods.pre_training_bias),
                                       ("post_training_bias", methods.post_training_bias)) if value is not None]
    if others or methods.asymmetric_shapley_value is None:
        return [f"time_series_data_config: runs only methods.asymmetric_shapley_value (time series explanations); "
                f"{'remove methods.' + ', methods.'.join(others) if others else 'add it'}."]
    from analyzer.predictor import forecast_codecs

    try:
        forecast_codecs(config, len(ts.get("related_time_series") or ()), len(ts.get("static_covariates") or ()))
    except ConfigError as exc:
        return [exc.message]
    return []


def _empty_selections(config: AnalysisConfig) -> list[str]:
    shap = config.methods.shap
    if shap is not None and shap.features_to_explain is not None and not shap.features_to_explain:
        from analyzer.explain import EMPTY_SELECTION

        return [EMPTY_SELECTION]
    return []


def _feature_names(config: AnalysisConfig) -> list[str]:
    """The model's input columns as far as the config tells: ``headers`` without the label,
    predicted label, join and excluded columns (tabular), or feature names first (JSON); without
    ``headers`` the record template's own placeholders stand in (only the data can tell)."""
    headers = list(config.headers or ())
    if not headers:
        return list(dict.fromkeys(_PLACEHOLDER.findall(config.predictor.record_template or ""))) \
            if config.predictor else []

    if config.dataset_type in (JSON, JSONLINES):  # Clarify's convention: features, then label, predicted label
        trailing = sum(isinstance(r, str) for r in (config.label, config.predicted_label))
        return headers[:len(headers) - trailing]

    def name(ref: object) -> object:
        return headers[ref] if isinstance(ref, int) and 0 <= ref < len(headers) else ref

    skip = {name(r) for r in (config.label, config.predicted_label, config.joinsource_name_or_index,
                              *config.excluded_columns) if r is not None}
    return [h for h in headers if h not in skip]


def _model_requests(config: AnalysisConfig) -> list[str]:
    """Request and response settings, checked by the very codecs the predictor builds."""
    if config.predictor is None or not (config.methods.needs_explanations or (
            config.methods.post_training_bias is not None and not config.has_predictions_in_data)):
        return []
    from analyzer.predictor import request_codec, response_codec

    problems = []
    for build in (lambda: request_codec(config, _feature_names(config)), lambda: response_codec(config)):
        try:
            build()
        except ConfigError as exc:
            problems.append(exc.message)
    return problems


CHECKS: tuple[Callable[[AnalysisConfig], list[str]], ...] = (_dataset_type, _explanation_kinds, _time_series,
                                                              _empty_selections, _model_requests)


def refusals(config: AnalysisConfig) -> list[str]:
    """Every reason ``run`` would refuse this (schema-valid) config before reading any data."""
    problems: list[str] = []
    for check in CHECKS:
        if problems and check is _model_requests:  # requests of a kind we refuse anyway are noise
            break
        problems.extend(check(config))
    return problems


def check_runnable(config: AnalysisConfig) -> None:
    """Raise the ConfigError ``run`` fails with; ``validate`` prints the same problems one by one."""
    problems = refusals(config)
    if problems:
        raise ConfigError(" ".join(problems))
