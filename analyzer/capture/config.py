"""The analysis config of a run over captured traffic: Model Monitor's partial configs completed.

Model Monitor uploads deliberately partial configs (spec §5.2): the SDK's ``BiasAnalysisConfig``
has no ``dataset_type`` and no ``methods``, ``ExplainabilityAnalysisConfig`` has ``methods.shap``
and a ``predictor`` but no ``dataset_type``. Completed here (INFERRED, documented in the README):

* ``dataset_type`` is ``application/sagemakercapturejson`` (the data is capture files whatever
  the config says; the payload format comes from each event's ``observedContentType``);
* no ``methods``: a config with ``facet`` / ``label_values_or_threshold`` gets pre- and
  post-training bias "all", any other gets ``shap``;
* bias without ``label``: the ground-truth column is named ``label``; post-training bias takes
  its predictions from the captured output (column ``predicted_label`` unless the config names
  one), never from a model.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Mapping, Sequence

from analyzer.capture.reader import DEFAULT_LABEL, DEFAULT_PREDICTED_LABEL
from analyzer.config import AnalysisConfig
from analyzer.config import apply_overrides, parse_config, read_config_file
from analyzer.formats import CAPTURE_JSON

log = logging.getLogger("analyzer.capture")

BIAS_SECTIONS = ("pre_training_bias", "post_training_bias")


def monitor_sections(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """The sections a config without ``methods`` gets: bias for a bias config, else SHAP."""
    if raw.get("methods"):
        return ()
    if raw.get("facet") or raw.get("label_values_or_threshold"):
        return BIAS_SECTIONS
    return ("shap",)


def complete_for_capture(raw: Mapping[str, Any], methods: Sequence[str] = ()) -> dict[str, Any]:
    """``raw`` with what a run over captured data needs filled in (never replacing given values,
    except ``dataset_type``)."""
    out = apply_overrides(raw, methods=tuple(methods) or monitor_sections(raw))
    given = out.get("dataset_type")
    if given and str(given).lower() != CAPTURE_JSON:
        log.info("dataset_type %s describes the training data; captured data is read as %s.", given, CAPTURE_JSON)
    out["dataset_type"] = CAPTURE_JSON
    sections = out.get("methods") or {}
    if any(s in sections for s in BIAS_SECTIONS) and out.get("label") is None:
        out["label"] = DEFAULT_LABEL
    if "post_training_bias" in sections and out.get("predicted_label") is None:
        out["predicted_label"] = DEFAULT_PREDICTED_LABEL   # the captured output, never a model call
    return out


def load_capture_config(path: Path, methods: Sequence[str] = ()) -> AnalysisConfig:
    config = parse_config(complete_for_capture(read_config_file(path), methods), source=str(path))
    log.info("Effective analysis config: %s", json.dumps(config.raw, sort_keys=False))
    return config
