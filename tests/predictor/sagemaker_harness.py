"""moto's SageMaker control plane in server mode, plus a runtime route that speaks InvokeEndpoint
(POST /endpoints/{name}/invocations) and forwards to a real model server (moto's own
invoke_endpoint only returns canned bodies)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from predictor_servers import require_component, running

ROLE = "arn:aws:iam::123456789012:role/clarify-test"


@dataclass
class RuntimeRoute:
    sagemaker_url: str
    model_url: str                                   # base URL of the model server
    calls: list[dict[str, Any]] = field(default_factory=list)


def _route_server(route: RuntimeRoute) -> ThreadingHTTPServer:
    import boto3

    sm = boto3.client("sagemaker", endpoint_url=route.sagemaker_url)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str, error_type: str | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if error_type:
                self.send_header("x-amzn-ErrorType", error_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = self.path.strip("/").split("/")
            name = parts[1] if len(parts) == 3 and parts[0] == "endpoints" else ""
            route.calls.append({"endpoint": name, "content_type": self.headers.get("Content-Type"),
                                "accept": self.headers.get("Accept"),
                                "custom_attributes": self.headers.get("X-Amzn-SageMaker-Custom-Attributes"),
                                "target_model": self.headers.get("X-Amzn-SageMaker-Target-Model")})
            try:
                status = sm.describe_endpoint(EndpointName=name)["EndpointStatus"]
            except Exception:  # noqa: BLE001 - any lookup failure is "not found" for the client
                status = None
            if status != "InService":
                message = json.dumps({"message": f"Endpoint {name} of account 123456789012 not found."}).encode()
                self._send(400, message, "application/json", "ValidationException")
                return
            request = urllib.request.Request(f"{route.model_url}/invocations", data=body, method="POST", headers={
                "Content-Type": self.headers.get("Content-Type", ""), "Accept": self.headers.get("Accept", "")})
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    self._send(200, answer.read(), answer.headers.get("Content-Type", "application/octet-stream"))
            except urllib.error.HTTPError as exc:
                error = {"message": f"Received client error ({exc.code}) from primary: {exc.read().decode()}",
                         "OriginalStatusCode": exc.code}
                self._send(424, json.dumps(error).encode(), "application/json", "ModelError")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


@contextmanager
def sagemaker_services(monkeypatch: pytest.MonkeyPatch, model_url: str) -> Iterator[tuple[Any, RuntimeRoute]]:
    """(boto3 sagemaker client, runtime route) with AWS_ENDPOINT_URL_SAGEMAKER[_RUNTIME] pointed at them."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        ThreadedMotoServer = None
    require_component(ThreadedMotoServer is not None, "moto[server] is not installed (pip install 'moto[server]')")
    import boto3

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        sagemaker_url = f"http://{host}:{port}"
        # moto's backends are process-wide: a new server still holds what earlier tests created.
        import urllib.request

        reset = urllib.request.Request(f"{sagemaker_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(reset, timeout=30):   # closed: an open answer holds its socket until GC
            pass
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", sagemaker_url)
        route = RuntimeRoute(sagemaker_url, model_url)
        with running(_route_server(route)) as route_url:
            monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", route_url)
            yield boto3.client("sagemaker"), route
    finally:
        moto.stop()


def create_model(sm: Any, name: str, image: str = "model-image:1", data: str = "s3://bucket/model.tar.gz") -> None:
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": image, "ModelDataUrl": data})


def create_endpoint(sm: Any, name: str, model: str) -> None:
    """An existing endpoint ``name`` serving ``model`` (one ml.m5.xlarge instance)."""
    sm.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge"}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
