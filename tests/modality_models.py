"""One real model per modality that every predictor backend can run, and the job that explains it,
for the tests that check each backend gives the HTTP backend's analysis.json.

- Images: a scikit-learn pipeline (min-max scaling, logistic regression) trained here on the RGB
  pixels of small pictures whose coloured square decides the class; saved as ``model.joblib`` it is
  served by ``scripts/model_server`` (which reads image requests as pixel rows), run in its image,
  or loaded in process.
- Text: a scikit-learn pipeline (bag of words on column 0, logistic regression) trained here on
  short reviews; ``model.joblib`` as above.
- Time series: ``tests/forecast_model.py``'s autoregressive forecaster (saved with
  ``ForecastModel.save``; its module is also the model container's server).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from analyzer.cli import main
from forecast_model import weather_records

CLASSES = ["blue", "green", "red"]    # scikit-learn's order of the class names: predict_proba's columns
SIZE = 16
COLOURS = np.array([(30, 40, 220), (30, 200, 40), (220, 30, 30)], dtype=np.uint8)


def picture(seed: int) -> tuple[np.ndarray, int]:
    """A smooth, slightly noisy background with a coloured square (the class) and a smaller square of
    another colour: SLIC finds the squares and a few background segments."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    shift = rng.integers(0, 40, size=3)
    image = np.stack([80 + 3 * xx + shift[0], 100 + 3 * yy + shift[1], 90 + shift[2] + 0 * xx], -1)
    image = (image + rng.integers(-6, 7, image.shape)).clip(0, 255).astype(np.uint8)
    cls, other = rng.choice(3, size=2, replace=False)
    r, c = rng.integers(0, SIZE - 8, size=2)
    image[r:r + 8, c:c + 8] = COLOURS[cls]
    r, c = rng.integers(0, SIZE - 4, size=2)
    image[r:r + 4, c:c + 4] = COLOURS[other]
    return image, int(cls)


def pixel_model(directory: Path) -> Path:
    """Train the pixel classifier; ``directory`` then holds ``model.joblib``."""
    import joblib
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    pictures = [picture(seed) for seed in range(120)]
    x = np.stack([p.reshape(-1) for p, _ in pictures]).astype(float)
    y = np.array([CLASSES[c] for _, c in pictures])
    model = make_pipeline(MinMaxScaler(), LogisticRegression(C=0.1, max_iter=2000)).fit(x, y)
    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, directory / "model.joblib")
    return directory


def write_images(folder: Path, count: int) -> Path:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        Image.fromarray(picture(1000 + i)[0]).save(folder / f"img{i}.png")
    return folder


def image_config(**predictor: Any) -> dict:
    """Classification with Clarify's default request type (JPEG), the scores by JMESPath."""
    return {"dataset_type": "application/x-image",
            "methods": {"shap": {"num_samples": 24, "seed": 3, "image_config": {
                "model_type": "IMAGE_CLASSIFICATION", "num_segments": 8, "segment_compactness": 10}}},
            "predictor": {"content_type": "image/jpeg", "accept_type": "application/json",
                          "probability": "predictions[*].scores", "label_headers": CLASSES, **predictor}}


GOOD, BAD = ["love", "great", "perfect", "comfortable"], ["poor", "cheap", "awful", "small"]
FILLER = ["dress", "the", "fabric", "fit", "was", "this", "colour"]


def reviews(count: int, seed: int) -> tuple[list[str], list[int]]:
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(count):
        positive = bool(rng.random() < 0.5)
        words = [*rng.choice(FILLER, size=3), *rng.choice(GOOD if positive else BAD, size=2), rng.choice(BAD)]
        rng.shuffle(words)
        texts.append(" ".join(words) + ", really!")
        labels.append(int(positive))
    return texts, labels


def text_model(directory: Path) -> Path:
    """Train the review classifier (fitted on an unnamed column: served and in-process frames agree)."""
    import joblib
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts, labels = reviews(200, 0)
    bag = ColumnTransformer([("bag", CountVectorizer(token_pattern=r"[a-z]+"), 0)])
    model = make_pipeline(bag, LogisticRegression(C=3.0)).fit(np.array(texts, dtype=object)[:, None], labels)
    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, directory / "model.joblib")
    return directory


