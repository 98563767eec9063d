"""Model artifacts loaded into the job's own process: format detection, the pickle opt-in, predict.

``predictor.model_data`` (a directory, a ``.tar.gz`` or a single model file; local or S3) holds one
of: the SageMaker XGBoost built-in algorithm's ``xgboost-model``; an XGBoost ``*.json`` / ``*.ubj``
/ ``*.bst``; a LightGBM text model (``*.txt``); a scikit-learn estimator or Pipeline saved with
joblib or pickle (``*.joblib``, ``*.pkl``, ``*.pickle``). ``predictor.model_format`` (``xgboost``,
``lightgbm``, ``sklearn``) forces the kind when a folder holds several. An optional
``model_meta.json`` ({"feature_names", "categorical", "csv_output"}) is read as the example model
server reads it, so a model behaves the same in-process and behind ``scripts/model_server``.

Pickles (joblib files, and ``xgboost-model`` files of XGBoost containers 1.0-1.2, which pickled the
Booster) execute code from the file while loading: a crafted model file can run anything with the
job's permissions and credentials. They are refused unless the user says the file is trusted with
``predictor.allow_pickle: true`` or the environment variable ``ANALYZER_ALLOW_PICKLE=1``.
XGBoost JSON/UBJ/binary and LightGBM text models are data, not code, and need no opt-in.

xgboost, lightgbm and scikit-learn are imported only when a model of that kind is loaded
(``pip install clarify-analyzer[models]``).
"""
from __future__ import annotations

import json
import os
import pickle
import tarfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd

from analyzer.errors import ConfigError, EndpointError
from analyzer.models.parsers import ModelTrees, model_trees

FORMATS = ("xgboost", "lightgbm", "sklearn")
PICKLE_ENV = "ANALYZER_ALLOW_PICKLE"
META_FILE = "model_meta.json"
_XGBOOST_NAMES = ("xgboost-model", "model.json", "model.ubj", "model.bst")
_SUFFIX_KIND = {".json": "xgboost", ".ubj": "xgboost", ".bst": "xgboost", ".txt": "lightgbm",
                ".joblib": "sklearn", ".pkl": "sklearn", ".pickle": "sklearn"}


def _kind_of(path: Path) -> str | None:
    """The format a file looks like, from its name and first bytes (None: not a model file)."""
    if path.name == META_FILE:
        return None
    if path.name == "xgboost-model":
        return "xgboost"
    kind = _SUFFIX_KIND.get(path.suffix.lower())
    head = path.read_bytes()[:64] if kind in ("xgboost", "lightgbm") else b""
    if kind == "lightgbm" and not head.startswith(b"tree"):
        return None
    if path.suffix.lower() == ".json" and b"learner" not in path.read_bytes()[:4096]:
        return None
    return kind


