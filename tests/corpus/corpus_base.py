"""The corpus's building blocks: one ``Case`` per bad (or tricky) input, the planted secrets, a
small deterministic dataset and the configs that every case varies.

A case says what goes in (config text or dict, files under the processing input, flags,
environment, a model behaviour) and what must come out: the exit code and a fragment of the
message file's FIRST line (what is wrong and where). The runner (test_corpus.py) checks the rest
for every case alike: no traceback, no partial output, no planted secret anywhere.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, Callable

#: Secrets planted in configs, data and the environment; none may appear in stderr, the message
#: file or any output.
SECRET_PASSWORD = "hunter2-Planted-Pw"
SECRET_KEY_ID = "AKIAPLANTEDKEY000001"
SECRET_ACCESS_KEY = "Pl4nted/SecretAccessKey+0123456789abcdEFG"[:40]
SECRET_TOKEN = "FwoGZXIvYXdzPLANTEDsessionTOKEN0123456789"
SECRET_ATTRIBUTE = "Bearer-planted-custom-attribute-tok"
SECRETS = (SECRET_PASSWORD, SECRET_KEY_ID, SECRET_ACCESS_KEY, SECRET_TOKEN, SECRET_ATTRIBUTE)
SECRET_ENV = {"AWS_ACCESS_KEY_ID": SECRET_KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
              "AWS_SESSION_TOKEN": SECRET_TOKEN}

CONFIG, DATA, ENDPOINT, HOSTILE = "config", "data", "endpoint", "hostile"
MODEL = "{model}"  # replaced by the fault model's URL in configs
MODEL_HOST = "{model_host}"  # replaced by its host:port


@dataclass(frozen=True)
class Case:
    id: str
    kind: str                                   # CONFIG, DATA, ENDPOINT or HOSTILE
    exit: int
    fragment: str                               # must be in the message file's first line
    config: dict[str, Any] | str | bytes | None = None  # None: the default config
    files: dict[str, bytes] = field(default_factory=dict)   # relative to processing/input/data
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    model: str | None = None                    # fault model behaviour (fault_model.BEHAVIOURS)
    setup: Callable[[Any], None] | None = None  # gets the base dir, for paths the case plants
    check: Callable[[Any], None] | None = None  # gets the base dir after the run

    def config_bytes(self, model_url: str) -> bytes:
        config = BIAS if self.config is None else self.config
        if isinstance(config, bytes):
            return config
        text = config if isinstance(config, str) else json.dumps(config)
        host = model_url.split("://", 1)[1].split("/", 1)[0]
        return text.replace(MODEL_HOST, host).replace(MODEL, model_url).encode("utf-8")


def rows(n: int = 60) -> list[list[Any]]:
    """Deterministic rows: age, sex, hours, score, label, pred (label and pred correlate with sex)."""
    out = []
    for i in range(n):
        sex = "F" if i % 3 == 0 else "M"
        label = 1 if (i * 7 + (sex == "M")) % 4 < 2 else 0
        pred = label if i % 5 else 1 - label
        out.append([20 + (i * 13) % 50, sex, 20 + (i * 7) % 40, round(((i * 37) % 100) / 100, 2), label, pred])
    return out


COLUMNS = ["age", "sex", "hours", "score", "label", "pred"]


def csv_text(n: int = 60, header: bool = True, columns: list[str] = COLUMNS) -> str:
    lines = [",".join(columns)] if header else []
    lines += [",".join(map(str, r)) for r in rows(n)]
    return "\n".join(lines) + "\n"


def csv_bytes(n: int = 60, header: bool = True) -> bytes:
    return csv_text(n, header).encode()


BIAS: dict[str, Any] = {
    "dataset_type": "text/csv",
    "label": "label",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}],
    "methods": {"pre_training_bias": {"methods": "all"}},
}
POST = {**BIAS, "predicted_label": "pred",
        "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}}
PREDICTOR = {"endpoint_url": MODEL, "content_type": "text/csv", "accept_type": "text/csv",
             "request_timeout_seconds": 2, "max_retries": 1}
MODELLED = {**BIAS, "excluded_columns": ["pred"],
            "methods": {"post_training_bias": {"methods": ["DPPL", "DI"]}}, "predictor": PREDICTOR}
SHAP = {**MODELLED, "methods": {"shap": {"baseline": [[40, "M", 30, 0.5]], "num_samples": 20, "seed": 1}}}
DATA_FILE = {"data.csv": csv_bytes()}


def with_(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``base`` with the dotted ``path`` set (``[i]`` indexes lists); ``DELETE`` removes it."""
    out = copy.deepcopy(base)
    node: Any = out
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    last = parts[-1]
    if value is DELETE:
        del node[int(last) if last.isdigit() else last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return out


DELETE = object()
