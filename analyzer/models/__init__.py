"""Models as files: loading them into the job's process (``artifacts``) and reading tree ensembles
into plain arrays (``ensemble``, ``parsers``) for exact TreeSHAP. xgboost, lightgbm and
scikit-learn are imported only when a model of that kind is used."""
from analyzer.models.artifacts import FORMATS, PICKLE_ENV, LoadedModel, load_model
from analyzer.models.ensemble import MISSING_ZERO, Tree, TreeEnsemble, UnsupportedModel
from analyzer.models.parsers import (
    IDENTITY,
    LOGISTIC,
    ModelTrees,
    Source,
    from_lightgbm,
    from_sklearn,
    from_xgboost,
    model_trees,
)

__all__ = ["FORMATS", "IDENTITY", "LOGISTIC", "MISSING_ZERO", "PICKLE_ENV", "LoadedModel", "ModelTrees", "Source",
           "Tree", "TreeEnsemble", "UnsupportedModel", "from_lightgbm", "from_sklearn", "from_xgboost",
           "load_model", "model_trees"]
