"""Read the trees out of XGBoost, LightGBM and scikit-learn models into a ``TreeEnsemble``.

Each parser also returns the model's *link*: how its scores follow from the margin
(``"identity"``: the score is the margin, ``"logistic"``: ``1 / (1 + exp(-margin))``, or anything
else, which no exact path explains). Base margins are measured, not read from parameters: the
library's raw prediction of one row minus the leaves that row reaches (intercepts are stored
differently in every version of every library).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from analyzer.models.ensemble import MISSING_NAN, MISSING_NONE, MISSING_ZERO, Tree, TreeEnsemble, UnsupportedModel

IDENTITY, LOGISTIC = "identity", "logistic"

_XGB_LINKS = {"binary:logistic": LOGISTIC, "reg:logistic": LOGISTIC, "binary:logitraw": IDENTITY,
              "reg:squarederror": IDENTITY, "reg:linear": IDENTITY, "reg:absoluteerror": IDENTITY,
              "reg:pseudohubererror": IDENTITY, "reg:quantileerror": IDENTITY}


def _base(ensemble: TreeEnsemble, raw_of_row: np.ndarray, row: np.ndarray) -> None:
    ensemble.base = np.zeros(ensemble.num_outputs)
    ensemble.base = np.asarray(raw_of_row, dtype=float).reshape(-1) - ensemble.margin(row[None, :])[0]


def from_xgboost(booster: Any) -> tuple[TreeEnsemble, str]:
    """``xgboost.Booster`` → ensemble and link (``objective`` decides the link)."""
    import xgboost

    doc = json.loads(booster.save_raw("json"))
    learner = doc["learner"]
    booster_doc = learner["gradient_booster"]
    if booster_doc.get("name") != "gbtree":
        raise UnsupportedModel(f"XGBoost booster '{booster_doc.get('name')}' is not a plain tree ensemble "
                               "(dart weights trees, gblinear has none)")
    model = booster_doc["model"]
    groups = model["tree_info"]
    outputs = max(groups, default=0) + 1
    width = int(learner["learner_model_param"].get("num_feature", 0))
    trees = []
    for tree_doc, group in zip(model["trees"], groups, strict=True):
        if int(tree_doc["tree_param"].get("size_leaf_vector", "1")) > 1:
            raise UnsupportedModel("XGBoost multi-target trees (vector leaves) are not supported")
        if any(int(s) != 0 for s in tree_doc["split_type"]):
            raise UnsupportedModel("the XGBoost model has categorical splits")
        left = np.asarray(tree_doc["left_children"], dtype=np.intp)
        cond = np.asarray(tree_doc["split_conditions"], dtype=np.float32).astype(np.float64)
        feature = np.where(left < 0, -1, np.asarray(tree_doc["split_indices"], dtype=np.intp))
        value = np.zeros((len(left), outputs))
        value[:, group] = np.where(left < 0, cond, 0.0)
        trees.append(Tree(feature=feature, threshold=cond, left=left,
                          right=np.asarray(tree_doc["right_children"], dtype=np.intp),
                          default_left=np.asarray(tree_doc["default_left"], dtype=bool), value=value, strict=True))
    ensemble = TreeEnsemble(trees, np.zeros(outputs), width, float32_features=True, library="xgboost")
    row = np.zeros((1, width))
    _base(ensemble, booster.predict(xgboost.DMatrix(row), output_margin=True), row[0])
    name = learner["objective"]["name"]
    return ensemble, _XGB_LINKS.get(name, name)


def _lightgbm_tree(node: dict, outputs: int, group: int, scale: float) -> Tree:
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    default_left: list[bool] = []
    missing: list[int] = []
    values: list[float] = []
    kinds = {"None": MISSING_NONE, "Zero": MISSING_ZERO, "NaN": MISSING_NAN}

    def add(n: dict) -> int:
        index = len(feature)
        columns: tuple[list[Any], ...] = (feature, threshold, left, right, default_left, missing, values)
        for column in columns:
            column.append(0)
        if "leaf_value" in n or "split_feature" not in n:
            feature[index], left[index], right[index] = -1, -1, -1
            values[index] = float(n.get("leaf_value", 0.0)) * scale
            return index
        if n.get("decision_type", "<=") != "<=":
            raise UnsupportedModel("the LightGBM model has categorical splits")
        feature[index], threshold[index] = int(n["split_feature"]), float(n["threshold"])
        default_left[index], missing[index] = bool(n.get("default_left", True)), kinds[n.get("missing_type", "None")]
        left[index] = add(n["left_child"])
        right[index] = add(n["right_child"])
        return index

    add(node)
    value = np.zeros((len(feature), outputs))
    value[:, group] = values
    return Tree(feature=np.asarray(feature, dtype=np.intp), threshold=np.asarray(threshold, dtype=float),
                left=np.asarray(left, dtype=np.intp), right=np.asarray(right, dtype=np.intp),
                default_left=np.asarray(default_left, dtype=bool), value=value,
                missing=np.asarray(missing, dtype=np.int8), strict=False)


def from_lightgbm(booster: Any) -> tuple[TreeEnsemble, str]:
    """``lightgbm.Booster`` → ensemble and link (``binary sigmoid:s`` scales the margin by s)."""
    doc = booster.dump_model()
    objective = str(doc.get("objective", "")).split()
    name = objective[0] if objective else ""
    if any(t.get("num_cat", 0) for t in doc["tree_info"]):
        raise UnsupportedModel("the LightGBM model has categorical splits")
    if booster.params.get("linear_tree") or doc.get("linear_tree"):
        raise UnsupportedModel("LightGBM linear trees are not supported")
    per_iteration = int(doc.get("num_tree_per_iteration", 1))
    scale = 1.0
    for part in objective[1:]:
        if part.startswith("sigmoid:") and name in ("binary", "cross_entropy", "xentropy"):
            scale = float(part.split(":", 1)[1])  # p = sigmoid(s * raw): explain s * raw
    trees_doc = doc["tree_info"]
    if doc.get("average_output"):
        scale /= max(1, len(trees_doc) // per_iteration)
    trees = [_lightgbm_tree(t["tree_structure"], per_iteration, i % per_iteration, scale)
             for i, t in enumerate(trees_doc)]
    width = int(doc["max_feature_idx"]) + 1
    ensemble = TreeEnsemble(trees, np.zeros(per_iteration), width, float32_features=False, library="lightgbm")
    row = np.zeros((1, width))
    _base(ensemble, np.asarray(booster.predict(row, raw_score=True)) * (scale * (
        max(1, len(trees_doc) // per_iteration) if doc.get("average_output") else 1)), row[0])
    link = LOGISTIC if name in ("binary", "cross_entropy", "xentropy") else (
        IDENTITY if name in ("regression", "regression_l1", "huber", "fair", "quantile", "mape") else name)
    return ensemble, link


def _sklearn_tree(estimator: Any, outputs: int, scale: float, column: int | None) -> Tree:
    """One fitted scikit-learn decision tree. ``column``: the regression value's output index;
    ``None``: a classifier, whose leaves hold class probabilities (one output per class)."""
    t = estimator.tree_
    if t.n_outputs != 1:
        raise UnsupportedModel("multi-output scikit-learn trees are not supported")
    leaf = t.children_left < 0
    raw = t.value[:, 0, :]
    value = np.zeros((t.node_count, outputs))
    if column is None:
        totals = raw.sum(axis=1, keepdims=True)
        value[:, :raw.shape[1]] = np.where(totals > 0, raw / np.where(totals > 0, totals, 1), 0.0) * scale
    else:
        value[:, column] = raw[:, 0] * scale
    value[~leaf] = 0.0
    missing_left = getattr(t, "missing_go_to_left", None)
    default_left = np.zeros(t.node_count, dtype=bool) if missing_left is None else np.asarray(missing_left, bool)
    return Tree(feature=np.where(leaf, -1, t.feature).astype(np.intp), threshold=t.threshold.astype(float),
                left=t.children_left.astype(np.intp), right=t.children_right.astype(np.intp),
                default_left=default_left, value=value, strict=False)


def from_sklearn(estimator: Any) -> tuple[TreeEnsemble, str]:
    """Decision trees, random forests, extra trees, gradient boosting and histogram gradient boosting."""
    from sklearn import ensemble as sk_ensemble
    from sklearn import tree as sk_tree

    width = int(getattr(estimator, "n_features_in_", 0))
    row = np.zeros((1, width))
    classifier = hasattr(estimator, "classes_")
    if isinstance(estimator, (sk_tree.BaseDecisionTree, sk_ensemble.RandomForestClassifier,
                              sk_ensemble.RandomForestRegressor, sk_ensemble.ExtraTreesClassifier,
                              sk_ensemble.ExtraTreesRegressor)):
        members = [estimator] if isinstance(estimator, sk_tree.BaseDecisionTree) else list(estimator.estimators_)
        outputs = len(estimator.classes_) if classifier else 1
        trees = [_sklearn_tree(m, outputs, 1.0 / len(members), None if classifier else 0) for m in members]
        ensemble = TreeEnsemble(trees, np.zeros(outputs), width, float32_features=True, library="scikit-learn")
        raw = estimator.predict_proba(row) if classifier else estimator.predict(row)
        _base(ensemble, raw, row[0])
        return ensemble, IDENTITY  # probabilities and values are averages of leaf values
    if isinstance(estimator, (sk_ensemble.GradientBoostingClassifier, sk_ensemble.GradientBoostingRegressor)):
        stages = estimator.estimators_  # (n_stages, K) regression trees
        outputs = stages.shape[1]
        # the exponential (AdaBoost) loss gives P(class 1) = sigmoid(2 * raw): explain 2 * raw
        factor = 2.0 if getattr(estimator, "loss", "") == "exponential" else 1.0
        rate = float(estimator.learning_rate) * factor
        trees = [_sklearn_tree(stages[i, k], outputs, rate, k)
                 for i in range(stages.shape[0]) for k in range(outputs)]
        ensemble = TreeEnsemble(trees, np.zeros(outputs), width, float32_features=True, library="scikit-learn")
        raw = estimator.decision_function(row) * factor if classifier else estimator.predict(row)
        _base(ensemble, raw, row[0])
        if not classifier:
            return ensemble, IDENTITY
        return ensemble, LOGISTIC if outputs == 1 else "softmax"
    if isinstance(estimator, (sk_ensemble.HistGradientBoostingClassifier,
                              sk_ensemble.HistGradientBoostingRegressor)):
        return _hist_gradient_boosting(estimator, classifier, width, row)
    raise UnsupportedModel(f"{type(estimator).__name__} is not a tree ensemble the exact path reads")


def _hist_gradient_boosting(estimator: Any, classifier: bool, width: int, row: np.ndarray) -> tuple[TreeEnsemble, str]:
    """HistGradientBoosting: float64 features, ``x <= threshold``, NaN to ``missing_go_to_left``;
    leaf values already carry the learning rate."""
    if not classifier and estimator.loss not in ("squared_error", "absolute_error", "quantile"):
        raise UnsupportedModel(f"HistGradientBoostingRegressor with loss '{estimator.loss}' predicts exp(margin)")
    outputs = len(estimator._predictors[0])
    trees = []
    for iteration in estimator._predictors:
        for k, predictor in enumerate(iteration):
            nodes = predictor.nodes
            if nodes["is_categorical"].any():
                raise UnsupportedModel("the HistGradientBoosting model has categorical splits")
            leaf = nodes["is_leaf"].astype(bool)
            value = np.zeros((len(nodes), outputs))
            value[:, k] = np.where(leaf, nodes["value"], 0.0)
            trees.append(Tree(feature=np.where(leaf, -1, nodes["feature_idx"]).astype(np.intp),
                              threshold=nodes["num_threshold"].astype(float), left=nodes["left"].astype(np.intp),
                              right=nodes["right"].astype(np.intp),
                              default_left=nodes["missing_go_to_left"].astype(bool), value=value, strict=False))
    ensemble = TreeEnsemble(trees, np.zeros(outputs), width, float32_features=False, library="scikit-learn")
    _base(ensemble, estimator.decision_function(row) if classifier else estimator.predict(row), row[0])
    if not classifier:
        return ensemble, IDENTITY
    return ensemble, LOGISTIC if outputs == 1 else "softmax"


Source = tuple[int, str]  # (ensemble output, link)


@dataclass(frozen=True)
class ModelTrees:
    """An ensemble plus where the predictor's numbers come from: ``proba_sources[c]`` for class
    probability column ``c`` (None: not a function of one margin), ``label_source`` for a
    regressor's predicted value."""

    ensemble: TreeEnsemble
    proba_sources: tuple[Source | None, ...] = ()
    label_source: Source | None = None


