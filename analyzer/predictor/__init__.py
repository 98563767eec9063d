"""Model predictions: one ``Predictor`` protocol, Clarify's request/response codecs, batching by
payload size with retries and concurrency, and four backends (SageMaker shadow endpoint, existing
endpoint, local model container, any HTTP server), each always torn down."""
from analyzer.predictor.base import InProcessPredictor, ModelOutput, Predictor, predicted_labels
from analyzer.predictor.codecs import request_codec, response_codec
from analyzer.predictor.session import open_predictor

__all__ = ["InProcessPredictor", "ModelOutput", "Predictor", "open_predictor", "predicted_labels", "request_codec",
           "response_codec"]
