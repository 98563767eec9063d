"""Scale-out knobs: where the Dask scheduler is, how many worker processes and threads a host runs,
records per task, and requests in flight per worker; from flags, then the environment, then defaults
derived from the machine. Checked here (exit 2 naming the knob); dask itself is not imported."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Mapping

from analyzer.errors import ConfigError

log = logging.getLogger("sagemaker-clarify-processing")

SCHEDULER_ENV = "ANALYZER_DASK_SCHEDULER"
#: knob -> (flag, environment variable, lowest, highest)
BOUNDS: dict[str, tuple[str, str, int, int]] = {
    "workers": ("--dask-workers", "ANALYZER_DASK_WORKERS", 1, 256),
    "threads": ("--dask-threads", "ANALYZER_DASK_THREADS", 1, 64),
    "chunk_rows": ("--dask-chunk-rows", "ANALYZER_DASK_CHUNK_ROWS", 1, 10_000_000),
    "in_flight": ("--dask-in-flight", "ANALYZER_DASK_IN_FLIGHT", 1, 256),
    "lost_timeout": ("--dask-lost-timeout", "ANALYZER_DASK_LOST_TIMEOUT", 1, 3600),
}
#: Memory one worker process should have for a model client and a chunk of synthetic rows.
WORKER_MEMORY_BYTES = 1 << 30
DEFAULT_LOST_TIMEOUT_S = 60


@dataclass(frozen=True)
class ScaleSettings:
    """``scheduler``: an existing cluster's address (None: none, or the multi-host job's own).
    ``workers`` x ``threads``: worker processes and threads per process this host starts (multi-host
    jobs). ``chunk_rows``: records per task (None: about four tasks per worker thread).
    ``in_flight``: model requests each worker keeps in flight (None: the predictor's default).
    ``lost_timeout``: seconds the job waits with no worker before failing."""

    scheduler: str | None = None
    workers: int = 1
    threads: int = 1
    chunk_rows: int | None = None
    in_flight: int | None = None
    lost_timeout: int = DEFAULT_LOST_TIMEOUT_S

    def describe(self) -> str:
        chunk = self.chunk_rows or "auto"
        flight = self.in_flight or "the predictor's default"
        return (f"{self.workers} worker process(es) x {self.threads} thread(s) per host, {chunk} records per "
                f"task, {flight} requests in flight per worker, fail after {self.lost_timeout} s without workers")


def default_workers(cpus: int | None = None, memory: int | None = None) -> int:
    """One worker process per CPU, as many as the memory holds (at least one)."""
    cpus = cpus or os.cpu_count() or 1
    memory = memory if memory is not None else _memory_bytes()
    by_memory = max(1, memory // WORKER_MEMORY_BYTES) if memory else cpus
    return max(1, min(cpus, by_memory))


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def _number(knob: str, flag_value: int | str | None, environ: Mapping[str, str]) -> int | None:
    flag, env, low, high = BOUNDS[knob]
    raw, source = (flag_value, flag) if flag_value is not None else (environ.get(env), env)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: {raw!r} is not a whole number; give {low}..{high}.") from None
    if not low <= value <= high:
        raise ConfigError(f"{source}: {value} is out of range; give {low}..{high}.")
    return value


def scale_settings(flags: Mapping[str, int | str | None] | None = None,
                   environ: Mapping[str, str] | None = None) -> ScaleSettings:
    """The knobs from ``flags`` (knob name -> flag value or None) and the environment."""
    flags = flags or {}
    environ = os.environ if environ is None else environ
    scheduler = flags.get("scheduler") or environ.get(SCHEDULER_ENV) or None
    if scheduler is not None and not str(scheduler).strip():
        scheduler = None
    values = {knob: _number(knob, flags.get(knob), environ) for knob in BOUNDS}
    return ScaleSettings(
        scheduler=str(scheduler).strip() if scheduler else None,
        workers=values["workers"] or default_workers(),
        threads=values["threads"] or 1,
        chunk_rows=values["chunk_rows"],
        in_flight=values["in_flight"],
        lost_timeout=values["lost_timeout"] or DEFAULT_LOST_TIMEOUT_S,
    )
