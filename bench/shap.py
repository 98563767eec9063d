#!/usr/bin/env python3
"""Kernel SHAP speed: the model-evaluation floor vs analyzer.explain vs shap.KernelExplainer.

Data: real Adult (scripts/fetch_datasets.py), one-hot encoded (32,561 x ~105 features); model:
the Clarify sample notebook's XGBoost (800 rounds, depth 5, eta 0.2, gamma 4, min_child_weight 6,
subsample 0.8), predicting probabilities with nthread=1. All timings are CPU seconds of this
process with every library single-threaded (OpenBLAS/OpenMP threads = 1).

- floor: Kernel SHAP needs rows x (num_samples_used x B + 1) + B model evaluations; the floor is
  that count divided by the model's measured throughput (1M data rows in 64k-row calls).
- ours: analyzer.explain.kernel_shap, measured on all rows or on a row subset (extrapolated
  linearly; the "rows run" column says which).
- shap: shap.KernelExplainer(l1_reg=False, same baseline and weights), --shap-rows rows,
  extrapolated to all rows.
- exact: analyzer.explain.tree_exact (exact interventional TreeSHAP, trees parsed from the booster)
  on ALL rows vs our Kernel SHAP at num_samples=1000 on --kernel-rows rows (extrapolated per row:
  the full run would take ~20 CPU-minutes) vs the Kernel SHAP model-evaluation floor, with the
  same 10-row k-means baseline. Both explain the margin (log-odds), the game in which exact
  TreeSHAP is Clarify's game for any baseline; Kernel SHAP's error against the exact values on
  the subset is printed too.

    python bench/shap.py            # full run (~10 minutes on 2 cores)
    python bench/shap.py --quick    # 2,000 rows, a minute
    python bench/shap.py --exact-only   # only the exact-vs-Kernel comparison (~2 minutes)
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# this file is called shap.py: keep its folder off sys.path so `import shap` finds the library
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from analyzer.explain import auto_baseline, kernel_shap  # noqa: E402
from analyzer.explain.tree_exact import tree_shap_values  # noqa: E402
from analyzer.models.parsers import from_xgboost  # noqa: E402


def load_adult() -> tuple[pd.DataFrame, np.ndarray]:
    path = ROOT / "data" / "adult" / "adult_train.csv"
    if not path.exists():
        sys.path.insert(0, str(ROOT / "scripts"))
        from fetch_datasets import fetch

        fetch(ROOT / "data")
    raw = pd.read_csv(path)
    y = (raw.pop("Target").str.strip() == ">50K").to_numpy(int)
    return pd.get_dummies(raw, dtype=float).astype(float), y


def train(x: pd.DataFrame, y: np.ndarray, rounds: int):
    import xgboost as xgb

    params = {"objective": "binary:logistic", "max_depth": 5, "eta": 0.2, "gamma": 4,
              "min_child_weight": 6, "subsample": 0.8, "nthread": 2, "seed": 0}
    booster = xgb.train(params, xgb.DMatrix(x.to_numpy(), label=y), num_boost_round=rounds)
    booster.set_param({"nthread": 1})
    return booster


class Model:
    """predict(frame) -> (n, 1) probabilities; counts rows and CPU time spent inside."""

    def __init__(self, booster) -> None:
        self.booster = booster
        self.cpu = 0.0
        self.rows = 0

    def __call__(self, frame) -> np.ndarray:
        t = time.process_time()
        values = frame.to_numpy() if isinstance(frame, pd.DataFrame) else np.asarray(frame)
        out = self.booster.inplace_predict(values)
        self.cpu += time.process_time() - t
        self.rows += len(values)
        return out[:, None]


def throughput(model: Model, x: pd.DataFrame, rows: int = 1_000_000, batch: int = 65_536) -> float:
    data = x.to_numpy()
    idx = np.random.default_rng(0).integers(0, len(data), batch)
    block = data[idx]  # the gather stays outside the timing
    calls = -(-rows // batch)
    t = time.process_time()
    for _ in range(calls):
        model.booster.inplace_predict(block)
    return calls * batch / (time.process_time() - t)


def run_ours(model: Model, x, base, weights, ns, seed=0):
    model.cpu, model.rows = 0.0, 0
    t = time.process_time()
    res = kernel_shap(model, x, base, baseline_weights=weights, num_samples=ns, seed=seed, agg_method="mean_abs")
    return time.process_time() - t, model.cpu, model.rows, res


def run_shap(model: Model, x, base, weights, ns):
    import shap
    from shap.utils._legacy import DenseData

    logging.getLogger("shap").setLevel(logging.WARNING)
    background = DenseData(base.to_numpy(), list(base.columns), None, weights)
    explainer = shap.KernelExplainer(lambda a: model(a)[:, 0], background)
    t = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explainer.shap_values(x.to_numpy(), nsamples=ns, l1_reg=False, silent=True)
    return time.process_time() - t


class MarginModel(Model):
    """The same booster's margins (log-odds): the game exact TreeSHAP computes for any baseline."""

    def __call__(self, frame) -> np.ndarray:
        t = time.process_time()
        values = frame.to_numpy() if isinstance(frame, pd.DataFrame) else np.asarray(frame)
        out = self.booster.inplace_predict(values, predict_type="margin")
        self.cpu += time.process_time() - t
        self.rows += len(values)
        return out[:, None]


