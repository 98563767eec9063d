"""Time-series explanations through the whole job: an autoregressive forecaster fitted in the test and
served over HTTP (tests/forecast_model.py), asymmetric Shapley values checked against brute-force
enumeration of every ordering the causal order allows (computed here from the model directly),
efficiency for every item, Clarify's output shapes (spec §3.5), and the errors people meet."""
from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analyzer.cli import main
from analyzer.config import parse_config
from analyzer.stages.time_series import run_time_series
from forecast_model import H, ForecastModel, serving, weather_records

RECORD = '{"start": $start_time, "target": $target_time_series, "dynamic_feat": $related_time_series}'
RECORDS_FORMAT = {"dataset_format": "timestamp_records", "item_id": "[].item_id", "timestamp": "[].timestamp",
                  "target_time_series": "[].p_mbar", "related_time_series": ["[].rain_mm", "[].T_degC"]}


@pytest.fixture(scope="module")
def model() -> ForecastModel:
    return ForecastModel.fitted()


def _config(url: str, method: dict, ts: dict = RECORDS_FORMAT, **predictor: Any) -> dict:
    return {"dataset_type": "application/json", "methods": {"asymmetric_shapley_value": method},
            "predictor": {"endpoint_url": url, "content_type": "application/json", "accept_type": "application/json",
                          "content_template": '{"instances": $records}', "record_template": RECORD,
                          "time_series_predictor_config": {"forecast": "predictions[*].mean"}, **predictor},
            "time_series_data_config": ts}


# -- the independent computation -----------------------------------------------------------------------
def _items(records: list[dict], statics: tuple[str, ...] = ()) -> dict[str, dict]:
    """Per item: timestamps, known target, related series, static values (sorted by time)."""
    out: dict[str, dict] = {}
    for r in sorted(records, key=lambda r: r["timestamp"]):
        item = out.setdefault(r["item_id"], {"stamps": [], "x": [], "rel": [[], []],
                                             "static": [r[s] for s in statics]})
        item["stamps"].append(r["timestamp"])
        if "p_mbar" in r:
            item["x"].append(r["p_mbar"])
        item["rel"][0].append(r["rain_mm"])
        item["rel"][1].append(r["T_degC"])
    return out


def _forecast(model: ForecastModel, item: dict, base: dict, present: set) -> np.ndarray:
    x = [v if ("x", t) in present else base["x"][t] for t, v in enumerate(item["x"])]
    rel = [[v if ("r", i, t) in present else base["rel"][i][t] for t, v in enumerate(s)]
           for i, s in enumerate(item["rel"])]
    cat = [v if ("s", j) in present else base["static"][j] for j, v in enumerate(item["static"])]
    return np.array(model.forecast({"target": x, "dynamic_feat": rel, "cat": cat or [0.0]}))


def _step_cells(item: dict, t: int) -> list[tuple]:
    return ([("x", t)] if t < len(item["x"]) else []) + [("r", i, t) for i in range(len(item["rel"]))]


def brute_force(model: ForecastModel, item: dict, base: dict, groups: list[list[tuple]],
                orders: list[list[int]] | None = None) -> tuple[dict, np.ndarray]:
    """Mean marginal contribution of every cell over the allowed orderings: ``groups`` join in the
    given order (or each order in ``orders``), the cells within a group in every order."""
    totals: dict[tuple, np.ndarray] = {}
    count = 0
    for order in orders or [list(range(len(groups)))]:
        for inner in itertools.product(*(itertools.permutations(groups[g]) for g in order)):
            count += 1
            present: set = set()
            before = _forecast(model, item, base, present)
            for cell in itertools.chain.from_iterable(inner):
                present.update(cell if isinstance(cell[0], tuple) else [cell])   # a whole step, or one cell
                after = _forecast(model, item, base, present)
                totals[cell] = totals.get(cell, 0) + after - before
                before = after
    return {c: v / count for c, v in totals.items()}, _forecast(model, item, base, set())


