#!/usr/bin/env python3
"""Kernel SHAP scale-out in containers (issue 13, bench parts (b) and (c)): does a second worker buy
speed when every worker has its own CPU and its own model capacity?

    python bench/scale_shap.py [--rows 2000] [--num-samples 100] [--parts b c] [--image TAG]

Every worker is a container limited to one CPU (``--cpus=1``) that also runs its own copy of the
example model server (scripts/model_server/serve.py) on localhost, so the model scales with the
workers; the job's predictor is ``endpoint_url: http://127.0.0.1:8080/invocations`` everywhere.

(b) a SageMaker multi-host job: 1 host (``algo-1``; no Dask) vs 2 hosts (``algo-1`` leads, runs
    the scheduler and one worker; ``algo-2`` lends one worker), each host one ``--cpus=1`` container
    with its own /opt/ml and resourceconfig.json on a user-defined network.
(c) an external scheduler: a ``dask scheduler`` container, 1 or 2 ``dask worker`` containers
    (``--cpus=1`` each, started and registered before the job: an existing cluster), and the job as
    ``analyzer run --scheduler tcp://...`` in a container of its own (the leader: light). The
    workers read the dataset themselves, from the job's folder mounted at the same path in each.

Prints a RESULTS-ready table: wall seconds of the job (container start to the leader's exit, imports
and the report included), seconds of the Kernel SHAP stage (from the leader's log), the speed-ups
and whether analysis.json and the local SHAP values are identical to the 1-worker run's (the leaders'
logs are kept in out/scale-bench-logs/). Every
container and network it makes carries a label and is removed at the end, on errors and on Ctrl-C.
Runtime at the defaults: about 2.5 min on an idle 2-core machine (plus a one-off image build and
model training in the image when they are not cached). Target (issue 13): >= 1.7x from 1 to 2 workers.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
LABEL = "clarify-scale-bench"
LOGS = ROOT / "out" / "scale-bench-logs"
JOB_TIMEOUT_S = 900
MODEL_URL = "http://127.0.0.1:8080/invocations"
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")
# the model server first (own process, localhost), then the command once it answers
WITH_MODEL = ('python /srv/serve.py --model-dir /model --host 127.0.0.1 --port 8080 >/tmp/serve.log 2>&1 & '
              'until grep -q "listening on" /tmp/serve.log; do sleep 0.1; done; exec "$@"')


def docker(*args: str, timeout: float = 120, check: bool = True) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args[:3])}: {done.stderr.strip()[-2000:]}")
    return done.stdout.strip()


class Docker:
    """Containers and networks of this run, all labelled ``clarify-scale-bench=<tag>``."""

    def __init__(self, image: str) -> None:
        self.image, self.tag, self.made = image, uuid.uuid4().hex[:8], 0
        self.used: dict[str, float] = {}

    def network(self, name: str) -> str:
        self.made += 1
        docker("network", "create", "--label", f"{LABEL}={self.tag}", f"{name}-{self.tag}-{self.made}")
        return f"{name}-{self.tag}-{self.made}"

    def create(self, name: str, network: str, mounts: dict[Path, str], command: list[str], cpus: str | None = "1",
               env: dict[str, str] | None = None) -> str:
        self.made += 1
        flags = ["--name", f"{name}-{self.tag}-{self.made}", "--hostname", name, "--network", network,
                 "--network-alias", name, "--label", f"{LABEL}={self.tag}", "--user", f"{os.getuid()}:{os.getgid()}",
                 "--entrypoint", "sh",
                 "-e", "OMP_NUM_THREADS=1", "-e", "HOME=/tmp"]
        flags += ["--cpus", cpus, "--label", "limited=1"] if cpus else []
        for key, value in (env or {}).items():
            flags += ["-e", f"{key}={value}"]
        for source, target in mounts.items():
            flags += ["-v", f"{source}:{target}"]
        return docker("create", *flags, self.image, "-c", WITH_MODEL, "sh", *command)

    def cpu_seconds(self) -> float:
        """CPU seconds the limited containers of this run used so far (cgroup v1 cpuacct, sampled)."""
        for cid in docker("ps", "-q", "--no-trunc", "--filter", f"label={LABEL}={self.tag}",
                          "--filter", "label=limited=1", check=False).split():
            try:
                self.used[cid] = int(Path(f"/sys/fs/cgroup/cpuacct/docker/{cid}/cpuacct.usage").read_text()) / 1e9
            except (OSError, ValueError):
                pass    # gone, or another cgroup layout: the column shows what could be read
        return sum(self.used.values())

    def clean(self) -> None:
        for kind in ("container", "network"):
            listed = docker(kind, "ls", "-aq" if kind == "container" else "-q", "--filter", f"label={LABEL}={self.tag}",
                            check=False).split()
            if listed:
                docker(kind, "rm", *(["-f"] if kind == "container" else []), *listed, check=False)


def _sample_cpu(d: Docker, stop: threading.Event) -> None:
    while not stop.wait(0.5):
        d.cpu_seconds()


def _wait(container: str, timeout: float = JOB_TIMEOUT_S) -> int:
    return int(docker("wait", container, timeout=timeout))


def _wait_log(container: str, text: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while text not in _logs(container):
        if time.monotonic() > deadline or docker("inspect", "-f", "{{.State.Running}}", container) != "true":
            raise RuntimeError(f"{container} never logged {text!r}: {_logs(container)[-2000:]}")
        time.sleep(0.3)


def _logs(container: str) -> str:
    done = subprocess.run(["docker", "logs", container], capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


def shap_seconds(log: str) -> float | None:
    """From the line that starts Kernel SHAP to its summary ("Kernel SHAP: N records, ... model calls")."""
    start = None
    for line in log.splitlines():
        stamp = _STAMP.match(line)
        if not stamp:
            continue
        when = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S,%f")
        if start is None and "SHAP n_samples" in line:
            start = when
        elif start is not None and "Kernel SHAP:" in line and " model calls, " in line:
            return (when - start).total_seconds()
    return None


def _ensure_model(image: str) -> Path:
    """The example model trained inside the image (its scikit-learn reads the pickle), cached per image."""
    image_id = docker("image", "inspect", "-f", "{{.Id}}", image).split(":")[-1][:12]
    model = ROOT / "out" / "scale-bench-model" / image_id
    if not (model / "model.joblib").exists():
        model.mkdir(parents=True, exist_ok=True)
        docker("run", "--rm", "--user", f"{os.getuid()}:{os.getgid()}", "-e", "HOME=/tmp", "-e", "OMP_NUM_THREADS=1",
               "--entrypoint", "python", "-v", f"{ROOT / 'examples'}:/ex:ro", "-v", f"{ROOT / 'data' / 'adult'}:/d:ro",
               "-v", f"{model}:/model", image, "/ex/train_model.py", "--data", "/d/adult_train.csv",
               "--model-dir", "/model", timeout=600)
    return model


def _config(num_samples: int) -> dict:
    return {"dataset_type": "text/csv", "label": "Target", "label_values_or_threshold": [">50K"],
            "joinsource_name_or_index": "Id",
            "methods": {"shap": {"num_samples": num_samples, "num_clusters": 1, "seed": 0,
                                 "save_local_shap_values": True}},
            "predictor": {"endpoint_url": MODEL_URL, "accept_type": "application/jsonlines",
                          "label": "predicted_label", "probability": "score"}}


def _local_values(output: Path) -> pd.DataFrame:
    shap = output / "explanations_shap" / "out.csv"
    parts = sorted(shap.iterdir()) if shap.is_dir() else [shap]
    return pd.concat([pd.read_csv(p) for p in parts], ignore_index=True)


def run_hosts(d: Docker, work: Path, model: Path, count: int) -> tuple[float, str, Path]:
    """A SageMaker job on ``count`` hosts; (wall seconds, the leader's log, its output folder)."""
    hosts = [f"algo-{i + 1}" for i in range(count)]
    network = d.network(f"hosts{count}")
    containers = []
    for host in hosts:
        base = work / f"b{count}" / host
        for sub in ("config", "processing/input/config", "processing/input/data", "processing/output", "output"):
            (base / sub).mkdir(parents=True)
        (base / "config" / "resourceconfig.json").write_text(json.dumps({"current_host": host, "hosts": hosts}))
        (base / "config" / "processingjobconfig.json").write_text(json.dumps({"ProcessingJobName": "scale-bench"}))
        (base / "processing/input/config/analysis_config.json").write_text((work / "config.json").read_text())
        (base / "processing/input/data/data.csv").write_bytes((work / "data.csv").read_bytes())
        containers.append(d.create(host, network, {base: "/opt/ml", model: "/model:ro", SERVE: "/srv/serve.py:ro"},
                                   ["python", "-m", "analyzer"], env={"ANALYZER_DASK_WORKERS": "1"}))
    began = time.perf_counter()
    docker("start", *containers)
    code = _wait(containers[0])
    wall = time.perf_counter() - began
    log = _logs(containers[0])
    if code != 0:
        raise RuntimeError(f"the {count}-host job exited {code}: {log[-3000:]}")
    for follower in containers[1:]:
        assert _wait(follower, 120) == 0, _logs(follower)[-2000:]
    return wall, log, work / f"b{count}" / "algo-1" / "processing" / "output"


def run_scheduler(d: Docker, work: Path, model: Path, count: int) -> tuple[float, str, Path]:
    """The job through an external scheduler with ``count`` registered workers."""
    network = d.network(f"sched{count}")
    mounts = {model: "/model:ro", SERVE: "/srv/serve.py:ro"}
    scheduler = d.create("scheduler", network, mounts, ["dask", "scheduler", "--port", "8786", "--no-dashboard"],
                         cpus=None)
    docker("start", scheduler)
    # the workers read the dataset themselves: it is on a path every worker sees (read-only here)
    workers = [d.create(f"worker-{i + 1}", network, {**mounts, work: "/job:ro"},
                        ["dask", "worker", "tcp://scheduler:8786", "--nthreads", "1", "--nworkers", "1",
                         "--no-dashboard", "--name", f"worker-{i + 1}", "--preload", "analyzer.distributed.tasks",
                         "--preload", "analyzer.explain", "--preload", "analyzer.stages"]) for i in range(count)]
    docker("start", *workers)
    for worker in workers:
        _wait_log(worker, "Registered to")
    out = work / f"c{count}"
    out.mkdir()
    leader = d.create("leader", network, {**mounts, work: "/job"}, cpus=None, command=[
        "python", "-m", "analyzer", "run", "--scheduler", "tcp://scheduler:8786", "--config", "/job/config.json",
        "--data", "/job/data.csv", "--output", f"/job/c{count}", "--base-dir", "/tmp/opt"])
    began = time.perf_counter()
    docker("start", leader)
    code = _wait(leader)
    wall = time.perf_counter() - began
    log = _logs(leader)
    if code != 0:
        raise RuntimeError(f"the job on {count} worker(s) exited {code}: {log[-3000:]}")
    return wall, log, out


SERVE = ROOT / "scripts" / "model_server" / "serve.py"
PARTS = {"b": ("SageMaker hosts (algo-1..N), one --cpus=1 container each", run_hosts),
         "c": ("--scheduler: dask worker containers, --cpus=1 each; leader and scheduler apart", run_scheduler)}


def _image(tag: str | None) -> str:
    if tag:
        return tag
    built = subprocess.run(["bash", str(ROOT / "scripts" / "build-image.sh")], capture_output=True, text=True,
                           env={**os.environ, "IMAGE": os.environ.get("IMAGE", "clarify-analyzer:latest")},
                           timeout=1800)
    if built.returncode != 0:
        raise RuntimeError(f"scripts/build-image.sh failed: {built.stderr[-3000:]}")
    return built.stdout.strip().splitlines()[-1]


def bench(args: argparse.Namespace) -> None:
    image = _image(args.image)
    model = _ensure_model(image)
    d = Docker(image)
    rows = []
    LOGS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="scale-bench-", dir=ROOT / "out") as tmp:
        work = Path(tmp)
        frame = pd.read_csv(ROOT / "data" / "adult" / "adult_test.csv", nrows=args.rows)
        frame.insert(0, "Id", range(len(frame)))
        frame.to_csv(work / "data.csv", index=False)
        (work / "config.json").write_text(json.dumps(_config(args.num_samples)))
        load_before = os.getloadavg()
        try:
            for part in args.parts:
                what, runner = PARTS[part]
                results, cpu = {}, {}
                for n in (1, 2):
                    d.used.clear()
                    sampling = threading.Event()
                    sampler = threading.Thread(target=_sample_cpu, args=(d, sampling), daemon=True)
                    sampler.start()
                    results[n] = runner(d, work, model, n)
                    sampling.set()
                    sampler.join()
                    cpu[n] = sum(d.used.values())
                    (LOGS / f"{part}{n}.log").write_text(results[n][1])   # the leader's log: where the time went
                    d.clean()     # nothing of this run competes with the next
                (wall1, log1, out1), (wall2, log2, out2) = results[1], results[2]
                same_doc = (out1 / "analysis.json").read_bytes() == (out2 / "analysis.json").read_bytes()
                same_local = _local_values(out1).equals(_local_values(out2))
                shap1, shap2 = shap_seconds(log1), shap_seconds(log2)
                rows.append(f"| ({part}) {what} | {args.rows:,} | {wall1:.1f} | {wall2:.1f} | {wall1 / wall2:.2f}x | "
                            f"{shap1 or 0:.1f} | {shap2 or 0:.1f} | {(shap1 or 0) / (shap2 or 1):.2f}x | "
                            f"{cpu[1]:.0f} / {cpu[1] / wall1:.2f} | {cpu[2]:.0f} / {cpu[2] / wall2 / 2:.2f} | "
                            f"{'yes' if same_doc and same_local else 'NO'} |")
                print(rows[-1], flush=True)
        finally:
            d.clean()
    print(f"\nKernel SHAP, {args.rows:,} Adult rows, num_samples {args.num_samples}, 1 baseline row, image {image}; "
          f"load average before {' / '.join(f'{x:.2f}' for x in load_before)}, after "
          f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)\n")
    print("| setup | rows | 1 worker wall s | 2 workers wall s | speed-up | 1 worker SHAP s | 2 workers SHAP s | "
          "SHAP speed-up | 1 worker CPU-s / CPUs got | 2 workers CPU-s / CPUs got per worker | "
          "identical analysis.json + local values |\n|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--num-samples", type=int, default=100)
    parser.add_argument("--parts", nargs="+", choices=sorted(PARTS), default=sorted(PARTS))
    parser.add_argument("--image", help="analyzer image tag (default: build clarify-analyzer:latest from this tree)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))   # clean up as on Ctrl-C
    bench(args)


if __name__ == "__main__":
    main()
