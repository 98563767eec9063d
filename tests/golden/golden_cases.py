"""Golden runs: fixed jobs on Adult, German and COMPAS whose analysis.json and out.csv must stay the
same byte for byte across refactors.

Each case writes a small, deterministic slice of a real dataset (CSV, JSON Lines or Parquet), a config,
and, where the job needs a model, serves a deterministic scoring function over HTTP. The expected files
live next to this module in ``<case>/``. Regenerate them only when a change of output is intended:

    PYTHONPATH=$PWD .venv/bin/python tests/golden/golden_cases.py [CASE ...]
"""
from __future__ import annotations

import csv
import io
import json
import math
import sys
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # tests/, also when run as a script
import model_servers  # noqa: E402  (the shared test model server)

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
COMPARED = ("analysis.json", "explanations_shap/out.csv")

Row = list[str]
Model = Callable[[Row], list[float]]


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


# ----------------------------------------------------------------------------------------- models
# Each model reads the feature row the predictor sends (CSV text, in dataset feature order) and
# returns one or more scores. Plain Python arithmetic: the same numbers on every machine.

def adult_model(row: Row) -> list[float]:
    """Features: Age, Education-Num, Sex, Ethnic group, Hours per week, Capital Gain."""
    age, edu, sex, race, hours, gain = row
    z = (0.04 * (float(age) - 40) + 0.3 * (float(edu) - 10) + 0.6 * (sex == "Male")
         + 0.2 * (race == "White") + 0.02 * (float(hours) - 40) + 0.0002 * float(gain) - 0.9)
    return [round(_sigmoid(z), 6)]


def german_model(row: Row) -> list[float]:
    """Features: sex, job, housing, credit_amount, duration, age."""
    sex, job, housing, amount, duration, age = row
    z = (0.5 + 0.3 * (sex == "male") + 0.2 * float(job) + 0.4 * (housing == "own")
         - 0.0001 * float(amount) - 0.03 * float(duration) + 0.02 * (float(age) - 35))
    return [round(_sigmoid(z), 6)]


def compas_model(row: Row) -> list[float]:
    """Features: age, priors_count, juv_fel_count, sex. Two scores (no, yes) → label0, label1."""
    age, priors, juv, sex = row
    z = -0.05 * (float(age) - 35) + 0.15 * float(priors) + 0.4 * float(juv) + 0.3 * (sex == "Male") - 0.4
    yes = round(_sigmoid(z), 6)
    return [round(1 - yes, 6), yes]


def serving(model: Model) -> AbstractContextManager[str]:
    """Serve ``model`` over HTTP: CSV rows in, CSV scores out."""
    def respond(body: str, kind: str) -> tuple[str, str]:
        rows = [r for r in csv.reader(io.StringIO(body)) if r]
        return "".join(",".join(repr(s) for s in model(r)) + "\n" for r in rows), "text/csv"

    return model_servers.serving(respond)


# ------------------------------------------------------------------------------------------ data

ADULT = ["Age", "Education-Num", "Sex", "Ethnic group", "Hours per week", "Capital Gain", "Target"]
GERMAN = ["sex", "job", "housing", "credit_amount", "duration", "age"]
COMPAS = ["age", "priors_count", "juv_fel_count", "sex"]


def _adult(data: Path, rows: int) -> pd.DataFrame:
    frame = pd.read_csv(data / "adult" / "adult_test.csv", nrows=rows)[ADULT]
    return frame.assign(Target=(frame["Target"] == ">50K").astype(int))


def _german(data: Path, rows: int) -> pd.DataFrame:
    return pd.read_csv(data / "german" / "german.csv", nrows=rows)[[*GERMAN, "risk"]]


def _compas(data: Path, rows: int) -> pd.DataFrame:
    frame = pd.read_csv(data / "compas" / "compas-scores-two-years.csv", nrows=rows)
    return frame[["id", *COMPAS, "race", "age_cat", "decile_score", "two_year_recid"]]


def _jsonlines(path: Path, frame: pd.DataFrame, features: list[str], extra: dict[str, str]) -> None:
    with path.open("w") as f:
        for record in frame.to_dict(orient="records"):
            line = {"features": [record[c] for c in features], **{k: record[c] for k, c in extra.items()}}
            f.write(json.dumps(line) + "\n")


@dataclass(frozen=True)
class Prepared:
    config: dict[str, Any]
    data: Path
    model: Model | None = None


def _csv_predictor(url: str | None) -> dict[str, Any]:
    return {"endpoint_url": url or "", "content_type": "text/csv", "accept_type": "text/csv"}


def adult_bias(data: Path, work: Path) -> Prepared:
    """CSV; pre + post (every metric), predictions from the HTTP model; two facets, a group variable."""
    path = work / "adult.csv"
    _adult(data, 1500).to_csv(path, index=False)
    config = {"dataset_type": "text/csv", "label": "Target", "label_values_or_threshold": [1],
              "facet": [{"name_or_index": "Sex", "value_or_threshold": ["Female"]},
                        {"name_or_index": "Age", "value_or_threshold": [40]}],
              "group_variable": "Ethnic group",
              "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
              "predictor": _csv_predictor(None)}
    return Prepared(config, path, adult_model)


