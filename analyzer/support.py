"""What this analyzer can run: the refusals ``run`` makes from the config alone, in one place, so
that ``analyzer validate`` reports exactly what ``analyzer run`` would refuse, with the same words.

A config can be valid for Clarify (schema and cross-field checks in :mod:`analyzer.config`) and
still be refused here: a dataset type without a reader, time series mixed with other methods, images
without image explanations, or model request and response settings that cannot work (templates,
content and accept types).
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


def _images(config: AnalysisConfig) -> list[str]:
    """Images are read for image explanations only, and image explanations need images."""
    from analyzer.formats import IMAGE

    shap = config.methods.shap
    image_config = shap.image_config if shap is not None else None
    is_image = config.dataset_type.lower() == IMAGE
    if image_config is not None and not is_image:
        return [f"methods.shap.image_config: image explanations need dataset_type {IMAGE}, not "
                f"{config.dataset_type}."]
    if not is_image:
        return []
    methods = config.methods
    other = [name for name, on in (("pre_training_bias", methods.pre_training_bias), ("pdp", methods.pdp),
                                   ("post_training_bias", methods.post_training_bias)) if on is not None]
    problems = []
    if other or image_config is None:
        problems.append(f"dataset_type: {IMAGE} is not supported by this analyzer for "
                        f"{', '.join('methods.' + o for o in other) or 'methods.shap without image_config'}; "
                        "images are explained with methods.shap.image_config only.")
    if image_config is not None and str(image_config.get("feature_extraction_method", "segmentation")).lower() \
            != "segmentation":
        problems.append("methods.shap.image_config.feature_extraction_method: only 'segmentation' is supported.")
    if shap is not None and shap.text_config is not None:
        problems.append("methods.shap: text_config and image_config cannot be combined.")
    if config.segment_config:
        problems.append("segment_config: segments are groups of rows; not supported for images.")
    return problems


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
    from analyzer.predictor import check_response, request_codec   # no pandas, numpy (but for images)

    problems = []
    for build in (lambda: request_codec(config, _feature_names(config)), lambda: check_response(config)):
        try:
            build()
        except ConfigError as exc:
            problems.append(exc.message)
    return problems


CHECKS: tuple[Callable[[AnalysisConfig], list[str]], ...] = (_dataset_type, _time_series, _images,
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
