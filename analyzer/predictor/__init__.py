"""Model predictions: one ``Predictor`` protocol, Clarify's request/response codecs, batching by
payload size with retries and concurrency, and four backends (SageMaker shadow endpoint, existing
endpoint, local model container, any HTTP server) plus a model file loaded in process, each always
torn down. ``model_files`` is how ``model_data`` becomes local files (S3, ``.tar.gz``)."""
from analyzer.predictor.base import InProcessPredictor, ModelOutput, Predictor, predicted_labels
from analyzer.predictor.codecs import request_codec, response_codec
from analyzer.predictor.container_backend import model_files
from analyzer.predictor.forecast import ForecastRecord, forecast_codecs, open_forecaster, record_frame
from analyzer.predictor.session import open_predictor

__all__ = ["ForecastRecord", "forecast_codecs", "open_forecaster", "record_frame",
           "InProcessPredictor", "ModelOutput", "Predictor", "model_files", "open_predictor", "predicted_labels",
           "request_codec", "response_codec"]
