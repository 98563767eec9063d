"""Bad (and tricky but valid) data files, generated here rather than committed: unreadable bytes,
damaged compression, wrong shapes, values that do not fit the config, and the same for JSON Lines,
JSON and Parquet. Each names the file (and line or column) or what in the data is missing."""
from __future__ import annotations

import gzip
import io
import json
import random
from typing import Any

from corpus_base import (
    BIAS,
    COLUMNS,
    DATA,
    POST,
    SECRET_ACCESS_KEY,
    SECRET_PASSWORD,
    Case,
    csv_bytes,
    csv_text,
    rows,
    with_,
)

CSV_NAME = "data.csv"


def _csv(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _replace_column(column: str, values: list[Any]) -> bytes:
    i = COLUMNS.index(column)
    out = [",".join(COLUMNS)]
    for r, v in zip(rows(len(values)), values):
        r[i] = v
        out.append(",".join(map(str, r)))
    return _csv(out)


def _noisy_gzip(n: int = 20000) -> bytes:
    rng = random.Random(7)
    text = csv_text(0) + "".join(f"{rng.randint(18, 90)},{rng.choice('MF')},{rng.randint(1, 99)},"
                                 f"{rng.random():.6f},{rng.randint(0, 1)},{rng.randint(0, 1)}\n" for _ in range(n))
    return gzip.compress(text.encode())


def _csv_cases() -> list[Case]:
    long_field = csv_text().replace("age,sex", "age,note,sex", 1).splitlines()
    long_field = [long_field[0]] + [line.replace(",", ",x,", 1) for line in long_field[1:]]
    long_field[3] = long_field[3].replace(",x,", "," + "y" * 150_000 + ",", 1)
    gz = _noisy_gzip()
    table: dict[str, tuple[dict[str, bytes], int, str]] = {
        "empty_file": ({CSV_NAME: b""}, 3, "data.csv"),
        "header_only": ({CSV_NAME: csv_bytes(0)}, 3, "no rows"),
        "blank_lines": ({CSV_NAME: b"\n\n\n\n"}, 3, "data.csv"),
        "ragged_row": ({CSV_NAME: csv_bytes().replace(b"\n", b",9\n", 4)[:0] + _csv(
            csv_text().splitlines()[:5] + ["1,M,2,0.5,1,0,7"] + csv_text().splitlines()[5:])}, 3, "data.csv"),
        "binary": ({CSV_NAME: bytes(random.Random(1).randrange(256) for _ in range(4096))}, 3, "data.csv"),
        "nul_bytes": ({CSV_NAME: csv_bytes().replace(b"M", b"\x00", 3)}, 3, "data.csv"),
        "utf16": ({CSV_NAME: csv_text().encode("utf-16")}, 3, "data.csv"),
        "latin1": ({CSV_NAME: csv_text().replace("M,", "Jos\u00e9,", 2).encode("latin-1")}, 3, "non-UTF-8"),
        "truncated_gzip": ({"data.csv.gz": gz[:65536]}, 3, "truncated"),
        "not_gzip": ({"data.csv.gz": csv_bytes()}, 3, "data.csv.gz"),
        "empty_gzip": ({"data.csv.gz": b""}, 3, "data.csv.gz"),
        "gzip_of_binary": ({"data.csv.gz": gzip.compress(bytes(range(256)) * 64)}, 3, "data.csv.gz"),
        "damaged_gzip": ({"data.csv.gz": gz[:2000] + bytes(200) + gz[2200:]}, 3, "data.csv.gz"),
        "unbalanced_quote": ({CSV_NAME: csv_bytes().replace(b"\n3", b'\n"3', 1)}, 3, "data.csv"),
        "one_column": ({CSV_NAME: b"x\n1\n2\n3\n"}, 2, "label: column 'label' not found"),
        "duplicate_header": ({CSV_NAME: csv_bytes().replace(b"hours", b"age", 1)}, 2, "label: column 'label'"),
        "no_header": ({CSV_NAME: csv_bytes(header=False)}, 2, "Available columns: column_0"),
        "header_mismatch_parts": ({"part-0.csv": csv_bytes(), "part-1.csv": csv_bytes().replace(b"hours,", b"")
                                   .replace(b"\n", b"\n", 1)}, 3, "part-1.csv"),
        "part_width": ({"part-0.csv": csv_bytes(), "part-1.csv": _csv(["1,2,3"] * 5)}, 3, "part-1.csv"),
        "only_hidden": ({".hidden.csv": csv_bytes(), "_SUCCESS": b""}, 3, "data"),
        "no_files": ({}, 3, "data"),
        "dotenv": ({CSV_NAME: f"AWS_SECRET_ACCESS_KEY={SECRET_ACCESS_KEY}\nDB_PASSWORD={SECRET_PASSWORD}\n".encode()},
                   2, "names do not look like column names"),
        "label_text": ({CSV_NAME: _replace_column("label", ["yes", "no", "maybe"] * 20)}, 0, "Completed"),
        "label_empty": ({CSV_NAME: _replace_column("label", [""] * 60)}, 6, "Seen: label 'label': float64, 0 distinct"),
        "label_some_missing": ({CSV_NAME: _replace_column("label", ["", 1, 0] * 20)}, 0, "Completed"),
        "facet_empty": ({CSV_NAME: _replace_column("sex", [""] * 60)}, 6, "facet 'sex': float64"),
        "facet_mixed_values": ({CSV_NAME: _replace_column("sex", ["maybe", 1, 2, 3, 4, 5] * 10)}, 0, "Completed"),
        "label_constant": ({CSV_NAME: _replace_column("label", [0] * 60)}, 0, "Completed"),
        # valid, unusual: must succeed
        "bom": ({CSV_NAME: b"\xef\xbb\xbf" + csv_bytes()}, 0, "Completed"),
        "bom_gzip": ({"data.csv.gz": gzip.compress(b"\xef\xbb\xbf" + csv_bytes())}, 0, "Completed"),
        "crlf": ({CSV_NAME: csv_bytes().replace(b"\n", b"\r\n")}, 0, "Completed"),
        "field_150k": ({CSV_NAME: _csv(long_field)}, 0, "Completed"),
        "many_parts": ({f"part-{i:03d}.csv": csv_bytes(6) for i in range(40)}, 0, "Completed"),
        "nested_dirs": ({"a/b/c/part.csv": csv_bytes(), "a/part.csv": csv_bytes()}, 0, "Completed"),
        "gzip_ok": ({"data.csv.gz": gz}, 0, "Completed"),
    }
    cases = [Case(f"csv_{k}", DATA, code, frag, files=files) for k, (files, code, frag) in table.items()]
    # the first column is the label: a BOM must not become part of its name
    bom_first = _csv([",".join(["label", *COLUMNS[:4]])] + [",".join(map(str, [r[4], *r[:4]])) for r in rows()])
    cases.append(Case("csv_bom_first_column", DATA, 0, "Completed", files={CSV_NAME: b"\xef\xbb\xbf" + bom_first}))
    post = {
        "predicted_text": (_replace_column("pred", ["a", "b"] * 30), 6, "predicted label 'pred': str"),
        "predicted_none_positive": (_replace_column("pred", [0] * 60), 6, "predicted label 'pred': int64, 1 distinct"),
        "predicted_empty": (_replace_column("pred", [""] * 60), 6, "predicted label 'pred'"),
        "predicted_float_scores": (_replace_column("pred", [round(i / 60, 3) for i in range(60)]), 0, "Completed"),
    }
    cases += [Case(f"csv_{k}", DATA, code, frag, config=POST, files={CSV_NAME: data})
              for k, (data, code, frag) in post.items()]
    cases.append(Case("csv_missing_uri", DATA, 3, "/nonexistent/data.csv",
                      config=with_(BIAS, "dataset_uri", "/nonexistent/data.csv")))
    cases.append(Case("csv_type_is_parquet", DATA, 3, "data.csv", config=with_(BIAS, "dataset_type",
                                                                                "application/x-parquet"),
                      files={CSV_NAME: csv_bytes()}))
    return cases


JSONL = {**BIAS, "dataset_type": "application/jsonlines", "features": "features", "label": "label",
         "headers": ["age", "sex", "hours", "score", "label"]}


def _jsonl(records: list[Any]) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records).encode()


