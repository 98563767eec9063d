"""The time-series explainability stage (``methods.asymmetric_shapley_value``): dataset per
``time_series_data_config`` → the forecasting model → asymmetric Shapley values per item →
``analysis.json``'s entry and ``asymmetric_shapley_value/<granularity>_<direction>/out.jsonl``.

Each item is its own game (:mod:`analyzer.explain.asymmetric`): the players are its time steps
(timewise) or its cells (fine_grained); a coalition becomes one forecast request whose absent cells
hold the baseline's values. The coalitions of many items go to the model together, in calls of the
predictor's suggested size, so requests stay full whatever the item lengths.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd

from analyzer.config import AnalysisConfig
from analyzer.data import Dataset, SeriesItem, TimeSeriesData, read_time_series
from analyzer.errors import ConfigError, DataError, EndpointError
from analyzer.explain import (
    METHOD_KEY,
    AsymmetricResult,
    Baselines,
    Explanation,
    ItemBaseline,
    Plan,
    analysis_entry,
    check_settings,
    item_line,
    load_baselines,
    plan,
    results_path,
)
from analyzer.output import OutputWriter
from analyzer.predictor import ForecastRecord, Predictor, open_forecaster, record_frame
from analyzer.progress import Progress

log = logging.getLogger("analyzer.explain")

SEED = 0   # Clarify's config has no seed for this method: sampled orderings are the same on every run
#: More forecasts than this is days of endpoint time: refused up front, naming what drives the count.
MAX_FORECASTS = 50_000_000
#: Series values held in pending records before they go to the model (bounds memory for long histories).
MAX_PENDING_VALUES = 4_000_000
MAX_BLOCK_CELLS = 500_000_000


@dataclass(frozen=True)
class Settings:
    direction: str
    granularity: str
    num_samples: int | None


def settings(config: AnalysisConfig) -> Settings:
    raw = dict(config.methods.asymmetric_shapley_value or {})
    s = Settings(str(raw.get("direction", "chronological")).lower(), str(raw.get("granularity", "timewise")).lower(),
                 raw.get("num_samples"))
    check_settings(s.direction, s.granularity, s.num_samples)
    return s


@dataclass
class TimeSeriesResult:
    """What the job writes and reports (the interface of ``analyzer.stages.ExplanationResult``)."""

    settings: Settings
    lines: list[dict[str, Any]]
    entry: dict[str, str]
    dataset: Dataset
    data: TimeSeriesData
    explanation: Explanation

    @property
    def time_series(self) -> dict[str, Any]:
        """The report's input: the settings, the series names and every item's line."""
        return {"direction": self.settings.direction, "granularity": self.settings.granularity,
                "target": self.data.target_name, "lines": self.lines}

    def section(self) -> dict[str, Any]:
        return {METHOD_KEY: self.entry}

    def local_values(self) -> None:
        return None

    def write(self, writer: OutputWriter) -> None:
        relative = results_path(self.settings.granularity, self.settings.direction)
        writer.write_text(relative, "".join(json.dumps(line) + "\n" for line in self.lines))
        log.info("Wrote %d lines to %s", len(self.lines), writer.output_dir / relative)


class _Game:
    """One item's game: masks → forecast records (absent cells from the baseline)."""

    def __init__(self, item: SeriesItem, base: ItemBaseline, s: Settings) -> None:
        self.item, self.base = item, base
        self.lead = 1 if base.static is not None else 0            # a leading step of static players
        steps, series = len(item.timestamps), 1 + item.related.shape[1]
        width = max(series, len(item.static)) if self.lead else series
        self.plan: Plan = plan(steps + self.lead, width, direction=s.direction, granularity=s.granularity,
                               num_samples=s.num_samples, seed=SEED)
        self.cells = (steps + self.lead) * width

    def record(self, mask: np.ndarray) -> ForecastRecord:
        item, base, cells = self.item, self.base, mask[self.lead:]
        known = len(item.target)
        target = np.where(cells[:known, 0], item.target, base.target)
        related = np.where(cells[:, 1:1 + item.related.shape[1]], item.related, base.related)
        static = item.static
        if base.static is not None:
            static = tuple(v if mask[0, j] else b for j, (v, b) in enumerate(zip(item.static, base.static)))
        return ForecastRecord(item.timestamps[0], target.tolist(), related.T.tolist(), list(static))


def _blocks(games: list[_Game]) -> Iterator[tuple[int, int, np.ndarray]]:
    for i, game in enumerate(games):
        for b in range(game.plan.blocks):
            yield i, b, game.plan.block(b)