def _unwrap(estimator: Any) -> Any:
    steps = getattr(estimator, "steps", None)
    if steps is None:
        return estimator
    others = [name for name, step in steps[:-1] if step not in (None, "passthrough")]
    if others:
        raise UnsupportedModel(f"the pipeline has steps before its model ({', '.join(others)}), so the trees do "
                               "not see the dataset's features")
    return _unwrap(steps[-1][1])


def model_trees(kind: str, model: Any) -> ModelTrees:
    """``ModelTrees`` for a loaded model of ``kind`` (xgboost, lightgbm, sklearn)."""
    if kind == "xgboost":
        ensemble, link = from_xgboost(model)
    elif kind == "lightgbm":
        ensemble, link = from_lightgbm(model)
    else:
        estimator = _unwrap(model)
        ensemble, link = from_sklearn(estimator)
        if not hasattr(estimator, "predict_proba"):
            return ModelTrees(ensemble, label_source=(0, link))
        if ensemble.num_outputs == 1:  # binary gradient boosting: one margin, P(class 1) = sigmoid
            return ModelTrees(ensemble, proba_sources=(None, (0, link)))
        return ModelTrees(ensemble, proba_sources=tuple((k, link) for k in range(ensemble.num_outputs)))
    if ensemble.num_outputs == 1:  # the server reads one score as P(class 1) = [1 - s, s]
        return ModelTrees(ensemble, proba_sources=(None, (0, link)))
    return ModelTrees(ensemble, proba_sources=tuple((k, link) for k in range(ensemble.num_outputs)))
