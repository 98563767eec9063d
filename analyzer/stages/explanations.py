"""The explainability stage: config + dataset + predictor → Kernel SHAP / PDP results and their files.

The glue between the config and the numeric layer in :mod:`analyzer.explain`, which knows nothing of
configs, files or endpoints.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from analyzer.config import AnalysisConfig
from analyzer.data import Dataset
from analyzer.errors import ConfigError, DataError, EndpointError
from analyzer.explain import (
    DEFAULT_MAX_ROWS_PER_CALL,
    MAX_AUTO_CLUSTERS,
    Explanation,
    PdpSettings,
    ShapSettings,
    explain,
    parse_baseline,
)
from analyzer.formats import ReadRequest, dataset_format
from analyzer.output import OutputWriter
from analyzer.predictor import Predictor

if TYPE_CHECKING:
    from analyzer.stages.image_explanations import ImageExplanationResult
    from analyzer.stages.text_explanations import TextExplanationResult

log = logging.getLogger("analyzer.explain")

LOCAL_VALUES_FILE = "explanations_shap/out.csv"
BASELINE_FILE = "explanations_shap/baseline.csv"


def _baseline_file(uri: str, config: AnalysisConfig, features: pd.DataFrame) -> pd.DataFrame:
    """A baseline given as a file (local path or S3 URI), in the dataset's format, features only. It is
    read like the dataset, with the feature names as headers (a CSV header row equal to them is skipped)."""
    from analyzer.storage import fetch

    files = fetch(uri, what="SHAP baseline")
    request = ReadRequest(headers=list(features.columns), features=config.features)
    try:
        table = dataset_format(config.dataset_type).read(files, request)
    except ConfigError as exc:  # the width that does not fit is the baseline file's, not the config's
        raise DataError(f"SHAP baseline {uri}: {exc.message}") from None
    return parse_baseline(table.frame.values.tolist(), features)


def model_scores(predictor: Predictor):
    """The callable Kernel SHAP and PDP evaluate: frame → (n, D) scores (numeric labels when the model
    returns no scores, e.g. a regression model)."""

    def predict(frame: pd.DataFrame) -> np.ndarray:
        output = predictor.predict(frame)
        if output.scores is not None:
            return output.scores
        labels = output.labels if output.labels is not None else np.array([])
        try:
            return np.asarray(labels, dtype=float).reshape(len(frame), -1)
        except (TypeError, ValueError):
            raise EndpointError("SHAP and PDP explain numeric model outputs, but the model returned labels "
                                f"such as {labels[:3].tolist()}; set predictor.probability to the "
                                "scores.") from None

    return predict


class Explained(Protocol):
    """What the job, the reports and the segments read of an explanation result: tabular
    (:class:`ExplanationResult`), streamed, text, image or time series."""

    explanation: Explanation
    dataset: Dataset

    def section(self) -> dict: ...

    def local_values(self) -> pd.DataFrame | None: ...

    def write(self, writer: OutputWriter) -> None: ...


@dataclass
class ExplanationResult:
    explanation: Explanation
    dataset: Dataset

    def section(self) -> dict:
        return self.explanation.explanations()

    def local_values(self) -> pd.DataFrame | None:
        join = self.dataset.join_column
        values = self.dataset.frame[join].to_numpy() if join else None
        return self.explanation.local_values_frame(join_column=join, join_values=values)

    def write(self, writer: OutputWriter, parts: int = 1) -> None:
        """The baseline and the local values: one ``out.csv``, or with ``parts`` > 1 (multi-host jobs)
        Clarify's multi-instance layout, part files with a header each under ``out.csv/``."""
        baseline = self.explanation.baseline_frame()
        if baseline is not None:
            writer.write_csv(BASELINE_FILE, baseline)
            log.info("Wrote baseline used to compute explanations to: %s", writer.output_dir / BASELINE_FILE)
        local = self.local_values()
        if local is None:
            return
        if parts <= 1:
            writer.write_csv(LOCAL_VALUES_FILE, local)
        else:
            if self.dataset.join_column is None:
                log.warning("Local SHAP values in %d part files without joinsource_name_or_index: their rows are "
                            "in dataset order, part after part.", parts)
            bounds = np.linspace(0, len(local), parts + 1).astype(int)
            for i in range(parts):
                writer.write_csv(f"{LOCAL_VALUES_FILE}/part-{i:05d}.csv", local.iloc[bounds[i]:bounds[i + 1]])
        log.info("Wrote %d local explanations to: %s", len(local), writer.output_dir / LOCAL_VALUES_FILE)