def _is_pickle(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(1) == b"\x80"  # pickle protocol 2+ (joblib writes the same opcode)


@contextmanager
def _local_artifacts(model_data: str) -> Iterator[Path]:
    """A local directory or file with the model: a plain model file is used as it is."""
    local = Path(model_data[len("file://"):] if model_data.startswith("file://") else model_data)
    if not model_data.startswith("s3://") and local.is_file() and not tarfile.is_tarfile(local):
        yield local
        return
    from analyzer.predictor import model_files  # fetches S3, extracts .tar.gz (lazy: predictor imports models)

    with model_files(model_data) as directory:
        yield directory


def _choose(root: Path, model_format: str | None, model_data: str) -> Path:
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    found = [(p, k) for p in files if (k := _kind_of(p)) is not None]
    if model_format is not None:
        found = [(p, k) for p, k in found if k == model_format]
    kinds = sorted({k for _, k in found})
    if not found:
        wanted = f"{model_format} model" if model_format else "model file"
        raise EndpointError(f"predictor.model_data: {model_data} holds no {wanted} (looked for xgboost-model, "
                            "*.json, *.ubj, *.bst, LightGBM *.txt, *.joblib, *.pkl).")
    if len(kinds) > 1:
        raise ConfigError(f"predictor.model_data: {model_data} holds models of several kinds ({', '.join(kinds)}); "
                          "set predictor.model_format to one of them.")
    named = [p for p, _ in found if p.name in _XGBOOST_NAMES + ("model.txt", "model.joblib", "model.pkl")]
    return (named or [p for p, _ in found])[0]


def _refuse_pickle(path: Path, allow_pickle: bool) -> None:
    if allow_pickle or os.environ.get(PICKLE_ENV, "") in ("1", "true", "TRUE", "yes"):
        return
    raise ConfigError(f"predictor.model_data: {path.name} is a Python pickle, and loading a pickle runs code "
                      "stored in the file. Set predictor.allow_pickle to true (or ANALYZER_ALLOW_PICKLE=1) "
                      "only if you trust where the file comes from; or save the model in a data format "
                      "(XGBoost JSON/UBJ, LightGBM text).")


def _load(path: Path, kind: str, allow_pickle: bool) -> Any:
    try:
        if kind == "xgboost":
            import xgboost
            if _is_pickle(path):  # SageMaker XGBoost 1.0-1.2 containers pickled the Booster
                _refuse_pickle(path, allow_pickle)
                with path.open("rb") as handle:
                    return pickle.load(handle)
            booster = xgboost.Booster()
            booster.load_model(bytearray(path.read_bytes()))  # from memory: the format is read from the bytes
            return booster
        if kind == "lightgbm":
            import lightgbm
            return lightgbm.Booster(model_file=str(path))
        _refuse_pickle(path, allow_pickle)
        import joblib
        return joblib.load(path)
    except ImportError as exc:
        raise EndpointError(f"predictor.in_process: {path.name} is a {kind} model but {exc.name} is not installed "
                            "(pip install 'clarify-analyzer[models]').") from None
    except (ConfigError, EndpointError):
        raise
    except Exception as exc:  # noqa: BLE001 - every library fails in its own way on a bad file
        raise EndpointError(f"predictor.model_data: cannot load {path.name} as a {kind} model: {exc}") from None


@dataclass
class LoadedModel:
    """A model in memory and how the example model server would answer for it."""

    kind: str
    name: str
    model: Any
    feature_names: list[str] | None = None
    categorical: list[str] = field(default_factory=list)
    csv_output: str = "score"
    _trees: ModelTrees | None = field(default=None, repr=False)

    @property
    def classes(self) -> list | None:
        found = list(getattr(self.model, "classes_", []))
        return found or None

    def predict(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """(labels, class probabilities (n, C) or None) exactly as ``scripts/model_server`` computes them."""
        frame = self._typed(frame)
        if self.kind in ("xgboost", "lightgbm"):
            values = frame.to_numpy(dtype=float)
            if self.kind == "xgboost":
                import xgboost
                scores = self.model.predict(xgboost.DMatrix(values))
            else:
                scores = np.asarray(self.model.predict(values))
            if scores.ndim == 2:
                return scores.argmax(axis=1), scores
            return (scores > 0.5).astype(int), np.column_stack([1 - scores, scores])
        if hasattr(self.model, "predict_proba"):
            probabilities = self.model.predict_proba(frame)
            return np.asarray(self.classes)[probabilities.argmax(axis=1)], probabilities
        return np.asarray(self.model.predict(frame)), None

    def trees(self) -> ModelTrees:
        """The model as a tree ensemble, with what each score the predictor returns is made of.
        Raises ``UnsupportedModel`` (with the reason) for anything else."""
        if self._trees is None:
            self._trees = model_trees(self.kind, self.model)
        return self._trees

    def _typed(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Column names as the model server's request parsing gives them (the meta file's names, else
        0..n-1), except that an estimator fitted on named columns gets those names."""
        fitted = getattr(self.model, "feature_names_in_", None)
        if self.feature_names and len(self.feature_names) == frame.shape[1]:
            frame = frame.set_axis(self.feature_names, axis=1)
        elif fitted is not None and len(fitted) == frame.shape[1]:
            frame = frame.set_axis(list(fitted), axis=1)
        else:
            frame = frame.set_axis(range(frame.shape[1]), axis=1)
        for column in self.categorical:
            if column in frame.columns:
                frame = frame.assign(**{column: frame[column].astype(str)})
        return frame


def load_model(model_data: str, *, model_format: str | None = None, allow_pickle: bool = False) -> LoadedModel:
    """Load the model behind ``predictor.model_data`` (see the module docstring)."""
    if model_format is not None and model_format not in FORMATS:
        raise ConfigError(f"predictor.model_format: {model_format!r} is not one of {', '.join(FORMATS)}.")
    with _local_artifacts(model_data) as root:
        path = _choose(root, model_format, model_data)
        kind = model_format or _kind_of(path) or "xgboost"
        meta_path = (root if root.is_dir() else root.parent) / META_FILE
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        model = _load(path, kind, allow_pickle)
    return LoadedModel(kind=kind, name=path.name, model=model, feature_names=meta.get("feature_names"),
                       categorical=list(meta.get("categorical", [])), csv_output=meta.get("csv_output", "score"))