def write_reviews(path: Path, count: int = 6) -> Path:
    import pandas as pd

    texts, labels = reviews(count, 7)
    pd.DataFrame({"Review Text": texts, "Recommended": labels}).to_csv(path, index=False)
    return path


def text_config(**predictor: Any) -> dict:
    return {"dataset_type": "text/csv", "headers": ["Review Text", "Recommended"], "label": "Recommended",
            "methods": {"shap": {"baseline": [["<UNK>"]], "num_samples": 24, "seed": 2,
                                 "save_local_shap_values": True,
                                 "text_config": {"granularity": "token", "language": "english",
                                                 "max_top_tokens": 5}}},
            "predictor": {"content_type": "text/csv", "accept_type": "text/csv", **predictor}}


def text_results(out: Path) -> dict:
    """analysis.json's kernel_shap block and the local explanations (out.jsonl)."""
    block = json.loads((out / "analysis.json").read_text())["explanations"]["kernel_shap"]
    lines = (out / "explanations_shap" / "out.jsonl").read_text().splitlines()
    return {"kernel_shap": block, "lines": [json.loads(line) for line in lines]}


TS_FORMAT = {"dataset_format": "timestamp_records", "item_id": "[].item_id", "timestamp": "[].timestamp",
             "target_time_series": "[].p_mbar", "related_time_series": ["[].rain_mm", "[].T_degC"]}


def time_series_config(**predictor: Any) -> dict:
    return {"dataset_type": "application/json",
            "methods": {"asymmetric_shapley_value": {"direction": "chronological", "granularity": "fine_grained",
                                                     "num_samples": 3}},
            "predictor": {"content_type": "application/json", "accept_type": "application/json",
                          "content_template": '{"instances": $records}',
                          "record_template": '{"start": $start_time, "target": $target_time_series, '
                                             '"dynamic_feat": $related_time_series}',
                          "time_series_predictor_config": {"forecast": "predictions[*].mean"}, **predictor},
            "time_series_data_config": TS_FORMAT}


def write_series(path: Path) -> Path:
    path.write_text(json.dumps(weather_records({"a": 3, "b": 4}, horizon=1)))
    return path


def run_job(workdir: Path, config: dict, data: Path) -> tuple[int, Path]:
    """(exit code, output folder) of ``analyzer run`` in this process."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.json").write_text(json.dumps(config))
    code = main(["run", "--config", str(workdir / "config.json"), "--data", str(data),
                 "--output", str(workdir / "out"), "--base-dir", str(workdir / "ml")])
    return code, workdir / "out"


def assert_same(actual: Any, expected: Any, path: str = "") -> None:
    """Equal structure, keys, strings and bytes; numbers equal to 1e-12 (a model answering a batch of rows
    at once, as in process, may differ in the last bit from one row per request: BLAS sums differently)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and list(actual) == list(expected), (path, actual, expected)
        for key in expected:
            assert_same(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (path, actual, expected)
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, f"{path}[{i}]")
    elif isinstance(expected, float):
        assert isinstance(actual, (float, int)) and abs(actual - expected) <= 1e-12 * max(1.0, abs(expected)), \
            (path, actual, expected)
    else:
        assert actual == expected, (path, actual, expected)


def message(workdir: Path) -> str:
    return (workdir / "ml" / "output" / "message").read_text()


def image_results(out: Path) -> dict:
    """What must not depend on the backend: the image section of analysis.json and the heat maps."""
    section = json.loads((out / "analysis.json").read_text())["explanations"]["image_kernel_shap"]
    return {"section": section, "files": {e["heat_map"]: (out / e["heat_map"]).read_bytes()
                                          for e in section["images"]}}


def explain_series(config: dict, data: Path, out: Path) -> dict:
    """The time-series stage as the job runs it (predictor opened from the config, torn down after),
    without the reports (seconds per job): analysis.json's entry, less where out.jsonl is, and its lines."""
    from analyzer.config import parse_config
    from analyzer.stages.time_series import run_time_series

    result = run_time_series(parse_config(config), data, out)
    entry = {k: v for k, v in result.entry.items() if k != "explanation_results_path"}
    return {"entry": entry, "lines": json.loads(json.dumps(result.lines))}