def _check_features(config: AnalysisConfig, names: list[str]) -> None:
    """Feature selections name real features, checked before the first model call."""
    selections = (("methods.shap.features_to_explain", config.methods.shap and config.methods.shap.features_to_explain),
                  ("methods.pdp.features", config.methods.pdp and config.methods.pdp.features))
    for key, chosen in selections:
        for item in chosen or ():
            ok = (0 <= item < len(names)) if isinstance(item, int) else item in names
            if not ok:
                raise ConfigError(f"{key}: {item!r} is not a feature; the {len(names)} features are "
                                  f"{', '.join(names[:40])}{', ...' if len(names) > 40 else ''}.")


def _check_size(records: int, columns: int, shap: ShapSettings | None, pdp: PdpSettings | None) -> None:
    """The model rows this job will ask for, logged, and refused when absurd (analyzer.stages.model_rows)."""
    from analyzer.stages.model_rows import check_model_rows, estimated_model_rows

    players = (len(shap.features_to_explain or ()) or columns) if shap else 0
    base = (len(shap.baseline) if shap.baseline is not None else shap.num_clusters or MAX_AUTO_CLUSTERS) if shap else 0
    pdp_features = (len(pdp.features or ()) or pdp.top_k_features) if pdp else 0
    grid = pdp.grid_resolution if pdp else 0
    rows = estimated_model_rows(records, players, shap.num_samples if shap else None, base, pdp_features, grid)
    check_model_rows(rows, f"{records:,} records x {players} features, {base} baseline rows"
                     + (f", PDP {pdp_features} features x {grid} grid points" if pdp else ""))


def settings(config: AnalysisConfig, features: pd.DataFrame,
             rows: int | None) -> tuple[ShapSettings | None, PdpSettings | None]:
    """``methods.shap`` / ``methods.pdp`` as the numeric layer takes them (tabular Kernel SHAP); the
    baseline parsed against ``features`` (rows or only the columns: their names and types)."""
    labels = list(config.predictor.label_headers) if config.predictor and config.predictor.label_headers else None
    shap = pdp = None
    if config.methods.shap is not None:
        s = config.methods.shap
        baseline = None
        if isinstance(s.baseline, str):
            baseline = _baseline_file(s.baseline, config, features)
        elif s.baseline is not None:
            try:
                baseline = parse_baseline(s.baseline, features, dataset_type=config.dataset_type,
                                          features=config.features)
            except DataError as exc:  # an inline baseline is part of the config: fixed there
                raise ConfigError(exc.message) from None
        log.info("SHAP n_samples %s", s.num_samples if s.num_samples is not None else "auto")
        shap = ShapSettings(baseline=baseline, num_clusters=s.num_clusters, num_samples=s.num_samples, seed=s.seed,
                            agg_method=s.agg_method, use_logit=s.use_logit,
                            save_local_shap_values=s.save_local_shap_values,
                            features_to_explain=s.features_to_explain, label_names=labels,
                            max_rows_per_call=rows or DEFAULT_MAX_ROWS_PER_CALL, algorithm=s.algorithm)
    if config.methods.pdp is not None:
        p = config.methods.pdp
        pdp = PdpSettings(features=p.features, grid_resolution=p.grid_resolution, top_k_features=p.top_k_features,
                          label_names=labels, max_rows_per_call=rows or DEFAULT_MAX_ROWS_PER_CALL)
    return shap, pdp


def check_job(config: AnalysisConfig, records: int, features: pd.DataFrame, shap: ShapSettings | None,
              pdp: PdpSettings | None) -> None:
    """Feature selections name features; the model rows the job will ask for are not absurd."""
    _check_features(config, [str(c) for c in features.columns])
    _check_size(records, features.shape[1], shap, pdp)


def run_explanations(config: AnalysisConfig, dataset: Dataset,
                     predictor: Predictor) -> ExplanationResult | TextExplanationResult | ImageExplanationResult:
    features = dataset.feature_frame()
    if config.methods.shap is not None and config.methods.shap.image_config is not None:  # segments as players
        from analyzer.stages.image_explanations import run_image_explanations

        return run_image_explanations(config, dataset, predictor)
    shap, pdp = settings(config, features, predictor.max_rows_per_call)
    if config.methods.shap is not None and config.methods.shap.text_config is not None:  # units of text: own stage
        from analyzer.stages.text_explanations import run_text_explanations

        assert shap is not None
        labels = list(shap.label_names) if shap.label_names is not None else None
        return run_text_explanations(config, dataset, model_scores(predictor), shap.baseline, labels,
                                     predictor.max_rows_per_call)
    if shap is not None:
        log.info("Shap analyzer: explaining %d rows, %d columns...", len(features), features.shape[1])
    if pdp is not None:
        log.info("Calculating partial dependence plots")
    check_job(config, len(features), features, shap, pdp)
    explanation = explain(model_scores(predictor), features, shap=shap, pdp=pdp,
                          tree_sources=getattr(predictor, "tree_sources", None),
                          shap_runner=getattr(predictor, "shap_runner", None))   # Dask: shards on workers
    return ExplanationResult(explanation=explanation, dataset=dataset)
