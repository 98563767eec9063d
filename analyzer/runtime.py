"""Processing-job paths and files, all under one overridable base directory (default /opt/ml).

The same code runs in a SageMaker container, on a laptop (``--base-dir`` or ``ANALYZER_BASE_DIR``)
and in tests.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("analyzer.runtime")

DEFAULT_BASE_DIR = "/opt/ml"
BASE_DIR_ENV = "ANALYZER_BASE_DIR"
MESSAGE_LIMIT_BYTES = 1024
SUCCESS_MESSAGE = "Completed: SageMaker XAI Analyzer ran successfully"


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask: a container's cpuset), at least 1."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Runtime:
    base_dir: Path

    @classmethod
    def from_env(cls, base_dir: str | os.PathLike | None = None) -> "Runtime":
        return cls(Path(base_dir or os.environ.get(BASE_DIR_ENV) or DEFAULT_BASE_DIR))

    @property
    def config_dir(self) -> Path:
        return self.base_dir / "processing" / "input" / "config"

    @property
    def config_path(self) -> Path:
        return self.config_dir / "analysis_config.json"

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "processing" / "input" / "data"

    @property
    def output_dir(self) -> Path:
        return self.base_dir / "processing" / "output"

    @property
    def message_path(self) -> Path:
        return self.base_dir / "output" / "message"

    @property
    def resource_config_path(self) -> Path:
        return self.base_dir / "config" / "resourceconfig.json"

    @property
    def processing_job_config_path(self) -> Path:
        return self.base_dir / "config" / "processingjobconfig.json"

    def read_json(self, path: Path) -> dict[str, Any] | None:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("Ignoring unreadable %s: %s", path, exc)
            return None

    def cluster(self) -> tuple[str, list[str]]:
        """(current host, all hosts) from resourceconfig.json; a single local host when absent."""
        resource = self.read_json(self.resource_config_path) or {}
        hosts = list(resource.get("hosts") or ["algo-1"])
        return str(resource.get("current_host") or hosts[0]), hosts

    def write_message(self, text: str) -> None:
        """Write the exit message SageMaker shows as ExitMessage/FailureReason (first 1 KB)."""
        data = text.encode("utf-8")[:MESSAGE_LIMIT_BYTES].decode("utf-8", errors="ignore")
        try:
            self.message_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.message_path.with_name(self.message_path.name + ".tmp")
            tmp.write_text(data, encoding="utf-8")
            tmp.replace(self.message_path)
        except OSError as exc:  # never mask the real outcome because the message file failed
            log.error("Could not write the message file %s: %s", self.message_path, exc)
