"""Models as files: loading them into the job's process (``artifacts``) and reading tree ensembles
into plain arrays (``ensemble``, ``parsers``) for exact TreeSHAP. xgboost, lightgbm and
scikit-learn are imported only when a model of that kind is used."""
