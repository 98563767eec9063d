"""The SageMaker Python SDK itself as the client: ``SageMakerClarifyProcessor`` in local mode runs
our image under the Clarify image URI through docker-compose, with S3 served by moto.

Why moto on 127.0.0.1 works: in local mode the SDK (this process) does all the S3 traffic. It
uploads the config, downloads the dataset into a host folder that it mounts into the container,
and uploads the output folder after the job; the container never talks to S3. So moto listens
on loopback only and nothing is exposed beyond this machine.

Our image runs as uid 10001, but the SDK mounts folders it creates as root (0755), as SageMaker
does, so the job container runs as root through the SDK's own ``local.container_config`` setting
(see the Dockerfile's header). Telemetry is switched off through the SDK's config dict.
"""
from __future__ import annotations

import gc
import json
import os
import subprocess
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.s3, pytest.mark.slow]

REGION = "us-west-2"
CLARIFY_IMAGE = "306415355426.dkr.ecr.us-west-2.amazonaws.com/sagemaker-clarify-processing:1.0"
ROLE = "arn:aws:iam::123456789012:role/service-role/ClarifyLocal"
BUCKET = "clarify-local-mode"
SDK_CONFIG = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
LOCAL_CONFIG = {"local": {"local_code": True, "container_config": {"user": "0"}}}


@pytest.fixture(scope="module")
def sdk(request: pytest.FixtureRequest) -> Any:
    """The sagemaker package (v2), imported quietly, or a skip/fail with the reason."""
    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    try:
        import sagemaker
        from sagemaker import clarify  # noqa: F401
        from sagemaker.local import LocalSession  # noqa: F401
    except ImportError as exc:
        from conftest import require  # noqa: PLC0415 - only reached when the SDK is missing
        require(f"the SageMaker Python SDK is not installed ({exc}); pip install sagemaker==2.257.7")
    return sagemaker


@pytest.fixture(scope="module")
def moto_s3() -> Iterator[str]:
    """moto's S3 on 127.0.0.1, with this process's AWS environment pointed at it."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        pytest.fail(f"moto[server] is a test dependency and is missing: {exc}")
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
                           "AWS_ENDPOINT_URL": url}.items():
            mp.setenv(key, value)
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            mp.delenv(key, raising=False)
        import boto3

        boto3.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield url
    server.stop()


@pytest.fixture(scope="module")
def clarify_image(docker_client: Any, analyzer_image: str) -> str:
    """Our image under the name the SDK looks up for Clarify in us-west-2 (a local tag is enough)."""
    docker_client.images.get(analyzer_image).tag(CLARIFY_IMAGE)
    if subprocess.run(["docker-compose", "version"], capture_output=True, timeout=60).returncode != 0:
        from conftest import require  # noqa: PLC0415

        require("docker-compose is not installed (scripts/bootstrap-docker.sh installs it)")
    return CLARIFY_IMAGE


@pytest.fixture
def processor_factory(sdk: Any, moto_s3: str, clarify_image: str) -> Any:
    import boto3
    from sagemaker import clarify
    from sagemaker.local import LocalSession

    def make(instance_count: int = 1) -> Any:
        session = LocalSession(boto_session=boto3.Session(region_name=REGION), s3_endpoint_url=moto_s3,
                               sagemaker_config=SDK_CONFIG)
        session.config = LOCAL_CONFIG
        return clarify.SageMakerClarifyProcessor(role=ROLE, instance_count=instance_count, instance_type="local",
                                                 sagemaker_session=session)

    return make


@contextmanager
def sdk_pipes_left_open() -> Iterator[None]:
    """The SDK's local mode never closes the docker-compose process's stdout pipe: its
    ResourceWarning (fatal under filterwarnings=error) is the SDK's, so it is ignored here only."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="unclosed file", category=ResourceWarning)
        yield
        gc.collect()


def _upload(path: Path, key: str) -> str:
    import boto3

    boto3.client("s3").upload_file(str(path), BUCKET, key)
    return f"s3://{BUCKET}/{key}"


def _get(key: str) -> bytes:
    import boto3

    return boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()


def _in_process(job_factory: Any, config: bytes, data: Path, tmp_path: Path) -> bytes:
    """analyzer.cli.main on the config the SDK generated and the same data."""
    from analyzer.cli import main

    config_path = tmp_path / "sdk_analysis_config.json"
    config_path.write_bytes(config)
    out = tmp_path / "in_process" / "output"
    assert main(["run", "--config", str(config_path), "--data", str(data), "--output", str(out),
                 "--base-dir", str(tmp_path / "in_process" / "opt_ml")]) == 0
    return (out / "analysis.json").read_bytes()


def _bias_configs(job: Any, prefix: str) -> tuple[Any, Any]:
    from sagemaker import clarify

    data_config = clarify.DataConfig(
        s3_data_input_path=_upload(job.data_path, f"{prefix}/input/data.csv"),
        s3_output_path=f"s3://{BUCKET}/{prefix}/output",
        label="Target", headers=job.config["headers"], dataset_type="text/csv")
    bias_config = clarify.BiasConfig(label_values_or_threshold=[">50K"], facet_name="Sex",
                                     facet_values_or_threshold=["Female"], group_name="Group")
    return data_config, bias_config


def test_run_pre_training_bias(processor_factory: Any, example_job: Any, job_factory: Any, tmp_path: Path,
                               quiet_logging: None) -> None:
    data_config, bias_config = _bias_configs(example_job, "pre")

    with sdk_pipes_left_open():
        processor_factory().run_pre_training_bias(data_config, bias_config, methods="all", wait=True, logs=False)

    analysis = _get("pre/output/analysis.json")
    expected = _in_process(job_factory, _get("pre/output/analysis_config.json"), example_job.data_path, tmp_path)
    assert analysis == expected
    assert len(json.loads(analysis)["pre_training_bias_metrics"]["facets"]["Sex"][0]["metrics"]) == 8


def test_two_instances_the_leader_computes_and_the_job_completes(
        processor_factory: Any, example_job: Any, job_factory: Any, tmp_path: Path, quiet_logging: None) -> None:
    data_config, bias_config = _bias_configs(example_job, "two")

    with sdk_pipes_left_open():
        processor_factory(instance_count=2).run_pre_training_bias(data_config, bias_config, methods="all",
                                                                  wait=True, logs=False)

    analysis = _get("two/output/analysis.json")
    expected = _in_process(job_factory, _get("two/output/analysis_config.json"), example_job.data_path, tmp_path)
    assert analysis == expected