def exact_vs_kernel(booster, x: pd.DataFrame, base: pd.DataFrame, weights: np.ndarray, rate: float,
                    kernel_rows: int, ns: int = 1000) -> list[str]:
    """Exact TreeSHAP on all rows vs Kernel SHAP (subset, extrapolated) vs the floor: table lines."""
    t = time.process_time()
    ensemble, _ = from_xgboost(booster)
    parse = time.process_time() - t
    t = time.process_time()
    phi, expected = tree_shap_values(ensemble, x.to_numpy(), base.to_numpy(), weights, np.arange(x.shape[1]), [0])
    exact = time.process_time() - t
    margin = booster.inplace_predict(x.to_numpy(), predict_type="margin")
    additivity = float(np.abs(phi[:, :, 0].sum(axis=1) + expected[0] - margin).max())
    model = MarginModel(booster)
    subset = x.iloc[:kernel_rows]
    cpu, _, evals, res = run_ours(model, subset, base, weights, ns)
    per_row = cpu / kernel_rows
    kernel_all = per_row * len(x)
    floor_all = evals / kernel_rows * len(x) / rate
    diff = np.abs(res.local_values[:, :, 0] - phi[:kernel_rows, :, 0])
    rel_l1 = diff.sum() / np.abs(phi[:kernel_rows, :, 0]).sum()
    return [
        "| path (32,561 rows, 10-row k-means baseline, margin) | CPU s (all rows) | rows run | vs exact |",
        "|---|---|---|---|",
        f"| exact TreeSHAP (tree_exact), incl. {parse:.2f} s parsing | {exact + parse:.1f} | {len(x):,} | 1x |",
        f"| Kernel SHAP ns={ns} (ours) | {kernel_all:,.0f} (extrapolated: {per_row * 1e3:.1f} ms/row) | "
        f"{kernel_rows:,} | {kernel_all / (exact + parse):,.0f}x slower |",
        f"| Kernel SHAP model-evaluation floor ns={ns} | {floor_all:,.0f} | - | "
        f"{floor_all / (exact + parse):,.0f}x slower |",
        "",
        f"exact additivity error (sum phi + expected - XGBoost margin, float32 model): {additivity:.2e}; "
        f"Kernel SHAP ns={ns} vs exact on the {kernel_rows} rows: max |diff| {diff.max():.2e}, "
        f"relative L1 {rel_l1:.2%}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="2,000 rows, fewer configs")
    parser.add_argument("--rows", type=int, default=None, help="rows of Adult to explain")
    parser.add_argument("--shap-rows", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=800)
    parser.add_argument("--exact-only", action="store_true", help="only exact TreeSHAP vs Kernel SHAP")
    parser.add_argument("--kernel-rows", type=int, default=200, help="rows Kernel SHAP ns=1000 runs on (exact)")
    args = parser.parse_args()
    logging.getLogger("analyzer").setLevel(logging.ERROR)  # the ns < M warning is expected here

    x, y = load_adult()
    t0 = time.time()
    booster = train(x, y, args.rounds)
    print(f"trained {args.rounds} rounds on {x.shape} in {time.time() - t0:.0f} s", flush=True)
    model = Model(booster)
    rate = throughput(model, x)
    n_all = len(x) if args.rows is None else args.rows
    if args.quick:
        n_all = min(n_all, 2000)
    x_all = x.iloc[:n_all]
    print(f"model throughput: {rate:.3g} rows per CPU-second (1 thread)", flush=True)

    baselines = {"mean1": (x.mean().to_frame().T, np.ones(1))}
    t = time.process_time()
    km = auto_baseline(x, 10, seed=0)
    baselines["kmeans10"] = (km.rows, km.weights)
    print(f"kmeans10 baseline: {time.process_time() - t:.1f} CPU s", flush=True)
    exact_lines = exact_vs_kernel(booster, x, km.rows, km.weights, rate, args.kernel_rows)
    print("\n".join(exact_lines), flush=True)
    if args.exact_only:
        return

    # rows run per (baseline, ns): subsets keep the full run under ~10 minutes on 2 cores
    plan = {("mean1", 15): n_all, ("mean1", 100): n_all, ("mean1", 1000): min(n_all, 4000),
            ("kmeans10", 15): n_all, ("kmeans10", 100): min(n_all, 8000),
            ("kmeans10", 1000): min(n_all, 1000)}
    lines = []
    header = ("| baseline | num_samples | rows run | mean varying M | ours CPU s (all rows) | "
              "model evals (all rows) | floor CPU s | ours / floor | model share | "
              "shap CPU s (all rows, from {} rows) | shap / ours |".format(args.shap_rows))
    lines.append(header)
    lines.append("|" + "---|" * 11)
    for (name, ns), rows in plan.items():
        base, weights = baselines[name]
        xs = x_all.iloc[:rows]
        cpu, model_cpu, evals, res = run_ours(model, xs, base, weights, ns)
        scale = n_all / rows
        floor = evals / rate
        shap_rows = min(args.shap_rows, rows)
        shap_cpu = run_shap(model, xs.iloc[:shap_rows], base, weights, ns) * n_all / shap_rows
        line = (f"| {name} | {ns} | {rows:,} | {res.num_varying.mean():.1f} | {cpu * scale:.1f} | "
                f"{evals * scale:,.0f} | {floor * scale:.1f} | {cpu / floor:.2f}x | "
                f"{model_cpu / cpu:.0%} | {shap_cpu:.0f} | {shap_cpu / (cpu * scale):.0f}x |")
        print(line, flush=True)
        lines.append(line)

    cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                      if l.startswith("model name")), platform.processor())
    print()
    print(f"machine: {os.cpu_count()} CPUs ({cpu_model}), Python {platform.python_version()}, "
          f"rows explained {n_all:,}, model throughput {rate:.3g} rows/CPU-s")
    print("\n".join(lines))
    print()
    print("\n".join(exact_lines))


if __name__ == "__main__":
    main()
