"""Small tree models of every supported kind, trained on a synthetic numeric dataset, and saved as
the artifacts ``predictor.model_data`` takes."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

NUM_FEATURES = 6


def dataset(rows: int = 400, seed: int = 0, missing: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """Features f0..f5 (one integer-valued, one binary) and a binary label that needs interactions."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, NUM_FEATURES))
    x[:, 3] = rng.integers(0, 5, rows)
    x[:, 4] = rng.integers(0, 2, rows)
    y = ((x[:, 0] + x[:, 1] * x[:, 2] + 0.5 * x[:, 3] - x[:, 4] + rng.normal(0, 0.3, rows)) > 1).astype(int)
    if missing:
        x[rng.random(x.shape) < 0.05] = np.nan
    return pd.DataFrame(x, columns=[f"f{i}" for i in range(NUM_FEATURES)]), y


def train(kind: str, x: pd.DataFrame, y: np.ndarray) -> Any:
    """A fitted model: xgb, xgb_reg, lgb, lgb_reg, rf, rf_reg, et, gb, gb_reg, dt."""
    values = x.to_numpy()
    if kind.startswith("xgb"):
        import xgboost as xgb
        objective = "reg:squarederror" if kind == "xgb_reg" else "binary:logistic"
        return xgb.train({"objective": objective, "max_depth": 4, "eta": 0.3, "nthread": 1, "seed": 0},
                         xgb.DMatrix(values, label=y), 25)
    if kind.startswith("lgb"):
        import lightgbm as lgb
        objective = "regression" if kind == "lgb_reg" else "binary"
        return lgb.train({"objective": objective, "num_leaves": 12, "verbose": -1, "num_threads": 1,
                          "min_data_in_leaf": 5}, lgb.Dataset(values, label=y), 25)
    from sklearn import ensemble, tree
    filled = np.nan_to_num(values)
    makers = {
        "rf": lambda: ensemble.RandomForestClassifier(20, max_depth=5, random_state=0),
        "rf_reg": lambda: ensemble.RandomForestRegressor(15, max_depth=5, random_state=0),
        "et": lambda: ensemble.ExtraTreesClassifier(15, max_depth=5, random_state=0),
        "gb": lambda: ensemble.GradientBoostingClassifier(n_estimators=25, max_depth=3, random_state=0),
        "gb_reg": lambda: ensemble.GradientBoostingRegressor(n_estimators=25, max_depth=3, random_state=0),
        "dt": lambda: tree.DecisionTreeClassifier(max_depth=6, random_state=0),
        "hgb": lambda: ensemble.HistGradientBoostingClassifier(max_iter=20, random_state=0),
        "hgb_reg": lambda: ensemble.HistGradientBoostingRegressor(max_iter=20, random_state=0),
        "ada": lambda: ensemble.GradientBoostingClassifier(loss="exponential", n_estimators=20, random_state=0),
    }
    if kind.startswith("hgb"):  # learns where missing values go
        return makers[kind]().fit(values, y)
    return makers[kind]().fit(filled, y)


def save(model: Any, kind: str, directory: Path, meta: dict | None = None) -> Path:
    """The model as an artifact directory (xgboost-model, model.txt or model.joblib)."""
    directory.mkdir(parents=True, exist_ok=True)
    if kind.startswith("xgb"):
        model.save_model(str(directory / "model.ubj"))  # what the built-in algorithm writes, by another name
        (directory / "model.ubj").rename(directory / "xgboost-model")
    elif kind.startswith("lgb"):
        model.save_model(str(directory / "model.txt"))
    else:
        import joblib
        joblib.dump(model, directory / "model.joblib")
    if meta is not None:
        (directory / "model_meta.json").write_text(json.dumps(meta))
    return directory
