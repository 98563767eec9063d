"""Text explanations through the whole job: a bag-of-words classifier trained here and served over
HTTP, analysis.json (global_top_shap_text) and explanations_shap/out.jsonl in Clarify's shape,
checked against efficiency, the in-process computation and an independent aggregation."""
from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import model_servers

from analyzer.cli import main
from analyzer.explain.text_shap import text_kernel_shap
from analyzer.explain.text_units import text_settings

pytestmark = pytest.mark.slow  # trains a model, serves it over HTTP, writes the reports

GOOD = ["love", "great", "perfect", "comfortable", "beautiful"]
BAD = ["poor", "cheap", "awful", "returned", "small"]
FILLER = ["dress", "the", "fabric", "fit", "was", "this", "color", "very"]


def _reviews(n: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    for _ in range(n):
        positive = rng.random() < 0.5
        words = list(rng.choice(FILLER, size=rng.integers(2, 5)))
        words += list(rng.choice(GOOD if positive else BAD, size=rng.integers(1, 3)))
        if rng.random() < 0.3:
            words += list(rng.choice(BAD if positive else GOOD, size=1))
        rng.shuffle(words)
        texts.append(" ".join(words) + "!")
        labels.append(int(positive))
    return texts, np.array(labels)


@pytest.fixture(scope="module")
def classifier():
    """Bag of words + logistic regression (+ an age column for the mixed test)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    texts, labels = _reviews(300, rng)
    ages = rng.integers(18, 70, size=len(texts)).astype(float)
    vectorizer = CountVectorizer(token_pattern=r"[a-z]+")
    bag = vectorizer.fit_transform(texts).toarray()
    model = LogisticRegression(C=3.0).fit(np.column_stack([bag, ages / 50]), labels)

    def predict(frame: pd.DataFrame) -> np.ndarray:
        age = frame["Age"].to_numpy(float) if "Age" in frame else np.full(len(frame), 40.0)
        x = np.column_stack([vectorizer.transform(frame["Review Text"].fillna("")).toarray(), age / 50])
        return model.predict_proba(x)[:, 1]

    return predict


def serving(predict, columns: list[str]) -> AbstractContextManager[str]:
    def respond(body: str, kind: str) -> tuple[str, str]:  # CSV rows (quoted text) in, one probability per line out
        frame = pd.DataFrame(list(csv.reader(io.StringIO(body))), columns=columns)
        if "Age" in frame:
            frame["Age"] = frame["Age"].astype(float)
        return "".join(f"{float(p)!r}\n" for p in predict(frame)), "text/csv"

    return model_servers.serving(respond)


def _run(tmp_path: Path, config: dict, data: Path) -> int:
    (tmp_path / "config.json").write_text(json.dumps(config))
    return main(["run", "--config", str(tmp_path / "config.json"), "--data", str(data),
                 "--output", str(tmp_path / "out"), "--base-dir", str(tmp_path / "ml")])


def _data(tmp_path: Path, n: int, mixed: bool) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    texts, labels = _reviews(n, rng)
    texts[0] = "I love this dress, it is perfect.  But the fabric was cheap!"
    frame = pd.DataFrame({"Review Text": texts, "Recommended": labels})
    if mixed:
        frame.insert(0, "Age", rng.integers(18, 70, size=n).astype(float))
        frame.insert(0, "id", [f"r{i}" for i in range(n)])
    frame.to_csv(tmp_path / "data.csv", index=False)
    return frame


def test_token_explanations_of_a_served_text_classifier(tmp_path: Path, classifier) -> None:
    frame = _data(tmp_path, 12, mixed=False)
    with serving(classifier, ["Review Text"]) as url:
        config = {"dataset_type": "text/csv", "headers": ["Review Text", "Recommended"], "label": "Recommended",
                  "methods": {"shap": {"baseline": [["<UNK>"]], "num_samples": 40, "seed": 2,
                                       "save_local_shap_values": True,
                                       "text_config": {"granularity": "token", "language": "english",
                                                       "max_top_tokens": 5}}},
                  "predictor": {"endpoint_url": url, "content_type": "text/csv", "accept_type": "text/csv"}}
        assert _run(tmp_path, config, tmp_path / "data.csv") == 0
    out = tmp_path / "out"
    analysis = json.loads((out / "analysis.json").read_text())
    block = analysis["explanations"]["kernel_shap"]["label0"]
    assert list(block) == ["global_shap_values", "expected_value", "global_top_shap_text"]
    assert block["global_shap_values"] == {}
    assert block["expected_value"] == pytest.approx(float(classifier(pd.DataFrame({"Review Text": ["<UNK>"]}))[0]))

    lines = [json.loads(line) for line in (out / "explanations_shap" / "out.jsonl").read_text().splitlines()]
    assert len(lines) == len(frame)
    first = lines[0]
    assert list(first) == ["explanations"]
    feature = first["explanations"][0]
    assert list(feature) == ["feature_name", "data_type", "attributions"]
    assert (feature["feature_name"], feature["data_type"]) == ("Review Text", "free_text")
    text = frame["Review Text"][0]
    tokens = [(a["description"]["partial_text"], a["description"]["start_idx"]) for a in feature["attributions"]]
    assert [t for t, _ in tokens][:6] == ["I", "love", "this", "dress", ",", "it"]
    assert all(text[s:s + len(t)] == t for t, s in tokens)
    assert all(list(a) == ["attribution", "description"] and len(a["attribution"]) == 1
               for a in feature["attributions"])

    # Efficiency per record: sum = f(x) - f(every token replaced by <UNK>); and the in-process game agrees.
    settings = text_settings({"granularity": "token", "language": "english"})
    direct = text_kernel_shap(classifier, frame[["Review Text"]], pd.DataFrame({"Review Text": ["<UNK>"]}),
                              ["Review Text"], settings, num_samples=40, seed=2)
    for i, line in enumerate(lines):
        values = np.array([a["attribution"][0] for a in line["explanations"][0]["attributions"]])
        n_units = len(direct.units[i]["Review Text"])
        masked = direct.units[i]["Review Text"].rebuild(np.zeros(n_units, bool), "<UNK>")
        f = classifier(pd.DataFrame({"Review Text": [frame["Review Text"][i], masked]}))
        assert values.sum() == pytest.approx(f[0] - f[1], abs=1e-9)
        np.testing.assert_allclose(values, direct.unit_values[i]["Review Text"][:, 0], atol=1e-9)

    # global_top_shap_text: mean |phi| over every occurrence of a token, the 5 largest, largest first.
    occurrences = defaultdict(list)
    for line in lines:
        for a in line["explanations"][0]["attributions"]:
            occurrences[a["description"]["partial_text"]].append(abs(a["attribution"][0]))
    expected = sorted(((t, np.mean(v)) for t, v in occurrences.items()), key=lambda item: -item[1])[:5]
    top = block["global_top_shap_text"]["Review Text"]
    assert list(top) == [t for t, _ in expected]
    np.testing.assert_allclose(list(top.values()), [v for _, v in expected], rtol=1e-12)
    assert set(top) & set(GOOD + BAD)


def test_mixed_tabular_and_text_sentences_with_the_default_baseline(tmp_path: Path, classifier) -> None:
    frame = _data(tmp_path, 10, mixed=True)
    with serving(classifier, ["Age", "Review Text"]) as url:
        config = {"dataset_type": "text/csv", "label": "Recommended", "joinsource_name_or_index": "id",
                  "methods": {"shap": {"num_samples": 100, "num_clusters": 1, "save_local_shap_values": True,
                                       "agg_method": "median",
                                       "text_config": {"granularity": "sentence", "language": "en"}}},
                  "predictor": {"endpoint_url": url}}
        assert _run(tmp_path, config, tmp_path / "data.csv") == 0
    out = tmp_path / "out"
    baseline = pd.read_csv(out / "explanations_shap" / "baseline.csv", keep_default_na=False)
    assert list(baseline.columns) == ["Age", "Review Text"]
    assert baseline["Review Text"].tolist() == [""]       # default: absent sentences are dropped
    assert frame["Age"].min() <= baseline["Age"][0] <= frame["Age"].max()   # the K-means baseline of Age
    analysis = json.loads((out / "analysis.json").read_text())
    block = analysis["explanations"]["kernel_shap"]["label0"]
    lines = [json.loads(line) for line in (out / "explanations_shap" / "out.jsonl").read_text().splitlines()]
    assert [line["join_source_value"] for line in lines] == frame["id"].tolist()
    first = lines[0]["explanations"]
    assert [(e["feature_name"], e["data_type"]) for e in first] == [("Age", "numerical"), ("Review Text", "free_text")]
    assert [a["description"]["partial_text"] for a in first[1]["attributions"]] == [
        "I love this dress, it is perfect.", "But the fabric was cheap!"]
    ages = [line["explanations"][0]["attributions"][0]["attribution"][0] for line in lines]
    assert block["global_shap_values"]["Age"] == pytest.approx(float(np.median(ages)), abs=1e-12)
    for i, line in enumerate(lines):  # efficiency: f(x) - f(baseline age, empty text); one sentence per record or two
        total = sum(a["attribution"][0] for e in line["explanations"] for a in e["attributions"])
        f = classifier(pd.DataFrame({"Age": [frame["Age"][i], baseline["Age"][0]],
                                     "Review Text": [frame["Review Text"][i], ""]}))
        assert total == pytest.approx(f[0] - f[1], abs=1e-9)


def test_a_config_from_the_sdk_runs(tmp_path: Path, classifier) -> None:
    """SHAPConfig/TextConfig from the SageMaker Python SDK; only the predictor points at the test server."""
    clarify = pytest.importorskip("sagemaker.clarify")
    frame = _data(tmp_path, 6, mixed=False)
    data_config = clarify.DataConfig(s3_data_input_path="s3://bucket/data.csv", s3_output_path="s3://bucket/out",
                                     label="Recommended", headers=list(frame.columns), dataset_type="text/csv")
    model_config = clarify.ModelConfig(model_name="bow", instance_type="ml.m5.xlarge", instance_count=1,
                                       content_type="text/csv", accept_type="text/csv")
    shap_config = clarify.SHAPConfig(baseline=[["<UNK>"]], num_samples=30, agg_method="mean_abs",
                                     save_local_shap_values=True, seed=1,
                                     text_config=clarify.TextConfig(granularity="token", language="english"))
    config = clarify._AnalysisConfigGenerator.explainability(data_config, model_config, None, shap_config)
    assert config["methods"]["shap"]["text_config"] == {"granularity": "token", "language": "english"}
    with serving(classifier, ["Review Text"]) as url:
        sdk_predictor = config["predictor"]
        config["predictor"] = {k: v for k, v in sdk_predictor.items()
                               if k not in ("model_name", "instance_type", "initial_instance_count")}
        config["predictor"]["endpoint_url"] = url
        assert _run(tmp_path, config, tmp_path / "data.csv") == 0
    lines = (tmp_path / "out" / "explanations_shap" / "out.jsonl").read_text().splitlines()
    assert len(lines) == 6
    top = json.loads((tmp_path / "out" / "analysis.json").read_text())["explanations"]["kernel_shap"]["label0"]
    assert 0 < len(top["global_top_shap_text"]["Review Text"]) <= 50


def serving_jsonlines(predict) -> AbstractContextManager[str]:
    def respond(body: str, kind: str) -> tuple[str, str]:  # {"features": [text]} lines in, {"score": p} lines out
        texts = [json.loads(line)["features"][0] for line in body.splitlines() if line.strip()]
        frame = pd.DataFrame({"Review Text": texts})
        return "".join(json.dumps({"score": float(p)}) + "\n" for p in predict(frame)), "application/jsonlines"

    return model_servers.serving(respond)


def test_jsonlines_data_and_model_with_paragraphs(tmp_path: Path, classifier) -> None:
    texts = ["I love it.\n\nBut it was cheap and small!", "Perfect fit.", "awful\n\n\ncolor\n\nreturned"]
    (tmp_path / "data.jsonl").write_text("".join(json.dumps({"features": [t], "label": i % 2}) + "\n"
                                                 for i, t in enumerate(texts)))
    with serving_jsonlines(classifier) as url:
        config = {"dataset_type": "application/jsonlines", "features": "features", "label": "label",
                  "headers": ["Review Text"],
                  "methods": {"shap": {"baseline": [{"features": ["[MASK]"]}], "num_samples": 6,
                                       "save_local_shap_values": True,
                                       "text_config": {"granularity": "paragraph", "language": "xx"}}},
                  "predictor": {"endpoint_url": url, "content_type": "application/jsonlines",
                                "content_template": '{"features":$features}', "probability": "score"}}
        assert _run(tmp_path, config, tmp_path / "data.jsonl") == 0
    local = (tmp_path / "out" / "explanations_shap" / "out.jsonl").read_text()
    lines = [json.loads(line) for line in local.splitlines()]
    units = [[a["description"]["partial_text"] for a in line["explanations"][0]["attributions"]] for line in lines]
    assert units == [["I love it.", "But it was cheap and small!"], ["Perfect fit."], ["awful", "color", "returned"]]
    for text, line in zip(texts, lines):
        values = [a["attribution"][0] for a in line["explanations"][0]["attributions"]]
        n = len(values)
        masked = "\n\n".join(["[MASK]"] * n) if n > 1 else "[MASK]"
        f = classifier(pd.DataFrame({"Review Text": [text, masked]}))
        assert sum(values) == pytest.approx(f[0] - f[1], abs=1e-9)   # the bag of words ignores whitespace


def test_text_over_the_payload_limit_is_named(tmp_path: Path, classifier, capsys) -> None:
    frame = pd.DataFrame({"Review Text": ["short one", "great " * 400], "Recommended": [1, 0]})
    frame.to_csv(tmp_path / "data.csv", index=False)
    with serving(classifier, ["Review Text"]) as url:
        config = {"dataset_type": "text/csv", "label": "Recommended",
                  "methods": {"shap": {"num_samples": 4,
                                       "text_config": {"granularity": "token", "language": "english"}}},
                  "predictor": {"endpoint_url": url, "max_payload_mb": 0.001}}
        assert _run(tmp_path, config, tmp_path / "data.csv") == 4
    err = capsys.readouterr().err
    assert "more than the payload limit of 1048 bytes (predictor.max_payload_mb)" in err
    assert not (tmp_path / "out" / "analysis.json").exists()
