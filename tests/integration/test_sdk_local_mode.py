"""The SageMaker Python SDK itself as the client: ``SageMakerClarifyProcessor`` in local mode runs
our image under the Clarify image URI through docker-compose, with S3 served by moto.

Why moto on 127.0.0.1 works: in local mode the SDK (this process) does all the S3 traffic. It
uploads the config, downloads the dataset into a host folder that it mounts into the container,
and uploads the output folder after the job; the container never talks to S3. So moto listens
on loopback only and nothing is exposed beyond this machine.

The SDK mounts folders it creates as root (0755), as SageMaker does, and starts the image as
its default user: the image's entrypoint gives those output folders to uid 10001 and drops to it
before the analysis, so no ``local.container_config`` user override is needed (none is set here).
Telemetry is switched off through the SDK's config dict.
"""
from __future__ import annotations

import gc
import json
import os
import re
import shutil
import subprocess
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from components import require_component

pytestmark = [pytest.mark.docker, pytest.mark.s3, pytest.mark.slow]

REGION = "us-west-2"
CLARIFY_IMAGE = "306415355426.dkr.ecr.us-west-2.amazonaws.com/sagemaker-clarify-processing:1.0"
ROLE = "arn:aws:iam::123456789012:role/service-role/ClarifyLocal"
BUCKET = "clarify-local-mode"
SDK_CONFIG = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
LOCAL_CONFIG = {"local": {"local_code": True}}


def _require(reason: str) -> None:
    require_component(False, reason)


@pytest.fixture(scope="module")
def sdk(request: pytest.FixtureRequest) -> Any:
    """The sagemaker package (v2), imported quietly, or a skip/fail with the reason."""
    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    try:
        import sagemaker
        from sagemaker import clarify  # noqa: F401
        from sagemaker.local import LocalSession  # noqa: F401
    except ImportError as exc:
        _require(f"the SageMaker Python SDK is not installed ({exc}); pip install sagemaker==2.257.7")
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

        s3 = boto3.client("s3")
        try:  # moto's backend lives in the process: another module's server may have made the bucket
            s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
        yield url
    server.stop()


@pytest.fixture(scope="module")
def clarify_image(docker_client: Any, analyzer_image: str) -> Iterator[str]:
    """Our image under the name the SDK looks up for Clarify in us-west-2 (a local tag is enough)."""
    docker_client.images.get(analyzer_image).tag(CLARIFY_IMAGE)
    if shutil.which("docker-compose") is None or subprocess.run(
            ["docker-compose", "version"], capture_output=True, timeout=60).returncode != 0:
        _require("docker-compose is not installed (scripts/bootstrap-docker.sh installs it)")
    yield CLARIFY_IMAGE
    # The SDK's compose runs leave their exited job containers behind: remove them.
    for container in docker_client.containers.list(all=True, filters={"ancestor": CLARIFY_IMAGE,
                                                                       "status": "exited"}):
        container.remove()
    # The tag only (noprune): the analyzer image itself stays for the other tests.
    docker_client.images.remove(CLARIFY_IMAGE, noprune=True)


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