def _cell(entry: dict, item: dict, names: list[str], statics: tuple[str, ...] = ()) -> tuple:
    name = entry["feature_name"]
    if name in statics:
        return ("s", statics.index(name))
    t = item["stamps"].index(entry["timestamp"])
    return ("x", t) if name == names[0] else ("r", names.index(name) - 1, t)


def _check_efficiency(line: dict, model: ForecastModel, item: dict) -> None:
    full = model.forecast({"target": item["x"], "dynamic_feat": item["rel"], "cat": item["static"] or [0.0]})
    total = np.array(line["offset"]) + np.sum([e["scores"] for e in line["explanations"]], axis=0)
    np.testing.assert_allclose(total, full, atol=1e-8)


# -- through the CLI --------------------------------------------------------------------------------------
@pytest.mark.slow   # one whole job with its reports
def test_fine_grained_values_equal_enumeration_through_the_job(tmp_path: Path, model: ForecastModel) -> None:
    records = weather_records({"sanjose": 3, "seattle": 2}, horizon=1)
    (tmp_path / "data.json").write_text(json.dumps(records))
    with serving(model) as url:
        config = _config(url, {"direction": "chronological", "granularity": "fine_grained", "num_samples": 8,
                               "baseline": {"target_time_series": "mean", "related_time_series": "zero"}})
        config["headers"] = ["item_id", "timestamp", "p_mbar", "rain_mm", "T_degC"]
        config["methods"]["report"] = {"name": "report", "title": "Analysis Report"}
        (tmp_path / "config.json").write_text(json.dumps(config))
        code = main(["run", "--config", str(tmp_path / "config.json"), "--data", str(tmp_path / "data.json"),
                     "--output", str(tmp_path / "out"), "--base-dir", str(tmp_path / "ml")])
    assert code == 0
    out = tmp_path / "out"
    analysis = json.loads((out / "analysis.json").read_text())
    path = out / "asymmetric_shapley_value" / "fine_grained_chronological" / "out.jsonl"
    assert analysis == {"version": "1.0", "explanations": {"asymmetric_shapley_value": {
        "direction": "chronological", "granularity": "fine_grained", "explanation_results_path": str(path)}}}
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    items = _items(records)
    assert [line["item_id"] for line in lines] == list(items)
    assert len(model.requests) < sum((len(i["stamps"])) * 8 for i in items.values())   # $records: batched
    names = ["p_mbar", "rain_mm", "T_degC"]
    for line in lines:
        item = items[line["item_id"]]
        assert list(line) == ["item_id", "offset", "explanations"] and len(line["offset"]) == H
        assert all(list(e) == ["feature_name", "timestamp", "scores"] for e in line["explanations"])
        # AWS's order: each series over its timestamps; the target stops where its values stop
        assert [(e["feature_name"], e["timestamp"]) for e in line["explanations"]] == (
            [("p_mbar", s) for s in item["stamps"][:len(item["x"])]]
            + [(n, s) for n in names[1:] for s in item["stamps"]])
        base = {"x": [float(np.mean(item["x"]))] * len(item["x"]), "rel": [[0.0] * len(s) for s in item["rel"]],
                "static": []}
        groups = [_step_cells(item, t) for t in range(len(item["stamps"]))]
        expected, offset = brute_force(model, item, base, groups)
        np.testing.assert_allclose(line["offset"], offset, atol=1e-8)
        for entry in line["explanations"]:
            np.testing.assert_allclose(entry["scores"], expected[_cell(entry, item, names)], atol=1e-6)
        _check_efficiency(line, model, item)
    html = (out / "report.html").read_text()
    assert "Time series explanations" in html and "sanjose" in html


def _run_stage(tmp_path: Path, config: dict, records: list, baseline_file: list | None = None):
    (tmp_path / "data.json").write_text(json.dumps(records))
    if baseline_file is not None:
        (tmp_path / "baseline.json").write_text(json.dumps(baseline_file))
        config["methods"]["asymmetric_shapley_value"]["baseline"] = str(tmp_path / "baseline.json")
    return run_time_series(parse_config(config), tmp_path / "data.json", tmp_path / "out")