def _records(n: int = 60) -> list[dict[str, Any]]:
    return [{"features": r[:4], "label": r[4]} for r in rows(n)]


def _json_cases() -> list[Case]:
    good = _records()
    table: dict[str, tuple[bytes, int, str]] = {
        "bad_line": (_jsonl(good[:3] + ["{not json"] + good[3:]), 3, "data.jsonl line 4: not valid JSON"),
        "deep_line": (_jsonl(good[:2] + ["[" * 100_000 + "]" * 100_000] + good[2:]), 3, "line 3"),
        "features_not_list": (_jsonl(good[:5] + [{"features": "x", "label": 1}] + good[5:]), 3, "line 6"),
        "ragged_features": (_jsonl(good[:5] + [{"features": [1, 2], "label": 1}] + good[5:]), 3,
                            "different numbers of features"),
        "empty": (b"", 3, "data.jsonl"),
        "array_document": (json.dumps(good).encode(), 3, "data.jsonl"),
        "binary": (bytes(range(256)) * 8, 3, "data.jsonl"),
        "bom": (b"\xef\xbb\xbf" + _jsonl(good), 0, "Completed"),
        "nan_literal_label": (_jsonl(good[:5]).replace(b'"label": 0', b'"label": NaN', 1) + _jsonl(good[5:]),
                              0, "Completed"),
        "features_type_error": (_jsonl(good[:5] + [{"features": 5, "label": 1}]), 3, "line 6"),
    }
    cases = [Case(f"jsonl_{k}", DATA, code, frag, config=JSONL, files={"data.jsonl": data})
             for k, (data, code, frag) in table.items()]
    cases.append(Case("jsonl_length_of_number", DATA, 3, "cannot be applied", config={**JSONL, "features":
                      "length(label)"}, files={"data.jsonl": _jsonl(good)}))
    doc = {"data": [r[:4] for r in rows()], "labels": [r[4] for r in rows()]}
    js = {**JSONL, "dataset_type": "application/json", "features": "data", "label": "labels"}
    docs: dict[str, tuple[bytes, int, str]] = {
        "not_json": (b"{data: [1,2]}", 3, "data.json: not valid JSON"),
        "not_2d": (json.dumps({**doc, "data": [1, 2, 3]}).encode(), 3, "a 2-D list"),
        "label_count": (json.dumps({**doc, "labels": [1, 0]}).encode(), 3, "one value per record (60), got 2"),
        "deep": (b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 3, "nested too deeply"),
        "truncated": (json.dumps(doc).encode()[:-40], 3, "data.json: not valid JSON"),
        "ok": (json.dumps(doc).encode(), 0, "Completed"),
    }
    cases += [Case(f"json_{k}", DATA, code, frag, config=js, files={"data.json": data})
              for k, (data, code, frag) in docs.items()]
    return cases


