"""Model predictions: one ``Predictor`` protocol, Clarify's request/response codecs, batching by
payload size with retries and concurrency, and four backends (SageMaker shadow endpoint, existing
endpoint, local model container, any HTTP server) plus a model file loaded in process, each always
torn down. ``model_files`` is how ``model_data`` becomes local files (S3, ``.tar.gz``)."""
from typing import TYPE_CHECKING

from analyzer.predictor.codecs import check_response, request_codec, response_codec, response_settings

if TYPE_CHECKING:  # the names the lazy lookup below hands out, for the type checker
    from analyzer.predictor.base import InProcessPredictor, ModelOutput, Predictor, predicted_labels
    from analyzer.predictor.batching import concatenate_outputs
    from analyzer.predictor.bulk import frame_csv, write_frame_csv
    from analyzer.predictor.container_backend import model_files
    from analyzer.predictor.forecast import ForecastRecord, forecast_codecs, open_forecaster, record_frame
    from analyzer.predictor.image_codecs import CLASSIFICATION, DETECTION, image_frame
    from analyzer.predictor.session import open_predictor

_LAZY = {"InProcessPredictor": "base", "ModelOutput": "base", "Predictor": "base", "predicted_labels": "base",
         "model_files": "container_backend", "open_predictor": "session",
         "ForecastRecord": "forecast", "forecast_codecs": "forecast", "open_forecaster": "forecast",
         "record_frame": "forecast", "frame_csv": "bulk", "write_frame_csv": "bulk", "concatenate_outputs": "batching",
         "CLASSIFICATION": "image_codecs", "DETECTION": "image_codecs", "image_frame": "image_codecs"}


def __getattr__(name: str) -> object:
    """Backends (pandas, boto3) are imported when first used: ``analyzer validate`` checks a
    config's codecs with ``request_codec``/``response_settings`` alone."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"analyzer.predictor.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CLASSIFICATION", "DETECTION", "check_response", "concatenate_outputs", "frame_csv", "write_frame_csv",
           "image_frame",
           "ForecastRecord", "forecast_codecs", "open_forecaster", "record_frame",
           "InProcessPredictor", "ModelOutput", "Predictor", "model_files", "open_predictor", "predicted_labels",
           "request_codec", "response_codec", "response_settings"]
