"""Hostile inputs: paths that escape, devices and pipes, planted links, markup, secrets in files
that are not the dataset, and sizes meant to exhaust the machine. Each must end cleanly, inside
the output folder, without printing what it should not."""
from __future__ import annotations

import gzip
import os
from pathlib import Path

from corpus_base import (
    BIAS,
    DATA_FILE,
    HOSTILE,
    SECRET_PASSWORD,
    SHAP,
    Case,
    csv_bytes,
    csv_text,
    with_,
)

VICTIM = "victim.txt"


def _plant_output_links(base: Path) -> None:
    output = base / "processing" / "output"
    output.mkdir(parents=True)
    victim = base.parent / VICTIM
    victim.write_text("untouched")
    (output / "analysis.json").symlink_to(victim)


def _victim_untouched(base: Path) -> None:
    assert (base.parent / VICTIM).read_text() == "untouched"
    assert not (base / "processing" / "output" / "analysis.json").is_symlink()


def _fifo(base: Path) -> None:
    os.mkfifo(base / "processing" / "input" / "data" / "data.csv")


def _link_loop(base: Path) -> None:
    data = base / "processing" / "input" / "data"
    (data / "a").symlink_to(data / "b")
    (data / "b").symlink_to(data / "a")


def _shadow_link(base: Path) -> None:
    shadow = base.parent / "shadow"
    shadow.write_text(f"root:$6$salt${SECRET_PASSWORD}:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n")
    (base / "processing" / "input" / "data" / "data.csv").symlink_to(shadow)


def _many_empty_files(base: Path) -> None:
    data = base / "processing" / "input" / "data"
    for i in range(3000):
        (data / f"part-{i:05d}.csv").write_bytes(b"")


def _wide_csv(columns: int) -> bytes:
    extra = [f"x{i}" for i in range(columns)]
    lines = csv_text().splitlines()
    return ("\n".join([lines[0] + "," + ",".join(extra)] + [line + "," + ",".join("1" * columns)
                                                            for line in lines[1:]]) + "\n").encode()


def hostile_cases() -> list[Case]:
    report = {**BIAS, "methods": {**BIAS["methods"],
                                  "report": {"name": "../../escaped", "title": "<script>x</script>"}}}
    markup = csv_bytes().replace(b",M,", b",<script>alert(1)</script>,")
    return [
        Case("report_name_dotdot", HOSTILE, 0, "Completed", config=report, files=DATA_FILE),
        Case("markup_in_data", HOSTILE, 0, "Completed", files={"data.csv": markup}),
        Case("output_symlink", HOSTILE, 0, "Completed", files=DATA_FILE, setup=_plant_output_links,
             check=_victim_untouched),
        Case("proc_environ", HOSTILE, 3, "/proc/self/environ", config=with_(BIAS, "dataset_uri", "/proc/self/environ")),
        Case("dev_zero", HOSTILE, 3, "/dev/zero", config=with_(BIAS, "dataset_uri", "/dev/zero")),
        Case("dev_urandom", HOSTILE, 3, "/dev/urandom", config=with_(BIAS, "dataset_uri", "/dev/urandom")),
        Case("fifo_dataset", HOSTILE, 3, "contains no data files", setup=_fifo),
        Case("symlink_loop", HOSTILE, 3, "data", setup=_link_loop),
        Case("shadow_as_dataset", HOSTILE, 2, "names do not look like column names", setup=_shadow_link),
        Case("many_empty_files", HOSTILE, 3, "no rows", setup=_many_empty_files),
        Case("baseline_environ", HOSTILE, 3, "/proc/self/environ",
             config=with_(SHAP, "methods.shap.baseline", "/proc/self/environ"), files=DATA_FILE),
        Case("label_escape_codes", HOSTILE, 2, "\\x1b[31m", config=with_(BIAS, "label", "\x1b[31mred\x1b[0m"),
             files=DATA_FILE),
        Case("label_10mb", HOSTILE, 2, "label: column 'aaaa", config=with_(BIAS, "label", "a" * 10_000_000),
             files=DATA_FILE),
        Case("facets_5000", HOSTILE, 2, "$.facet", config=with_(BIAS, "facet", [{"name_or_index": "sex"}] * 5000),
             files=DATA_FILE),
        Case("excluded_100k", HOSTILE, 2, "excluded_columns: column 'c0'",
             config=with_(BIAS, "excluded_columns", [f"c{i}" for i in range(100_000)]), files=DATA_FILE),
        Case("zeros_bomb", HOSTILE, 2, "label: column 'label' not found",
             files={"data.csv.gz": gzip.compress(b"0\n" * 10_000_000)}),
        Case("wide_3000_columns", HOSTILE, 0, "Completed", files={"data.csv": _wide_csv(3000)}),
        Case("quoted_newline_header", HOSTILE, 0, "Completed",
             files={"data.csv": csv_bytes().replace(b"hours", b'"ho\nurs"', 1)}),
        Case("output_is_a_file", HOSTILE, 5, "/etc/hostname", files=DATA_FILE, args=("--output", "/etc/hostname")),
        Case("output_in_proc", HOSTILE, 5, "/proc/x", files=DATA_FILE, args=("--output", "/proc/x")),
        Case("s3_debug_log", HOSTILE, 5, "s3://planted-bucket/data.csv",
             config=with_(BIAS, "dataset_uri", "s3://planted-bucket/data.csv"), args=("--verbose",),
             env={"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1",
                  "AWS_DEFAULT_REGION": "us-east-1"}),
        Case("title_1mb", HOSTILE, 0, "Completed", files=DATA_FILE,
             config={**BIAS, "methods": {**BIAS["methods"], "report": {"name": "r", "title": "T" * 100_000}}}),
    ]