def test_static_covariates_are_players_with_a_static_baseline(tmp_path: Path, model: ForecastModel) -> None:
    """item_records, one record per request: the static covariate joins before the first step."""
    flat = weather_records({"a": 2, "b": 3}, horizon=0)
    doc = [{"id": item, "elev": next(r["elev"] for r in flat if r["item_id"] == item),
            "series": [{k: r[k] for k in ("timestamp", "p_mbar", "rain_mm", "T_degC")}
                       for r in flat if r["item_id"] == item]} for item in ("a", "b")]
    ts = {"dataset_format": "item_records", "item_id": "[*].id", "timestamp": "[*].series[].timestamp",
          "target_time_series": "[*].series[].p_mbar",
          "related_time_series": ["[*].series[].rain_mm", "[*].series[].T_degC"], "static_covariates": ["[*].elev"]}
    static_base = {"a": [0.5], "b": [-1.0]}
    with serving(model) as url:
        config = _config(url, {"granularity": "fine_grained", "num_samples": 8,
                               "baseline": {"static_covariates": static_base}}, ts,
                         content_template='{"instances": $record}',
                         record_template=RECORD[:-1] + ', "cat": $static_covariates}',
                         time_series_predictor_config={"forecast": "predictions.mean"})
        result = _run_stage(tmp_path, config, doc)
    items = _items(flat, ("elev",))
    names = ["p_mbar", "rain_mm", "T_degC"]
    for line in result.lines:
        item = items[line["item_id"]]
        assert line["explanations"][-1]["feature_name"] == "elev" and "timestamp" not in line["explanations"][-1]
        base = {"x": [0.0] * len(item["x"]), "rel": [[0.0] * len(s) for s in item["rel"]],
                "static": static_base[line["item_id"]]}
        groups = [[("s", 0)]] + [_step_cells(item, t) for t in range(len(item["stamps"]))]
        expected, offset = brute_force(model, item, base, groups)
        np.testing.assert_allclose(line["offset"], offset, atol=1e-8)
        for entry in line["explanations"]:
            np.testing.assert_allclose(entry["scores"], expected[_cell(entry, item, names, ("elev",))], atol=1e-6)
        _check_efficiency(line, model, item)


@pytest.mark.parametrize("direction", ["chronological", "anti_chronological", "bidirectional"])
def test_timewise_directions_equal_enumeration(tmp_path: Path, model: ForecastModel, direction: str) -> None:
    """columns format; a time step is one player; mean baselines."""
    records = weather_records({"x1": 4, "x2": 3}, horizon=1, seed=direction.__len__())
    doc = {k: [r.get(k) for r in records] for k in ("item_id", "timestamp", "p_mbar", "rain_mm", "T_degC")}
    ts = {"dataset_format": "columns", "item_id": "item_id", "timestamp": "timestamp",
          "target_time_series": "p_mbar", "related_time_series": ["rain_mm", "T_degC"]}
    with serving(model) as url:
        config = _config(url, {"direction": direction, "granularity": "timewise",
                               "baseline": {"target_time_series": "mean", "related_time_series": "mean"}}, ts)
        result = _run_stage(tmp_path, config, doc)
    assert result.entry["granularity"] == "timewise"
    items = _items(records)
    for line in result.lines:
        item = items[line["item_id"]]
        steps = len(item["stamps"])
        base = {"x": [float(np.mean(item["x"]))] * len(item["x"]),
                "rel": [[float(np.mean(s))] * len(s) for s in item["rel"]], "static": []}
        groups = [_step_cells(item, t) for t in range(steps)]
        orders = {"chronological": [list(range(steps))], "anti_chronological": [list(range(steps))[::-1]],
                  "bidirectional": [list(range(steps)), list(range(steps))[::-1]]}[direction]
        # a step is one player: its cells' contributions in one ordering of the step add up to the step's
        expected, offset = brute_force(model, item, base, [[tuple(g)] for g in groups], orders)
        np.testing.assert_allclose(line["offset"], offset, atol=1e-8)
        assert [e["timestamp"] for e in line["explanations"]] == item["stamps"]
        for t, entry in enumerate(line["explanations"]):
            np.testing.assert_allclose(entry["scores"], expected[tuple(groups[t])], atol=1e-6)


