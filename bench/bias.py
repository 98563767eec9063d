#!/usr/bin/env python3
"""Benchmark: all 21 bias metrics (pre + post bias_section) against smclarify 0.5.

Synthetic data as in shared/spec/bias-metrics.md §9 (seed 0): facet = 5 strings A-E with
p = .10/.15/.20/.25/.30, x float, group int with 20 values, binary int label, binary int
prediction agreeing with the label 80% of the time. Facet ("A",), label [1], group "group";
FlipTest's features are x and group.

    .venv/bin/python bench/bias.py [--rows 1000000 10000000] [--smclarify-rows 1000000]
    .venv/bin/python bench/bias.py --ft-adult     # FT's k-NN on Adult one-hot (the demo's FT)

``--ft-adult``: FlipTest's k-NN on the Adult test split, one-hot encoded (102/103 features),
facets Sex=Female and Age>40, predictions from a fixed rule on the features (like a model:
equal rows get equal predictions). Each side runs in a fresh process, imports included:
ours (``analyzer.bias.flip.knn_predict``) and scikit-learn's KNeighborsClassifier (what Clarify
runs); the predictions must be identical.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.bias import FacetSpec, bias_section  # noqa: E402


def make_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    return pd.DataFrame({
        "facet": rng.choice(np.array(list("ABCDE")), n, p=[0.10, 0.15, 0.20, 0.25, 0.30]),
        "x": rng.random(n),
        "group": rng.integers(0, 20, n),
        "label": label,
        "pred": np.where(rng.random(n) < 0.8, label, 1 - label),
    })


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def ours(frame: pd.DataFrame):
    common = dict(label="label", label_values=[1], facets=[FacetSpec("facet", ("A",))], group_variable="group")
    pre, w1, c1 = timed(lambda: bias_section(frame, stage="pre_training", **common))
    post, w2, c2 = timed(lambda: bias_section(frame, stage="post_training", predicted_label="pred", **common))
    return (pre, post), (w1, c1), (w2, c2)


def smclarify(frame: pd.DataFrame):
    from smclarify.bias.report import FacetColumn, LabelColumn, StageType, bias_report

    df = frame.astype({"facet": object})  # smclarify 0.5 cannot read pandas 3's string dtype
    args = (FacetColumn("facet", ["A"]), LabelColumn("label", df["label"], [1]))
    pre, w1, c1 = timed(lambda: bias_report(df, *args, StageType.PRE_TRAINING, group_variable=df["group"]))
    post, w2, c2 = timed(lambda: bias_report(df, *args, StageType.POST_TRAINING, LabelColumn("pred", df["pred"]),
                                             group_variable=df["group"]))
    return (pre, post), (w1, c1), (w2, c2)


def same_values(a: list, b: list) -> bool:
    for m, r in zip(a[0]["metrics"], b[0]["metrics"]):
        if m["name"] != r["name"] or m.get("error") != r.get("error"):
            return False
        if isinstance(m["value"], float) and not math.isclose(m["value"], r["value"], rel_tol=1e-9, abs_tol=1e-12):
            return False
    return True


FT_CHILD = r"""
import hashlib, json, sys, time
started = time.perf_counter()
import numpy as np, pandas as pd
from analyzer.bias.flip import encoded_features
df = pd.read_csv(sys.argv[1])
pred = ((df["Capital Gain"] > 5000) | ((df["Education-Num"] >= 13) & (df["Hours per week"] > 40))).to_numpy()
out = {}
for name, facet in (("Sex", (df["Sex"] == "Female").to_numpy()), ("Age", (df["Age"] > 40).to_numpy())):
    x = encoded_features(df.drop(columns=["Target", name]), "one_hot")
    begin = time.perf_counter()
    if sys.argv[2] == "ours":
        from analyzer.bias.flip import knn_predict
        knn = knn_predict(x[~facet], pred[~facet], x[facet], 5)
    else:
        from sklearn.neighbors import KNeighborsClassifier
        model = KNeighborsClassifier(n_neighbors=5).fit(x[~facet], pred[~facet])
        knn = model.predict(x[facet]).astype(bool)
    out[name] = {"s": time.perf_counter() - begin, "features": x.shape[1], "positives": int(knn.sum()),
                 "hash": hashlib.sha256(knn.tobytes()).hexdigest()}
out["total_s"] = time.perf_counter() - started
out["sklearn_imported"] = "sklearn" in sys.modules
print(json.dumps(out))
"""


def ft_adult() -> None:
    import json
    import os
    import subprocess

    data = ROOT / "data" / "adult" / "adult_test.csv"
    results = {}
    for side in ("ours", "sklearn"):
        out = subprocess.run([sys.executable, "-c", FT_CHILD, str(data), side], check=True, capture_output=True,
                             text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        results[side] = json.loads(out.stdout.strip().splitlines()[-1])
    same = all(results["ours"][f]["hash"] == results["sklearn"][f]["hash"] for f in ("Sex", "Age"))
    print(f"load average {os.getloadavg()[0]:.2f} / {os.getloadavg()[1]:.2f} / {os.getloadavg()[2]:.2f}")
    for side, r in results.items():
        print(f"{side:>8}: Sex {r['Sex']['s']:.2f} s, Age {r['Age']['s']:.2f} s (first includes imports), "
              f"process {r['total_s']:.2f} s, scikit-learn imported: {r['sklearn_imported']}")
    print("identical k-NN predictions:", same)


def main() -> None:
    import logging

    if "--ft-adult" in sys.argv:
        ft_adult()
        return

    logging.getLogger("smclarify").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--smclarify-rows", type=int, nargs="*", default=[1_000_000],
                        help="sizes at which smclarify also runs (it takes ~30 s at 1M rows)")
    args = parser.parse_args()

    rows = []
    for n in sorted(set(args.rows) | set(args.smclarify_rows)):
        frame = make_frame(n)
        (sections, pre, post) = ours(frame)
        row = {"rows": n, "ours_pre": pre, "ours_post": post}
        if n in args.smclarify_rows:
            (ref, rpre, rpost) = smclarify(frame)
            row.update(ref_pre=rpre, ref_post=rpost,
                       agree=same_values(sections[0]["facets"]["facet"], ref[0])
                       and same_values(sections[1]["facets"]["facet"], ref[1]))
        rows.append(row)
        del frame

    print(f"{'rows':>11} | {'ours pre':>16} | {'ours post':>16} | {'ours total':>16} | "
          f"{'smclarify total':>18} | {'speed-up wall/CPU':>17} | values agree")
    for r in rows:
        total = (r["ours_pre"][0] + r["ours_post"][0], r["ours_pre"][1] + r["ours_post"][1])
        cells = [f"{r['rows']:>11,}"] + [f"{w:6.2f}s /{c:6.2f}s CPU" for w, c in (r["ours_pre"], r["ours_post"], total)]
        if "ref_pre" in r:
            ref = (r["ref_pre"][0] + r["ref_post"][0], r["ref_pre"][1] + r["ref_post"][1])
            cells += [f"{ref[0]:7.2f}s /{ref[1]:6.2f}s CPU", f"{ref[0] / total[0]:6.0f}x / {ref[1] / total[1]:4.0f}x",
                      str(r["agree"])]
        else:
            cells += ["-", "-", "-"]
        print(" | ".join(cells))


if __name__ == "__main__":
    main()
