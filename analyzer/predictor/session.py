"""``open_predictor``: pick the backend the config names, wrap it in the shared batching predictor,
and guarantee teardown (endpoint deleted, container removed) however the block ends."""
from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Iterator, Sequence

from analyzer.config import PREDICTOR_SOURCES, AnalysisConfig, PredictorConfig
from analyzer.errors import ConfigError, EndpointError
from analyzer.runtime import usable_cpus
from analyzer.predictor import sagemaker_backend
from analyzer.predictor.base import Predictor
from analyzer.predictor.batching import (
    DEFAULT_MAX_PAYLOAD_MB,
    DEFAULT_MAX_RETRIES,
    DEFAULT_REQUEST_TIMEOUT,
    MB,
    BatchSettings,
    RemotePredictor,
)
from analyzer.predictor.codecs import request_codec, response_codec
from analyzer.predictor.transport import RetryPolicy, Transport

log = logging.getLogger("analyzer.predictor.predictor")


def local_concurrency() -> int:
    """Requests in flight for a model on this host or reached by URL: two per CPU of this host (one the
    model works on, one being encoded or decoded), at least 4, at most 16. One in flight leaves the
    model idle between requests (4-5x slower, bench/RESULTS.md "Requests in flight"); more than the
    model can work on only queue."""
    return min(16, max(4, 2 * usable_cpus()))


def _local_model(predictor: PredictorConfig) -> tuple[str, str, dict[str, str]]:
    """SDK local mode: image and model data of ``model_name`` from DescribeModel."""
    sm = sagemaker_backend._client("sagemaker")
    try:
        described = sm.describe_model(ModelName=predictor.model_name)
    except sagemaker_backend._AWS_ERRORS as exc:
        raise EndpointError(f"predictor.model_name: cannot use model '{predictor.model_name}': "
                            f"{sagemaker_backend._aws_message(exc)}") from None
    container = described.get("PrimaryContainer") or (described.get("Containers") or [{}])[0]
    image, data = container.get("Image"), container.get("ModelDataUrl")
    if not image or not data:
        raise EndpointError(f"predictor.model_name: model '{predictor.model_name}' has no PrimaryContainer "
                            "Image and ModelDataUrl to run locally.")
    return image, data, dict(container.get("Environment") or {})


@contextmanager
def _backend(predictor: PredictorConfig, timeout: float, concurrency: int) -> Iterator[tuple[Transport, int]]:
    """(transport, suggested concurrency) for the predictor keys given."""
    from analyzer.predictor.http_backend import sagemaker_headers

    headers = sagemaker_headers(predictor)  # custom_attributes / target_model, for every HTTP backend
    if predictor.endpoint_url:
        from analyzer.predictor.http_backend import http_endpoint
        with http_endpoint(predictor.endpoint_url, timeout=timeout, headers=headers) as transport:
            yield transport, local_concurrency()
    elif predictor.image_uri:
        from analyzer.predictor.container_backend import model_container
        if not predictor.model_data:
            raise ConfigError("predictor.model_data: required with predictor.image_uri.")
        with model_container(predictor.image_uri, predictor.model_data, timeout=timeout,
                             headers=headers) as transport:
            yield transport, local_concurrency()
    elif predictor.endpoint_name:
        with sagemaker_backend.existing_endpoint(predictor, timeout=timeout, concurrency=concurrency) as transport:
            yield transport, 2 * (transport.instance_count or 2)
    elif predictor.model_name and (predictor.instance_type or "").lower() == "local":
        from analyzer.predictor.container_backend import model_container
        image, data, environment = _local_model(predictor)
        with model_container(image, data, timeout=timeout, environment=environment,
                             headers=headers) as transport:
            yield transport, local_concurrency()
    elif predictor.model_name:
        with sagemaker_backend.shadow_endpoint(predictor, timeout=timeout, concurrency=concurrency) as transport:
            yield transport, 2 * (predictor.initial_instance_count or 1)
    else:
        raise ConfigError(f"predictor: give one of {', '.join(PREDICTOR_SOURCES)} to get predictions from a model.")


def open_predictor(config: AnalysisConfig, *, feature_names: Sequence[str]) -> AbstractContextManager[Predictor]:
    """A predictor for ``config.predictor``; entering creates/starts the model, exiting always
    deletes/stops it (also on errors and SIGTERM, which the CLI raises as ``Interrupted``).

    ``feature_names`` are the frame columns predict() will get, in order (record templates use them).
    """
    if config.predictor is None:
        raise ConfigError("predictor: required to get predictions from a model.")
    response = response_codec(config)
    if config.predictor.in_process:
        return _in_process(config, response)
    request = request_codec(config, feature_names)     # template errors before anything starts
    return _session(config.predictor, request, response)


@contextmanager
def _in_process(config: AnalysisConfig, response: Any) -> Iterator[Predictor]:
    from analyzer.formats import IMAGE
    from analyzer.models import load_model
    from analyzer.predictor.inprocess_backend import ModelFilePredictor

    predictor = config.predictor
    assert predictor is not None
    if not predictor.model_data:
        raise ConfigError("predictor.model_data: required with predictor.in_process.")
    began = time.monotonic()
    model = load_model(predictor.model_data, model_format=predictor.model_format,
                       allow_pickle=predictor.allow_pickle)
    log.info("Loaded %s model %s in process in %.1f s", model.kind, model.name, time.monotonic() - began)
    if config.dataset_type.lower() == IMAGE:   # the model takes each image's pixels as one row
        from analyzer.predictor.image_codecs import PixelPredictor, image_request_codec
        yield PixelPredictor(ModelFilePredictor(model, response), image_request_codec(config).content_type)
        return
    yield ModelFilePredictor(model, response)


@contextmanager
def _session(predictor: PredictorConfig, request: Any, response: Any) -> Iterator[Predictor]:
    timeout = float(predictor.request_timeout_seconds or DEFAULT_REQUEST_TIMEOUT)
    with _backend(predictor, timeout, predictor.max_concurrency or 0) as (transport, suggested):
        settings = BatchSettings(
            max_payload_bytes=int((predictor.max_payload_mb or DEFAULT_MAX_PAYLOAD_MB) * MB),
            max_concurrency=predictor.max_concurrency or suggested,
            retry=RetryPolicy(max_retries=DEFAULT_MAX_RETRIES if predictor.max_retries is None
                              else predictor.max_retries),
        )
        remote = RemotePredictor(transport, request, response, settings)
        began = time.monotonic()
        try:
            yield remote
        finally:
            seconds = time.monotonic() - began
            log.info(remote.stats_line(seconds))
            log.info(remote.idle_line(seconds))