def _parquet(frame_or_table: Any) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = frame_or_table if isinstance(frame_or_table, pa.Table) else pa.Table.from_pandas(frame_or_table)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _parquet_cases() -> list[Case]:
    import pandas as pd
    import pyarrow as pa

    frame = pd.DataFrame(rows(), columns=COLUMNS)
    good = _parquet(frame)
    base = pa.Table.from_pandas(frame)
    struct = base.append_column("address", pa.array([{"city": "x", "zip": i} for i in range(60)]))
    lists = base.append_column("tags", pa.array([[i, i + 1] for i in range(60)]))
    maps = base.append_column("attrs", pa.array([[("k", i)] for i in range(60)], type=pa.map_(pa.string(), pa.int64())))
    config = with_(BIAS, "dataset_type", "application/x-parquet")
    table: dict[str, tuple[bytes, int, str]] = {
        "corrupt": (b"PAR1" + bytes(range(256)) * 4 + b"PAR1", 3, "data.parquet"),
        "truncated": (good[: len(good) // 2], 3, "data.parquet"),
        "csv_content": (csv_bytes(), 3, "data.parquet"),
        "struct_column": (_parquet(struct), 3, "column 'address' holds nested values"),
        "list_column": (_parquet(lists), 3, "column 'tags' holds nested values"),
        "map_column": (_parquet(maps), 3, "column 'attrs' holds nested values"),
        "empty": (_parquet(frame.iloc[:0]), 3, "no rows"),
        "ok": (good, 0, "Completed"),
    }
    return [Case(f"parquet_{k}", DATA, code, frag, config=config, files={"data.parquet": data})
            for k, (data, code, frag) in table.items()]


def _time_series_cases() -> list[Case]:
    """time_series_data_config (timestamp_records): each problem names the item and the column."""
    ts = {"dataset_format": "timestamp_records", "item_id": "[].id", "timestamp": "[].t",
          "target_time_series": "[].y", "related_time_series": ["[].r"]}
    config = {"dataset_type": "application/json", "time_series_data_config": ts,
              "methods": {"asymmetric_shapley_value": {}},
              "predictor": {"endpoint_url": "{model}", "time_series_predictor_config": {"forecast": "mean"}}}
    good = [{"id": "a", "t": f"2020-01-0{d} 00:00:00", "y": float(d), "r": 0.5 * d} for d in range(1, 5)]

    def doc(row: int, **change: Any) -> bytes:
        return json.dumps([dict(r, **change) if i == row else r for i, r in enumerate(good)]).encode()

    table = {
        "bad_timestamp": (doc(2, t="the 3rd"), "timestamp 'the 3rd' of item 'a' in column '[].t'"),
        "target_gap": (doc(1, y=None), "target series 'y' of item 'a' has missing values inside its history"),
        "related_null": (doc(3, r=None), "related series 'r' of item 'a' has a missing value"),
        "same_timestamp": (doc(1, t=good[0]["t"]), "item 'a' has the same timestamp"),
        "text_value": (doc(0, y="1013 hPa"), "series 'y' of item 'a' has the value '1013 hPa'"),
    }
    return [Case(f"time_series_{k}", DATA, 3, frag, config=config, files={"data.json": data})
            for k, (data, frag) in table.items()]


def data_cases() -> list[Case]:
    return [*_csv_cases(), *_json_cases(), *_parquet_cases(), *_time_series_cases()]