def german_bias(data: Path, work: Path) -> Prepared:
    """JSON Lines; pre + post with scores in the data (probability_threshold), continuous facet."""
    frame = _german(data, 1000)
    frame["score"] = [german_model([str(v) for v in r])[0] for r in frame[GERMAN].itertuples(index=False)]
    path = work / "german.jsonl"
    _jsonlines(path, frame, GERMAN, {"label": "risk", "pred": "score"})
    config = {"dataset_type": "application/jsonlines", "features": "features", "label": "label",
              "predicted_label": "pred", "headers": [*GERMAN, "risk", "score"],
              "label_values_or_threshold": [1], "probability_threshold": 0.6,
              "facet": [{"name_or_index": "sex", "value_or_threshold": ["female"]},
                        {"name_or_index": "age", "value_or_threshold": [30]}],
              "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}}
    return Prepared(config, path)


def compas_bias(data: Path, work: Path) -> Prepared:
    """CSV, predictions from a separate CSV joined on ``id``; multi-value facet, a group variable."""
    frame = _compas(data, 3000)
    path = work / "compas.csv"
    frame.drop(columns=["decile_score"]).to_csv(path, index=False)
    predicted = work / "predicted.csv"
    pd.DataFrame({"id": frame["id"], "high_risk": (frame["decile_score"] >= 5).astype(int)}).to_csv(
        predicted, index=False)
    config = {"dataset_type": "text/csv", "label": "two_year_recid",
              "label_values_or_threshold": [1], "joinsource_name_or_index": "id",
              "predicted_label_dataset_uri": str(predicted), "predicted_label": "high_risk",
              "facet": [{"name_or_index": "race", "value_or_threshold": ["African-American", "Hispanic"]}],
              "group_variable": "age_cat",
              "methods": {"pre_training_bias": {"methods": "all"},
                          "post_training_bias": {"methods": ["DPPL", "DI", "AD", "RD", "FT", "TE"]}}}
    return Prepared(config, path)


def adult_shap(data: Path, work: Path) -> Prepared:
    """CSV; Kernel SHAP with an automatic (k-prototypes) baseline, local values, PDP."""
    path = work / "adult.csv"
    _adult(data, 20).to_csv(path, index=False)
    config = {"dataset_type": "text/csv", "label": "Target",
              "methods": {"shap": {"num_clusters": 2, "num_samples": 40, "seed": 7,
                                   "save_local_shap_values": True},
                          "pdp": {"grid_resolution": 5, "top_k_features": 2}},
              "predictor": _csv_predictor(None)}
    return Prepared(config, path, adult_model)


def german_shap(data: Path, work: Path) -> Prepared:
    """JSON Lines with a JSON Lines baseline file, median aggregation, a label header."""
    frame = _german(data, 30)
    path = work / "german.jsonl"
    _jsonlines(path, frame, GERMAN, {"label": "risk"})
    baseline = work / "baseline.jsonl"
    _jsonlines(baseline, _german(data, 300).iloc[[100, 200]], GERMAN, {})
    config = {"dataset_type": "application/jsonlines", "features": "features", "label": "label",
              "headers": [*GERMAN, "risk"],
              "methods": {"shap": {"baseline": str(baseline), "num_samples": 40, "seed": 3,
                                   "agg_method": "median", "save_local_shap_values": True}},
              "predictor": {**_csv_predictor(None), "label_headers": ["good"]}}
    return Prepared(config, path, german_model)


def compas_shap(data: Path, work: Path) -> Prepared:
    """Parquet with a Parquet baseline file, two model outputs (label0/label1), a join column."""
    frame = _compas(data, 25)[["id", *COMPAS, "two_year_recid"]]
    path = work / "compas.parquet"
    frame.to_parquet(path, index=False)
    baseline = work / "baseline.parquet"
    _compas(data, 200).iloc[[10, 150]][COMPAS].to_parquet(baseline, index=False)
    config = {"dataset_type": "application/x-parquet", "label": "two_year_recid",
              "joinsource_name_or_index": "id",
              "methods": {"shap": {"baseline": str(baseline), "num_samples": 14, "seed": 1,
                                   "save_local_shap_values": True}},
              "predictor": _csv_predictor(None)}
    return Prepared(config, path, compas_model)


CASES: dict[str, Callable[[Path, Path], Prepared]] = {
    f.__name__: f for f in (adult_bias, german_bias, compas_bias, adult_shap, german_shap, compas_shap)}


# ------------------------------------------------------------------------------------------- run

def run_case(name: str, data: Path, work: Path) -> Path:
    """Run one case through the CLI; returns the output directory. The human-readable reports are
    not compared (they are written from the same in-memory analysis) and take most of the time, so
    they are switched off here."""
    from unittest import mock

    from analyzer import job
    from analyzer.cli import main

    work.mkdir(parents=True, exist_ok=True)
    prepared = CASES[name](data, work)
    out = work / "out"
    no_reports = mock.patch.object(job, "_write_reports", return_value=(None, None))  # (report problem, context)
    with no_reports, (serving(prepared.model) if prepared.model else _nothing()) as url:
        config = dict(prepared.config)
        if url:
            config["predictor"] = {**config["predictor"], "endpoint_url": url}
        (work / "config.json").write_text(json.dumps(config))
        code = main(["run", "--config", str(work / "config.json"), "--data", str(prepared.data),
                     "--output", str(out), "--base-dir", str(work / "ml")])
    if code != 0:
        raise AssertionError(f"golden case {name} exited {code}: {(work / 'ml' / 'output' / 'message').read_text()}")
    return out


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def expected_files(name: str) -> list[str]:
    return [rel for rel in COMPARED if (HERE / name / rel).exists()]


def _write(names: list[str]) -> None:
    import tempfile

    data = Path(ROOT / "data")
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            out = run_case(name, data, Path(tmp))
            for rel in COMPARED:
                source, target = out / rel, HERE / name / rel
                if source.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(source.read_bytes())
                    print(f"wrote {target.relative_to(ROOT)} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    _write(sys.argv[1:] or list(CASES))