def _bias_configs(job: Any, prefix: str, positive: Any = ">50K") -> tuple[Any, Any]:
    from sagemaker import clarify

    data_config = clarify.DataConfig(
        s3_data_input_path=_upload(job.data_path, f"{prefix}/input/data.csv"),
        s3_output_path=f"s3://{BUCKET}/{prefix}/output",
        label="Target", headers=job.config["headers"], dataset_type="text/csv")
    bias_config = clarify.BiasConfig(label_values_or_threshold=[positive], facet_name="Sex",
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


# ---- post-training bias with predictions from a model reachable over the network ---------------

MODEL_NETWORK = "sagemaker-local"   # the network the SDK's compose file puts the job containers on
FEATURES = ["Age", "Sex", "Hours per week", "Group"]
MODEL_READY_TIMEOUT_S = 60


def numeric_label_rows(job_factory: Any) -> list[list[Any]]:
    """The example with Target as 1/0, the model's predicted labels (scores > threshold → 1)."""
    return [row[:-1] + [int(row[-1] == ">50K")] for row in job_factory.rows()]


@pytest.fixture
def model_server(docker_client: Any, analyzer_image: str, job_factory: Any, tmp_path: Path) -> Iterator[dict[str, str]]:
    """scripts/model_server/serve.py with a small scikit-learn model, in a container on the SDK's
    compose network (reached by name from the job) with its port also published on 127.0.0.1
    (reached by the in-process run). The analyzer image has everything serve.py needs."""
    import time
    import uuid

    import docker
    import joblib
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    frame = pd.DataFrame(numeric_label_rows(job_factory), columns=job_factory.config()["headers"])
    model = make_pipeline(ColumnTransformer([("cat", OneHotEncoder(), ["Sex", "Group"])], remainder="passthrough"),
                          LogisticRegression(max_iter=1000))
    model.fit(frame[FEATURES], frame["Target"])
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    joblib.dump(model, model_dir / "model.joblib")
    (model_dir / "model_meta.json").write_text(json.dumps({"feature_names": FEATURES, "categorical": ["Sex", "Group"]}))
    created_network = None
    try:
        docker_client.networks.get(MODEL_NETWORK)
    except docker.errors.NotFound:
        created_network = docker_client.networks.create(MODEL_NETWORK, driver="bridge")
    name = f"clarify-model-{uuid.uuid4().hex[:8]}"
    server_dir = Path(__file__).resolve().parents[2] / "scripts" / "model_server"
    container = docker_client.containers.run(
        analyzer_image, entrypoint=["python", "/srv/serve.py", "--model-dir", "/opt/ml/model"], name=name,
        detach=True, network=MODEL_NETWORK, ports={"8080/tcp": ("127.0.0.1", None)},
        volumes={str(model_dir): {"bind": "/opt/ml/model", "mode": "ro"},
                 str(server_dir): {"bind": "/srv", "mode": "ro"}})
    try:
        deadline = time.monotonic() + MODEL_READY_TIMEOUT_S
        while b"listening on" not in container.logs():
            assert time.monotonic() < deadline, container.logs()[-2000:]
            time.sleep(0.2)
        container.reload()
        port = container.attrs["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostPort"]
        yield {"in_network": f"http://{name}:8080/invocations", "local": f"http://127.0.0.1:{port}/invocations"}
    finally:
        container.remove(force=True)
        if created_network is not None:     # leave no network behind that this test created
            try:
                created_network.remove()
            except docker.errors.APIError:
                pass  # still in use by a job container the SDK left; the next run reuses it


def _run_with_model_server(processor_factory: Any, data_config: Any, config: dict[str, Any],
                           model_server: dict[str, str], job: Any, job_factory: Any, tmp_path: Path,
                           prefix: str, instance_count: int = 1) -> tuple[bytes, bytes]:
    """Run the SDK-generated ``config`` with our extension key endpoint_url pointing at the model
    server instead of a shadow endpoint (the SDK's early validation does not know the key, so it is
    skipped); return (analysis.json from S3, analysis.json of the same job in-process)."""
    for key in ("model_name", "instance_type", "initial_instance_count"):   # alternatives to endpoint_url
        config["predictor"].pop(key, None)
    config["predictor"]["endpoint_url"] = model_server["in_network"]
    processor = processor_factory(instance_count=instance_count)
    processor.skip_early_validation = True

    with sdk_pipes_left_open():
        processor._run(data_config, config, wait=True, logs=False, job_name=None, kms_key=None,
                       experiment_config=None)

    in_process_config = json.loads(_get(f"{prefix}/output/analysis_config.json"))
    in_process_config["predictor"]["endpoint_url"] = model_server["local"]
    expected = _in_process(job_factory, json.dumps(in_process_config).encode(), job.data_path, tmp_path)
    return _get(f"{prefix}/output/analysis.json"), expected


def test_run_bias_with_a_model_over_the_network(
        processor_factory: Any, job_factory: Any, model_server: dict[str, str], tmp_path: Path,
        quiet_logging: None) -> None:
    from sagemaker import clarify

    job = job_factory.make(job_factory.config(), numeric_label_rows(job_factory), name="numeric")
    data_config, bias_config = _bias_configs(job, "post", positive=1)
    model_config = clarify.ModelConfig(model_name="adult-logreg", instance_type="ml.m5.xlarge", instance_count=1,
                                       content_type="text/csv", accept_type="text/csv")
    label_config = clarify.ModelPredictedLabelConfig(probability_threshold=0.4)
    config = clarify._AnalysisConfigGenerator.bias(data_config, bias_config, model_config, label_config)

    analysis, expected = _run_with_model_server(processor_factory, data_config, config, model_server, job,
                                                job_factory, tmp_path, "post")

    assert analysis == expected
    document = json.loads(analysis)
    post = document["post_training_bias_metrics"]["facets"]["Sex"][0]["metrics"]
    assert len(post) == 13 and any(m["value"] is not None for m in post)
    assert "pre_training_bias_metrics" in document


def test_run_explainability_with_a_model_over_the_network(
        processor_factory: Any, job_factory: Any, model_server: dict[str, str], tmp_path: Path,
        quiet_logging: None) -> None:
    from sagemaker import clarify

    job = job_factory.make(job_factory.config(), numeric_label_rows(job_factory)[:30], name="explain")
    data_config, _ = _bias_configs(job, "explain", positive=1)
    model_config = clarify.ModelConfig(model_name="adult-logreg", instance_type="ml.m5.xlarge", instance_count=1,
                                       content_type="text/csv", accept_type="text/csv")
    shap_config = clarify.SHAPConfig(baseline=[[40, "Male", 40, "a"]], num_samples=16, agg_method="mean_abs",
                                     save_local_shap_values=True, seed=1)
    config = clarify._AnalysisConfigGenerator.explainability(data_config, model_config, None, shap_config)

    analysis, expected = _run_with_model_server(processor_factory, data_config, config, model_server, job,
                                                job_factory, tmp_path, "explain")

    assert analysis == expected
    shap = json.loads(analysis)["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    assert set(shap) == set(FEATURES)
    local = _get("explain/output/explanations_shap/out.csv")
    assert local == (tmp_path / "in_process" / "output" / "explanations_shap" / "out.csv").read_bytes()
    assert len(local.decode().strip().splitlines()) == 31


def test_two_instances_share_the_kernel_shap_work(
        processor_factory: Any, job_factory: Any, model_server: dict[str, str], tmp_path: Path,
        quiet_logging: None, capsys: pytest.CaptureFixture) -> None:
    """instance_count=2: the leader (algo-1) runs the scheduler, the follower (algo-2) lends its Dask
    worker, and that worker computes Kernel SHAP shards (the leader's log, which the SDK streams to
    stdout, says which worker ran how many); the analysis is the one-host one, the local values come
    in Clarify's part files, and the follower exits 0 so the job completes."""
    from sagemaker import clarify

    job = job_factory.make(job_factory.config(), numeric_label_rows(job_factory)[:40], name="two")
    data_config, _ = _bias_configs(job, "two", positive=1)
    model_config = clarify.ModelConfig(model_name="adult-logreg", instance_type="ml.m5.xlarge", instance_count=1,
                                       content_type="text/csv", accept_type="text/csv")
    shap_config = clarify.SHAPConfig(baseline=[[40, "Male", 40, "a"]], num_samples=16, agg_method="mean_abs",
                                     save_local_shap_values=True, seed=1)
    config = clarify._AnalysisConfigGenerator.explainability(data_config, model_config, None, shap_config)
    capsys.readouterr()

    analysis, expected = _run_with_model_server(processor_factory, data_config, config, model_server, job,
                                                job_factory, tmp_path, "two", instance_count=2)

    logs = capsys.readouterr().out
    assert analysis == expected
    shares = re.search(r"Kernel SHAP on the workers in [0-9.]+ s: (.*)", logs)
    assert shares, logs[-4000:]
    # workers are named <host>/<i> on followers (the SDK's host names carry a suffix: algo-2-xxxxx)
    tasks = [(name, int(n)) for name, n in re.findall(r"(\S+) (\d+) task", shares.group(1))]
    follower = sum(n for name, n in tasks if name.startswith("algo-2"))
    assert follower >= 1 and sum(n for _, n in tasks) > follower, shares.group(0)   # both hosts worked
    import boto3

    listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="two/output/explanations_shap/out.csv/")
    parts = sorted(item["Key"].rsplit("/", 1)[-1] for item in listed.get("Contents", []))
    assert parts == ["part-00000.csv", "part-00001.csv"]
