"""SageMaker endpoints: a shadow endpoint created from ``model_name`` (and always deleted), or an
existing ``endpoint_name`` (never created or deleted). Invocations go through sagemaker-runtime.

boto3 honours AWS_ENDPOINT_URL_SAGEMAKER / AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME, so the same code
talks to AWS, to moto in tests, or to any compatible service.
"""
from __future__ import annotations

import logging
import secrets
import sys
import time
from contextlib import contextmanager
from typing import Any, Iterator

import boto3
import botocore.config
import botocore.exceptions

from analyzer.config import PredictorConfig
from analyzer.errors import EndpointError
from analyzer.predictor.cleanup import deferred_signals
from analyzer.predictor.transport import ModelFault, PayloadTooLarge, Retryable

log = logging.getLogger("analyzer.predictor.managed_endpoint")

DEFAULT_PREFIX = "sm-clarify"
ENDPOINT_WAIT_SECONDS = 1800.0       # how long a shadow endpoint may take to come InService
POLL_SECONDS = 15.0                  # DescribeEndpoint interval while waiting
DELETE_RETRY_SECONDS = 60.0
LEGEND = "Legend: (OutOfService: x, Creating: -, Updating: -, InService: !, RollingBack: <, Deleting: o, Failed: *)"
_STATUS_MARK = {"OutOfService": "x", "Creating": "-", "Updating": "-", "SystemUpdating": "-", "InService": "!",
                "RollingBack": "<", "Deleting": "o", "Failed": "*"}
_AWS_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


def shadow_names(model_name: str, prefix: str | None, now: float | None = None) -> tuple[str, str]:
    """(endpoint config name, endpoint name) as Clarify makes them: ``sm-clarify-config-<epoch>-<hex4>``
    and ``<prefix>-<model>`` cut to 47 characters, then ``-<epoch>-<hex4>`` (at most 63)."""
    epoch = int(time.time() if now is None else now)
    config_name = f"sm-clarify-config-{epoch}-{secrets.token_hex(2)}"
    endpoint_name = f"{(prefix or DEFAULT_PREFIX)}-{model_name}"[:47] + f"-{epoch}-{secrets.token_hex(2)}"
    return config_name, endpoint_name


def _client(service: str, **config: Any) -> Any:
    try:
        return boto3.client(service, config=botocore.config.Config(**config) if config else None)
    except botocore.exceptions.NoRegionError:
        raise EndpointError("No AWS region is set for the SageMaker endpoint; set AWS_REGION or "
                            "AWS_DEFAULT_REGION.") from None


def _aws_message(exc: Exception) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}"
    return str(exc)


class SageMakerRuntimeTransport:
    """InvokeEndpoint with ContentType, Accept, CustomAttributes and TargetModel; errors typed."""

    def __init__(self, endpoint_name: str, predictor: PredictorConfig, *, timeout: float, concurrency: int) -> None:
        self.endpoint_name = endpoint_name
        self.description = f"endpoint '{endpoint_name}'"
        self.instance_count: int | None = None
        # Our own retry layer decides; botocore makes one attempt per call.
        self._client = _client("sagemaker-runtime", read_timeout=timeout, connect_timeout=min(timeout, 20),
                               retries={"total_max_attempts": 1}, max_pool_connections=max(10, concurrency))
        self._extra = {k: v for k, v in (("CustomAttributes", predictor.custom_attributes),
                                         ("TargetModel", predictor.target_model)) if v}

    def invoke(self, body: bytes, content_type: str, accept: str) -> bytes:
        try:
            response = self._client.invoke_endpoint(EndpointName=self.endpoint_name, Body=body,
                                                    ContentType=content_type, Accept=accept, **self._extra)
            return response["Body"].read()
        except botocore.exceptions.ClientError as exc:
            raise self._classify(exc) from None
        except (botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectTimeoutError,
                botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError) as exc:
            raise Retryable(str(exc)) from None

    def _classify(self, exc: botocore.exceptions.ClientError) -> Exception:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", ""), error.get("Message", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        original = exc.response.get("OriginalStatusCode")
        text = f"{code}: {message}"
        if status == 413 or original == 413 or "too large" in message.lower():
            return PayloadTooLarge(text)
        if code in ("ThrottlingException", "ModelNotReadyException", "ServiceUnavailable", "InternalFailure") \
                or status in (429, 502, 503, 504) or (status >= 500 and code != "ModelError"):
            return Retryable(text)
        if code == "ModelError" or status in (400, 424):
            if code == "ValidationException" and "not found" in message.lower():
                return EndpointError(f"{self.description}: {text}")
            return ModelFault(text, transient=not isinstance(original, int) or original >= 500)
        return EndpointError(f"{self.description} refused the request: {text}")

    def close(self) -> None:
        self._client.close()


def _status(sm: Any, name: str) -> dict[str, Any]:
    try:
        return sm.describe_endpoint(EndpointName=name)
    except _AWS_ERRORS as exc:
        raise EndpointError(f"Cannot describe endpoint '{name}': {_aws_message(exc)}") from None


