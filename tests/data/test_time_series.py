"""Reading time-series datasets: the SDK's three dataset formats (its docstring's examples) and integer
indices give the same items; nulls keep their rows; every bad input names the key, column or item."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.data.time_series import evaluate, read_time_series, series_names
from analyzer.errors import ConfigError, DataError

# The docs' dataset: t1 = [0,1,2], t2 = [2,3]; x1 = [5,6,4], x2 = [0,4]; r1, r2 related; u1, u2 static.
COLUMNS = {"ids": [1, 1, 1, 2, 2], "timestamps": [0, 1, 2, 2, 3], "target_ts": [5, 6, 4, 0, 4],
           "rts1": [0, 1, 0, 1, 1], "rts2": [0, 0, 0, 1, 0], "scv1": [-1, -1, -1, 0, 0], "scv2": [1, 1, 1, 2, 2]}
COLUMNS_TS = {"item_id": "ids", "timestamp": "timestamps", "target_time_series": "target_ts",
              "related_time_series": ["rts1", "rts2"], "static_covariates": ["scv1", "scv2"],
              "dataset_format": "columns"}
KEYS = ["ids", "timestamps", "target_ts", "rts1", "rts2", "scv1", "scv2"]
ROWS = [dict(zip(["id", "timestamp", "target_ts", "rts1", "rts2", "scv1", "scv2"], values))
        for values in zip(*(COLUMNS[k] for k in KEYS))]
RECORDS_TS = {"item_id": "[*].id", "timestamp": "[*].timestamp", "target_time_series": "[*].target_ts",
              "related_time_series": ["[*].rts1", "[*].rts2"], "static_covariates": ["[*].scv1", "[*].scv2"],
              "dataset_format": "timestamp_records"}
ITEMS = [{"id": i, "scv1": rows[0]["scv1"], "scv2": rows[0]["scv2"],
          "timeseries": [{k: r[k] for k in ("timestamp", "target_ts", "rts1", "rts2")} for r in rows]}
         for i, rows in ((1, ROWS[:3]), (2, ROWS[3:]))]
ITEMS_TS = {"item_id": "[*].id", "timestamp": "[*].timeseries[].timestamp",
            "target_time_series": "[*].timeseries[].target_ts",
            "related_time_series": ["[*].timeseries[].rts1", "[*].timeseries[].rts2"],
            "static_covariates": ["[*].scv1", "[*].scv2"], "dataset_format": "item_records"}


def _read(tmp_path: Path, document, ts: dict, headers=None):
    path = tmp_path / "data.json"
    path.write_text(json.dumps(document))
    return read_time_series([path], ts, headers)


def _summary(data) -> list:
    return [(i.item_id, list(i.timestamps), i.target.tolist(), i.related.tolist(), list(i.static)) for i in data.items]


EXPECTED = [(1, [0, 1, 2], [5.0, 6.0, 4.0], [[0, 0], [1, 0], [0, 0]], [-1, 1]),
            (2, [2, 3], [0.0, 4.0], [[1, 1], [1, 0]], [0, 2])]


@pytest.mark.parametrize("document,ts", [(COLUMNS, COLUMNS_TS), (ROWS, RECORDS_TS), (ITEMS, ITEMS_TS),
                                         (ROWS[::-1], {**RECORDS_TS, "dataset_format": "TIMESTAMP_RECORDS"})],
                         ids=["columns", "timestamp_records", "item_records", "unsorted"])
def test_the_three_formats_give_the_docs_items(tmp_path: Path, document, ts) -> None:
    data = _read(tmp_path, document, ts)
    assert sorted(_summary(data)) == EXPECTED   # items in order of first appearance
    assert (data.target_name, data.related_names, data.static_names) == ("target_ts", ("rts1", "rts2"),
                                                                         ("scv1", "scv2"))


def test_integer_indices_read_rows_and_headers_name_the_series(tmp_path: Path) -> None:
    rows = [[r["id"], r["timestamp"], r["target_ts"], r["rts1"], r["rts2"], r["scv1"], r["scv2"]] for r in ROWS]
    ts = {"item_id": 0, "timestamp": 1, "target_time_series": 2, "related_time_series": [3, 4],
          "static_covariates": [5, 6]}
    headers = ["id", "t", "x", "r1", "r2", "u1", "u2"]
    data = _read(tmp_path, rows, ts, headers)
    assert _summary(data) == EXPECTED
    assert (data.target_name, data.related_names, data.static_names) == ("x", ("r1", "r2"), ("u1", "u2"))
    assert series_names(ts, None)[0] == "column_2"
    with pytest.raises(ConfigError, match="headers: 3 names"):
        series_names(ts, ["a", "b", "c"])


def test_projections_keep_nulls_in_place() -> None:
    rows = [{"a": 1}, {"b": 2}, {"a": 3}]
    assert evaluate("[].a", rows, "k", "w") == [1, None, 3]
    assert evaluate("[*].s[].a", [{"s": [{"a": 1}, {}]}, {"s": [{"a": 2}]}], "k", "w") == [[1, None], [2]]
    assert evaluate("d.\"odd[]key\"", {"d": {"odd[]key": [1]}}, "k", "w") == [1]


def test_the_forecast_horizon_has_related_values_only(tmp_path: Path) -> None:
    rows = [{"id": "a", "t": f"2020-01-0{d} 00:00:00", "y": d if d < 3 else None, "r": d * 10} for d in (3, 1, 2, 4)]
    ts = {"item_id": "[].id", "timestamp": "[].t", "target_time_series": "[].y", "related_time_series": ["[].r"],
          "dataset_format": "timestamp_records"}
    item = _read(tmp_path, rows, ts).items[0]
    assert item.timestamps[0] == "2020-01-01 00:00:00" and item.target.tolist() == [1.0, 2.0]
    np.testing.assert_array_equal(item.related[:, 0], [10, 20, 30, 40])


def _bad(row: int, **change) -> list[dict]:
    return [dict(r, **change) if i == row else r for i, r in enumerate(ROWS)]


@pytest.mark.parametrize("document,ts,error,text", [
    (ROWS, {**RECORDS_TS, "timestamp": "[*].time"}, ConfigError, "time_series_data_config.timestamp: '[*].time'"),
    (ROWS, {**RECORDS_TS, "target_time_series": "[*].nope"}, ConfigError, "target_time_series"),
    (_bad(1, timestamp="noon"), RECORDS_TS, DataError, "mix numbers and strings"),
    ([dict(r, timestamp=f"2020-01-0{i + 1}") for i, r in enumerate(ROWS[:2])] + [dict(ROWS[2], timestamp="soon")],
     RECORDS_TS, DataError, "timestamp 'soon' of item 1 in column '[*].timestamp' is not a date"),
    (_bad(1, timestamp=0), RECORDS_TS, DataError, "item 1 has the same timestamp"),
    (_bad(1, target_ts=None), RECORDS_TS, DataError, "missing values inside its history"),
    (_bad(1, target_ts="5"), RECORDS_TS, DataError, "series 'target_ts' of item 1 has the value '5'"),
    (_bad(4, rts2=None), RECORDS_TS, DataError, "related series 'rts2' of item 2 has a missing value"),
    (_bad(1, scv1=7), RECORDS_TS, DataError, "static covariate 'scv1' changes within item 1"),
    (_bad(0, id=None), RECORDS_TS, DataError, "null value at row 0"),
    ({**COLUMNS, "rts1": [0, 1]}, COLUMNS_TS, DataError, "gives 2 values for 5 rows"),
    ([{**ITEMS[0], "timeseries": ITEMS[0]["timeseries"][:2] + [{"timestamp": 9}]}], ITEMS_TS, DataError,
     "missing values inside|missing value"),
    ({"not": "a list"}, {"item_id": 0, "timestamp": 1, "target_time_series": 2}, DataError, "list of rows"),
    ([[1, 2]], {"item_id": 0, "timestamp": 1, "target_time_series": 5}, ConfigError, "index 5 is out of range"),
    (ROWS, {**RECORDS_TS, "item_id": "[*].id.["}, ConfigError, "not a valid JMESPath"),
])
def test_bad_inputs_name_what_is_wrong(tmp_path: Path, document, ts, error, text) -> None:
    with pytest.raises(error, match=text.replace("[*]", r"\[\*\]")):
        _read(tmp_path, document, ts)


def test_not_json_and_no_rows_are_data_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("[{")
    with pytest.raises(DataError, match="not valid JSON"):
        read_time_series([tmp_path / "bad.json"], RECORDS_TS, None)
    with pytest.raises(DataError, match="no time-series rows"):
        _read(tmp_path, [], RECORDS_TS)


_FIELDS = ["id", "t", "y", "r", "timestamp", "target_ts", "rts1", "timeseries", "scv1", "scv2"]
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True),
                     st.sampled_from(["2020-01-01", "x", "", "2020-13-40 25:00", "1e308"]))
_JSON = st.recursive(_SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=5), st.dictionaries(st.sampled_from(_FIELDS), children, max_size=5)), max_leaves=30)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(_JSON, st.sampled_from(["columns", "timestamp_records", "item_records", None]))
def test_fuzzed_documents_raise_only_our_errors(tmp_path_factory, document, fmt) -> None:
    ts = {"columns": {"item_id": "id", "timestamp": "t", "target_time_series": "y", "related_time_series": ["r"],
                      "dataset_format": "columns"},
          "timestamp_records": RECORDS_TS | {"related_time_series": ["[*].rts1"], "static_covariates": []},
          "item_records": ITEMS_TS,
          None: {"item_id": 0, "timestamp": 1, "target_time_series": 2, "related_time_series": [3]}}[fmt]
    try:
        _read(tmp_path_factory.mktemp("fuzz"), document, ts)
    except (ConfigError, DataError):
        pass


def test_errors_name_s3_files_by_their_uri_not_the_scratch_copy(tmp_path: Path) -> None:
    from analyzer.data.time_series import source_names

    scratch = [tmp_path / "001-s3" / "bkt" / "series" / name for name in ("p1.json", "p2.json")]
    assert source_names("s3://bkt/series/", scratch) == ["s3://bkt/series/p1.json", "s3://bkt/series/p2.json"]
    assert source_names("s3://bkt/series/p1.json", scratch[:1]) == ["s3://bkt/series/p1.json"]
    assert source_names(tmp_path / "local.json", [tmp_path / "local.json"]) == [str(tmp_path / "local.json")]
    scratch[0].parent.mkdir(parents=True)
    scratch[0].write_text("[1, ")
    ts = {"item_id": "[].id", "timestamp": "[].t", "target_time_series": "[].y", "dataset_format": "timestamp_records"}
    with pytest.raises(DataError, match=r"^s3://bkt/series/p1\.json: not valid JSON"):
        read_time_series(scratch[:1], ts, None, names=source_names("s3://bkt/series/", scratch[:1]))
    scratch[0].write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(DataError, match=r"s3://bkt/series/p1\.json") as raised:
        read_time_series(scratch[:1], ts, None, names=["s3://bkt/series/p1.json"])
    assert str(tmp_path) not in raised.value.message
