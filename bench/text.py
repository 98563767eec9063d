"""Text Kernel SHAP cost against the model-evaluation floor, and against shap's text explainers.

1,000 synthetic reviews of ~60 tokens (a fixed vocabulary), a bag-of-words logistic regression
(scikit-learn) as the model, token granularity, empty-string baseline. Ours: ``text_kernel_shap``;
floor: the same number of model rows at the model's measured throughput; shap: ``shap.Explainer``
with a ``shap.maskers.Text`` masker (Partition explainer) and ``max_evals`` equal to our rows per
record. Records beyond ``--rows`` are extrapolated linearly (printed as such). CPU seconds.

    python bench/text.py --rows 50 --shap-rows 10 [--num-samples 500]
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

TOTAL = 1000


def reviews(n: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    good = ["love", "great", "perfect", "comfortable", "beautiful", "soft", "flattering"]
    bad = ["poor", "cheap", "awful", "returned", "small", "itchy", "thin"]
    filler = ["the", "dress", "fabric", "fit", "was", "this", "color", "very", "and", "it", "is", "a",
              "for", "with", "on", "me", "i", "but", "size", "length"]
    texts, labels = [], []
    for _ in range(n):
        pos = rng.random() < 0.5
        words = list(rng.choice(filler, size=52)) + list(rng.choice(good if pos else bad, size=6)) + \
            list(rng.choice(bad if pos else good, size=2))
        rng.shuffle(words)
        texts.append(" ".join(words) + ".")
        labels.append(int(pos))
    return texts, np.array(labels)


def cpu() -> float:
    t = os.times()
    return t.user + t.system


def main() -> None:
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    from analyzer.explain import text_kernel_shap, text_settings
    from analyzer.explain.text_units import split_units

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--shap-rows", type=int, default=10)
    parser.add_argument("--num-samples", type=int, default=None)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    texts, labels = reviews(2000, rng)
    vec = CountVectorizer(token_pattern=r"[a-z]+")
    model = LogisticRegression(max_iter=200).fit(vec.fit_transform(texts), labels)

    def predict_texts(values) -> np.ndarray:
        return model.predict_proba(vec.transform(list(values)))[:, 1:]

    def predict(frame: pd.DataFrame) -> np.ndarray:
        return predict_texts(frame["review"])

    data, _ = reviews(TOTAL, np.random.default_rng(1))
    probe = [t for t in data for _ in range(20)][:20000]
    start = cpu()
    predict_texts(probe)
    throughput = len(probe) / (cpu() - start)

    records = pd.DataFrame({"review": data[:args.rows]})
    settings = text_settings({"granularity": "token", "language": "english"})
    start = cpu()
    split_units("warm up", settings)  # loads spaCy's blank English pipeline once per job
    print(f"spaCy pipeline load: {cpu() - start:.2f} CPU s (once per job, not extrapolated)")
    start = cpu()
    result = text_kernel_shap(predict, records, pd.DataFrame({"review": [""]}), ["review"], settings,
                              num_samples=args.num_samples, seed=0)
    ours = (cpu() - start) * TOTAL / args.rows
    rows = result.model_rows * TOTAL / args.rows
    floor = rows / throughput
    tokens = float(np.mean(result.num_players))
    print(f"tokens per review {tokens:.1f}; model throughput {throughput:.3g} rows/CPU-s")
    print(f"ours: {ours:.1f} CPU s for {TOTAL} reviews (from {args.rows}); model rows {rows:.3g}; "
          f"floor {floor:.1f} s; ours/floor {ours / floor:.2f}x")

    here = Path(__file__).resolve().parent  # bench/shap.py would shadow the shap package
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    from shap import Explainer
    from shap.maskers import Text

    masker = Text(r"\W+")
    explainer = Explainer(lambda x: predict_texts(x)[:, 0], masker)
    per_record = int(result.model_rows / args.rows)
    start = cpu()
    explainer(data[:args.shap_rows], max_evals=per_record, silent=True)
    theirs = (cpu() - start) * TOTAL / args.shap_rows
    print(f"shap Partition (max_evals={per_record}): {theirs:.1f} CPU s for {TOTAL} reviews "
          f"(from {args.shap_rows}); shap/ours {theirs / ours:.2f}x")


if __name__ == "__main__":
    main()