def _wait_in_service(sm: Any, name: str, timeout: float) -> None:
    log.info("Waiting for endpoint ...")
    log.info("Checking endpoint status:")
    log.info(LEGEND)
    began = time.monotonic()
    marks = []
    while True:
        described = _status(sm, name)
        status = described.get("EndpointStatus", "")
        marks.append(_STATUS_MARK.get(status, "?"))
        if status == "InService":
            log.info("%s", "".join(marks))
            log.info("Endpoint is in service after %d seconds", time.monotonic() - began)
            log.info("Endpoint ready.")
            return
        if status in ("Failed", "OutOfService"):
            raise EndpointError(f"Endpoint '{name}' is {status}: {described.get('FailureReason', 'no reason given')}")
        if time.monotonic() - began > timeout:
            raise EndpointError(f"Endpoint '{name}' is still {status} after {timeout:.0f} seconds; giving up.")
        time.sleep(POLL_SECONDS)


def _delete(what: str, call: Any, name: str) -> str | None:
    """Delete one resource, retrying while it is busy (e.g. still Creating); the error text if it stays."""
    deadline = time.monotonic() + DELETE_RETRY_SECONDS
    while True:
        try:
            call(name)
            return None
        except _AWS_ERRORS as exc:
            text = _aws_message(exc)
            if "could not find" in text.lower() or "does not exist" in text.lower():
                return None
            if time.monotonic() > deadline:
                log.error("Could not delete %s %s: %s. Delete it yourself to stop paying for it.", what, name, text)
                return f"{what} {name}: {text}"
            time.sleep(min(5.0, POLL_SECONDS))


@contextmanager
def shadow_endpoint(predictor: PredictorConfig, *, timeout: float,
                    concurrency: int) -> Iterator[SageMakerRuntimeTransport]:
    """Create an endpoint config and endpoint from ``model_name``, yield its transport, delete both."""
    sm = _client("sagemaker")
    model = predictor.model_name
    assert model is not None
    log.info("Spinning up shadow endpoint")
    try:
        sm.describe_model(ModelName=model)  # fail early and clearly when the model does not exist
    except _AWS_ERRORS as exc:
        raise EndpointError(f"predictor.model_name: cannot use model '{model}': {_aws_message(exc)}") from None
    config_name, endpoint_name = shadow_names(model, predictor.endpoint_name_prefix)
    variant: dict[str, Any] = {"VariantName": "AllTraffic", "ModelName": model,
                               "InitialInstanceCount": predictor.initial_instance_count or 1,
                               "InstanceType": predictor.instance_type}
    if predictor.accelerator_type:
        variant["AcceleratorType"] = predictor.accelerator_type
    created: list[str] = []
    transport = None
    try:
        log.info("Creating endpoint-config with name %s", config_name)
        _call(sm.create_endpoint_config, "endpoint config", config_name,
              EndpointConfigName=config_name, ProductionVariants=[variant])
        created.append("config")
        log.info("Creating endpoint: '%s'", endpoint_name)
        _call(sm.create_endpoint, "endpoint", endpoint_name, EndpointName=endpoint_name, EndpointConfigName=config_name)
        created.append("endpoint")
        log.info("Using endpoint name: %s", endpoint_name)
        _wait_in_service(sm, endpoint_name, ENDPOINT_WAIT_SECONDS)
        transport = SageMakerRuntimeTransport(endpoint_name, predictor, timeout=timeout, concurrency=concurrency)
        yield transport
    finally:
        with deferred_signals():
            if transport is not None:
                transport.close()
            log.info("Stop using endpoint: %s", endpoint_name)
            problems = []
            if "config" in created:
                log.info("Deleting endpoint configuration with name: %s", config_name)
                problems.append(_delete("endpoint config", lambda n: sm.delete_endpoint_config(EndpointConfigName=n),
                                        config_name))
            if "endpoint" in created:
                log.info("Deleting endpoint with name: %s", endpoint_name)
                problems.append(_delete("endpoint", lambda n: sm.delete_endpoint(EndpointName=n), endpoint_name))
            problems = [p for p in problems if p]
            if problems and sys.exc_info()[1] is None:
                raise EndpointError("Could not delete the shadow endpoint: " + "; ".join(str(p) for p in problems))


def _call(function: Any, what: str, name: str, **kwargs: Any) -> None:
    try:
        function(**kwargs)
    except _AWS_ERRORS as exc:
        raise EndpointError(f"Cannot create {what} '{name}': {_aws_message(exc)}") from None


def endpoint_instance_count(described: dict[str, Any]) -> int | None:
    counts = [v.get("CurrentInstanceCount") for v in described.get("ProductionVariants", [])]
    counts = [c for c in counts if isinstance(c, int)]
    return sum(counts) if counts else None


@contextmanager
def existing_endpoint(predictor: PredictorConfig, *, timeout: float,
                      concurrency: int) -> Iterator[SageMakerRuntimeTransport]:
    """Use ``endpoint_name`` as it is; it is never created or deleted."""
    name = predictor.endpoint_name
    assert name is not None
    log.info("Using endpoint %s", name)
    described = _status(_client("sagemaker"), name)
    status = described.get("EndpointStatus")
    if status != "InService":
        raise EndpointError(f"predictor.endpoint_name: endpoint '{name}' is {status}, not InService.")
    log.info("Endpoint is in service after 0 seconds")
    transport = SageMakerRuntimeTransport(name, predictor, timeout=timeout, concurrency=concurrency)
    transport.instance_count = endpoint_instance_count(described)
    try:
        yield transport
    finally:
        transport.close()