def test_a_baseline_file_equal_to_the_data_explains_nothing(tmp_path: Path, model: ForecastModel) -> None:
    """A baseline file in the dataset's format: every absent cell takes the item's own value, so every
    coalition forecasts the same and every score is 0 (sampled fine_grained: efficiency holds)."""
    records = weather_records({"a": 3, "b": 4}, horizon=1)
    with serving(model) as url:
        config = _config(url, {"granularity": "fine_grained", "num_samples": 3})
        result = _run_stage(tmp_path, config, records, baseline_file=records)
    items = _items(records)
    for line in result.lines:
        item = items[line["item_id"]]
        assert all(np.allclose(e["scores"], 0.0, atol=1e-9) for e in line["explanations"])
        _check_efficiency(line, model, item)


def _cli(tmp_path: Path, config: dict, records: Any) -> tuple[int, str]:
    tmp_path.mkdir()
    (tmp_path / "data.json").write_text(json.dumps(records))
    (tmp_path / "config.json").write_text(json.dumps(config))
    code = main(["run", "--config", str(tmp_path / "config.json"), "--data", str(tmp_path / "data.json"),
                 "--output", str(tmp_path / "out"), "--base-dir", str(tmp_path / "ml")])
    assert not (tmp_path / "out" / "analysis.json").exists()
    return code, (tmp_path / "ml" / "output" / "message").read_text()


def test_errors_name_the_key_the_column_or_the_item(tmp_path: Path, model: ForecastModel) -> None:
    records = weather_records({"a": 3}, horizon=0)
    with serving(model) as url:
        code, message = _cli(tmp_path / "1", _config(url, {}, {**RECORDS_FORMAT, "timestamp": "[].time"}), records)
        assert code == 2 and "time_series_data_config.timestamp" in message and "[].time" in message
        bad = [dict(r, timestamp="yesterday") if i == 1 else r for i, r in enumerate(records)]
        code, message = _cli(tmp_path / "2", _config(url, {}), bad)
        assert code == 3 and "'yesterday'" in message and "[].timestamp" in message
        code, message = _cli(tmp_path / "3", _config(url, {}, time_series_predictor_config={
            "forecast": "predictions.mean"}), records)
        assert code == 4 and "predictions[*].mean" in message and "forecast" in message
        ts = {**RECORDS_FORMAT, "static_covariates": ["[].elev"]}
        code, message = _cli(tmp_path / "4", _config(url, {"granularity": "fine_grained", "num_samples": 2,
                                                           "baseline": {"static_covariates": {"b": [1]}}}, ts), records)
        assert code == 2 and "static_covariates" in message and "'a'" in message
    assert model.requests == [] or all("instances" in r for r in model.requests)


def test_results_path_is_the_s3_output_inside_a_processing_job(tmp_path: Path) -> None:
    from analyzer.stages.time_series import results_uri

    job = {"ProcessingOutputConfig": {"Outputs": [{"OutputName": "analysis_result", "S3Output": {
        "S3Uri": "s3://bucket/out/", "LocalPath": str(tmp_path / "output")}}]}}
    relative = "asymmetric_shapley_value/timewise_chronological/out.jsonl"
    assert results_uri(tmp_path / "output", relative, job) == f"s3://bucket/out/{relative}"
    assert results_uri(tmp_path / "elsewhere", relative, job) == str(tmp_path / "elsewhere" / relative)
