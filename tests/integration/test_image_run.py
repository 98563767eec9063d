"""The image as SageMaker and `docker run` users run it: processing-job paths, root-owned output
folders given to the unprivileged user by the entrypoint, `--user`, read-only root file system,
dropped capabilities, the message file, exit codes, and the same bytes as an in-process run."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SUCCESS = "Completed: SageMaker XAI Analyzer ran successfully"


def test_image_starts_as_root_only_to_drop_to_its_user(docker_client: Any, analyzer_image: str) -> None:
    config = docker_client.images.get(analyzer_image).attrs["Config"]
    assert config["User"] in ("", "0", "root")   # the entrypoint gives output folders away, then drops
    assert config["Entrypoint"] == ["analyzer-entrypoint"]
    assert "ANALYZER_UID=10001" in config["Env"]


def test_docker_run_writes_the_same_analysis_as_an_in_process_run(
        example_job: Any, analyzer_image: str, tmp_path: Path, quiet_logging: None) -> None:
    run = example_job.docker_run(analyzer_image)

    assert run.code == 0, run.logs
    for line in ("Starting SageMaker Clarify Processing job",
                 "Analysis config path: /opt/ml/processing/input/config/analysis_config.json",
                 "This host is algo-1.", "This host is the leader.", "Number of hosts in the cluster is 1.",
                 f"exit_message: {SUCCESS}"):
        assert line in run.logs
    assert run.message.startswith(SUCCESS)
    in_process = tmp_path / "in_process" / "output"
    assert example_job.run_in_process(in_process) == 0
    container_bytes = (run.output / "analysis.json").read_bytes()
    assert container_bytes == (in_process / "analysis.json").read_bytes()
    metrics = json.loads(container_bytes)["pre_training_bias_metrics"]["facets"]["Sex"][0]["metrics"]
    assert {m["name"] for m in metrics} == {"CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"}
    assert all(m["value"] is not None for m in metrics), metrics
    # Written by the image's unprivileged user, and nothing staged is left behind.
    assert (run.output / "analysis.json").stat().st_uid == 10001
    assert not [p.name for p in run.output.iterdir() if p.name.startswith(".")]


def test_as_a_user_with_a_read_only_root_and_no_capabilities(example_job: Any, analyzer_image: str) -> None:
    run = example_job.docker_run(analyzer_image, "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
                                 "--user", "10001:0")

    assert run.code == 0, run.logs
    assert (run.output / "analysis.json").is_file()
    assert run.message.startswith(SUCCESS)


def _sagemaker_like(job: Any) -> None:
    """What SageMaker and the SDK's local mode mount: output folders only root may write to."""
    for sub in ("processing/output", "output"):
        (job.base / sub).chmod(0o755)


def test_root_owned_output_folders_with_a_read_only_root_and_only_the_needed_capabilities(
        example_job: Any, analyzer_image: str) -> None:
    _sagemaker_like(example_job)

    run = example_job.docker_run(analyzer_image, "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
                                 "--cap-add", "CHOWN", "--cap-add", "SETUID", "--cap-add", "SETGID")

    assert run.code == 0, run.logs
    assert run.message.startswith(SUCCESS)
    assert (run.output / "analysis.json").stat().st_uid == 10001
    assert run.output.stat().st_uid == 10001 and (example_job.base / "output").stat().st_uid == 10001


def test_as_root_without_the_capabilities_to_drop_it_stops_before_the_analysis(
        example_job: Any, analyzer_image: str) -> None:
    run = example_job.docker_run(analyzer_image, "--cap-drop", "ALL")

    assert run.code == 2, run.logs
    assert run.message.startswith("ClientError: the container runs as root without the capabilities SETUID")
    assert "docker run --user 10001:0" in run.message
    assert "Starting SageMaker Clarify" not in run.logs
    assert list(run.output.iterdir()) == []


def test_config_error_exits_2_with_the_reason_in_the_message_file(job_factory: Any, analyzer_image: str) -> None:
    config = {**job_factory.config(), "facet": [{"name_or_index": "Gender"}]}
    job = job_factory.make(config, job_factory.rows())

    run = job.docker_run(analyzer_image)

    assert run.code == 2, run.logs
    assert run.message.startswith("ClientError: ")
    assert "Gender" in run.message
    assert len(run.message.encode()) <= 1024
    assert list(run.output.iterdir()) == []


def test_non_leader_host_exits_0_without_results(example_job: Any, analyzer_image: str) -> None:
    config_dir = example_job.base / "config"
    config_dir.mkdir()
    (config_dir / "resourceconfig.json").write_text(
        json.dumps({"current_host": "algo-2", "hosts": ["algo-1", "algo-2"]}))

    run = example_job.docker_run(analyzer_image, "-v", f"{config_dir}:/opt/ml/config:ro")

    assert run.code == 0, run.logs
    assert "This host is algo-2." in run.logs
    assert "This host is not the leader. Number of hosts in the cluster is 2." in run.logs
    assert list(run.output.iterdir()) == []
    assert run.message.startswith("Completed")


def test_an_output_folder_of_another_user_is_a_clear_storage_error(example_job: Any, analyzer_image: str) -> None:
    # A host folder that belongs to someone else: the entrypoint leaves it alone, the job says why.
    import os

    os.chown(example_job.base / "processing" / "output", 4242, 4242)
    (example_job.base / "processing" / "output").chmod(0o755)

    run = example_job.docker_run(analyzer_image)

    assert run.code == 5, run.logs
    assert "is not writable by this process (uid 10001; the directory belongs to uid 4242)" in run.message
    assert "docker run --user" in run.message
    assert "Traceback" not in run.logs
