"""Baselines of the asymmetric Shapley game (``methods.asymmetric_shapley_value.baseline``): what an
absent cell of an item's history is replaced by.

- ``{"target_time_series": "zero"|"mean", "related_time_series": "zero"|"mean"}`` (default zero for
  both): zero, or the item's own mean of that series;
- ``"static_covariates": {<item_id>: [one value per covariate]}``: the values absent static
  covariates take; every item needs an entry (item ids are JSON keys, so they match as text);
- a string: a dataset file (local path or S3 URI) in the dataset's own format and
  ``time_series_data_config``, holding per item id the baseline series (same lengths as the item's)
  and static covariates.

Static covariates are players only with ``fine_grained`` granularity and a static baseline; they
then join before the first time step (INFERRED: item metadata precede its history). Otherwise they
keep the item's values in every coalition.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from analyzer.data import SeriesItem, TimeSeriesData
from analyzer.errors import ConfigError, DataError

log = logging.getLogger("analyzer.explain")

KEY = "methods.asymmetric_shapley_value.baseline"
KINDS = ("zero", "mean")


@dataclass(frozen=True)
class ItemBaseline:
    target: np.ndarray               # (T_x,)
    related: np.ndarray              # (T, R)
    static: tuple[Any, ...] | None   # None: static covariates are not players


def _kind(spec: Mapping[str, Any], key: str) -> str:
    kind = str(spec.get(key, "zero")).lower()
    if kind not in KINDS:
        raise ConfigError(f"{KEY}.{key}: {spec.get(key)!r} is not one of zero, mean.")
    return kind


def _fill(values: np.ndarray, kind: str) -> np.ndarray:
    if kind == "zero" or values.size == 0:
        return np.zeros_like(values, dtype=float)
    return np.broadcast_to(values.mean(axis=0), values.shape).astype(float)


class Baselines:
    """The baseline of every item, checked against the data before any model call."""

    def __init__(self, spec: Any, data: TimeSeriesData, granularity: str,
                 file_data: TimeSeriesData | None = None, uri: str = "") -> None:
        self.data = data
        self.uri = uri
        self.spec = spec if isinstance(spec, Mapping) else {}
        self.file_data = file_data
        self.target_kind = _kind(self.spec, "target_time_series")
        self.related_kind = _kind(self.spec, "related_time_series")
        static = self.spec.get("static_covariates")
        if static is not None and not data.static_names:
            raise ConfigError(f"{KEY}.static_covariates: given, but time_series_data_config names no "
                              "static_covariates.")
        if static is not None and not isinstance(static, Mapping):
            raise ConfigError(f"{KEY}.static_covariates: expected an object {{item_id: [values]}}.")
        self.static = {str(k): v for k, v in (static or {}).items()}
        self.static_players = granularity == "fine_grained" and bool(data.static_names) and (
            static is not None or (file_data is not None and bool(file_data.static_names)))
        if (static is not None or file_data is not None) and data.static_names and not self.static_players:
            log.info("Static covariates keep each item's values: they are players only with fine_grained "
                     "granularity.")
        for item in data.items:   # every problem before the first request
            self.of(item)

    def of(self, item: SeriesItem) -> ItemBaseline:
        if self.file_data is not None:
            return self._from_file(item)
        static = None
        if self.static_players:
            values = self.static.get(str(item.item_id))
            if not isinstance(values, list):
                raise ConfigError(f"{KEY}.static_covariates: no list of values for item {item.item_id!r}; every "
                                  "item needs one.")
            if len(values) != len(self.data.static_names):
                raise ConfigError(f"{KEY}.static_covariates: item {item.item_id!r} has {len(values)} values for "
                                  f"{len(self.data.static_names)} static covariates.")
            static = tuple(values)
        return ItemBaseline(_fill(item.target, self.target_kind), _fill(item.related, self.related_kind), static)

    def _from_file(self, item: SeriesItem) -> ItemBaseline:
        assert self.file_data is not None
        base = self.file_data.item(item.item_id)
        where = f"The baseline dataset ({self.uri})"
        if base is None:
            raise DataError(f"{where} has no item {item.item_id!r}; it needs every item of the dataset.")
        if len(base.target) < len(item.target) or base.related.shape != item.related.shape:
            raise DataError(f"{where}: item {item.item_id!r} has {len(base.target)} target and "
                            f"{len(base.related)} related steps; the dataset's item has {len(item.target)} and "
                            f"{len(item.related)}.")
        static = tuple(base.static) if self.static_players else None
        return ItemBaseline(base.target[:len(item.target)].astype(float), base.related.astype(float), static)


def load_baselines(spec: Any, data: TimeSeriesData, granularity: str, ts_config: Mapping[str, Any],
                   headers: Any) -> Baselines:
    """The baselines for ``spec`` (a dict, a file URI or None)."""
    if isinstance(spec, str):
        from analyzer.data import read_time_series, source_names
        from analyzer.storage import fetch

        files = fetch(spec, what="time series baseline")
        file_data = read_time_series(files, ts_config, headers, what="baseline", names=source_names(spec, files))
        return Baselines({}, data, granularity, file_data, spec)
    if spec is not None and not isinstance(spec, Mapping):
        raise ConfigError(f"{KEY}: expected an object or a file URI.")
    return Baselines(spec, data, granularity)