def _evaluate(games: list[_Game], predictor: Predictor, done: Callable[[int, AsymmetricResult], None]) -> None:
    """Every game's coalitions through the model, several items per call; ``done(i, result)`` as each finishes."""
    budget = max(1, predictor.max_rows_per_call)
    total = sum(g.plan.evaluations for g in games)
    log.info("Asymmetric Shapley values: %d items, %d forecasts to request", len(games), total)
    outputs: dict[int, list[np.ndarray]] = {}
    pending: list[tuple[int, int, int]] = []
    records: list[ForecastRecord] = []
    with Progress(total, "Forecasts for asymmetric Shapley values") as progress:
        def flush() -> None:
            if not records:
                return
            scores = predictor.predict(record_frame(records)).scores
            if scores is None or len(scores) != len(records):
                raise EndpointError("The forecasting model returned no forecasts for a batch of records.")
            at = 0
            for i, b, n in pending:
                outputs.setdefault(i, []).append(scores[at:at + n])
                at += n
                if b == games[i].plan.blocks - 1:
                    done(i, games[i].plan.finish(outputs.pop(i)))
            progress.advance(len(records))
            pending.clear()
            records.clear()

        values = 0
        for i, b, masks in _blocks(games):
            records.extend(games[i].record(m) for m in masks)
            pending.append((i, b, len(masks)))
            values += len(masks) * masks.shape[1] * masks.shape[2]
            if len(records) >= budget or values >= MAX_PENDING_VALUES:
                flush()
                values = 0
        flush()


def _long_frame(data: TimeSeriesData) -> Dataset:
    """The items as one long table (item, timestamp, series...) for the report's dataset facts."""
    rows = []
    for item in data.items:
        for t, stamp in enumerate(item.timestamps):
            target = item.target[t] if t < len(item.target) else np.nan
            rows.append([item.item_id, stamp, target, *item.related[t]])
    columns = ["item_id", "timestamp", data.target_name, *data.related_names]
    frame = pd.DataFrame(rows, columns=columns)
    return Dataset(frame=frame, features=tuple(columns[2:]), label=None, predicted_label=None, facets=(),
                   group_variable=None, join_column=None)


def results_uri(output_dir: Path, relative: str, job_config: dict | None) -> str:
    """Where out.jsonl ends up: the S3 location of the processing output when the job config names
    one for ``output_dir`` (as Clarify reports it), else the local path."""
    outputs = ((job_config or {}).get("ProcessingOutputConfig") or {}).get("Outputs") or []
    for output in outputs:
        s3 = output.get("S3Output") or {}
        if s3.get("LocalPath") and Path(s3["LocalPath"]) == Path(output_dir) and s3.get("S3Uri"):
            return s3["S3Uri"].rstrip("/") + "/" + relative
    return str(Path(output_dir) / relative)


def run_time_series(config: AnalysisConfig, uri: str | Path, output_dir: Path,
                    job_config: dict | None = None) -> TimeSeriesResult:
    from analyzer.data import resolve_files, source_names

    ts = config.time_series_data_config
    if ts is None or config.methods.asymmetric_shapley_value is None:
        raise ConfigError("time_series_data_config and methods.asymmetric_shapley_value go together.")
    s = settings(config)
    files = resolve_files(uri, content_type=config.dataset_type)
    log.info("Dataset type: %s uri: %s (time series, %s)", config.dataset_type, uri, ts.get("dataset_format"))
    data = read_time_series(files, ts, config.headers, names=source_names(uri, files))
    log.info("Time series: %d items; target %s; related %s; static %s", len(data.items), data.target_name,
             list(data.related_names), list(data.static_names))
    baselines: Baselines = load_baselines(config.methods.asymmetric_shapley_value.get("baseline"), data,
                                          s.granularity, ts, config.headers)
    games = [_Game(item, baselines.of(item), s) for item in data.items]
    total = sum(g.plan.evaluations for g in games)
    block = max((g.plan.evaluations // g.plan.blocks * g.cells for g in games if g.plan.blocks), default=0)
    if block > MAX_BLOCK_CELLS:   # one step's coalitions are built at once
        raise ConfigError(f"methods.asymmetric_shapley_value.num_samples ({s.num_samples}): one time step's "
                          f"coalitions would hold {block:,} cells at once, more than {MAX_BLOCK_CELLS:,}; lower "
                          "num_samples.")
    if total > MAX_FORECASTS:
        driver = (f"methods.asymmetric_shapley_value.num_samples ({s.num_samples})" if s.granularity == "fine_grained"
                  else "the dataset's items and time steps")
        error = ConfigError if s.granularity == "fine_grained" else DataError
        raise error(f"{driver}: this job would request {total:,} forecasts, more than {MAX_FORECASTS:,}; lower "
                    "num_samples or explain fewer items or shorter histories.")
    results: dict[int, AsymmetricResult] = {}
    with open_forecaster(config, len(data.related_names), len(data.static_names)) as predictor:
        _evaluate(games, predictor, results.__setitem__)
    names = [data.target_name, *data.related_names]
    lines = [item_line(g.item.item_id, results[i], g.item.timestamps, names, target_steps=len(g.item.target),
                       static_names=data.static_names if g.lead else ()) for i, g in enumerate(games)]
    relative = results_path(s.granularity, s.direction)
    entry = analysis_entry(s.direction, s.granularity, results_uri(output_dir, relative, job_config))
    return TimeSeriesResult(s, lines, entry, _long_frame(data), data, Explanation(shap_settings=None))
