"""Explainability: Kernel SHAP, automatic baselines, partial dependence and their report sections.

The numeric layer behind Clarify's ``methods.shap`` and ``methods.pdp``. A model is any callable
``predict(frame) -> (rows, D)`` scores; nothing here knows about configs, files or endpoints.
``explain`` runs everything and returns one result that feeds ``analysis.json``
(``explanations``), ``explanations_shap/out.csv`` and ``explanations_shap/baseline.csv``. Text and
image explanations have their own games (``text_*``, ``image_*``) on the same estimator.
"""
from analyzer.explain._design import Solver
from analyzer.explain._game import CountingPredict
from analyzer.explain._influence import PatternInfluence
from analyzer.explain._run import Run
from analyzer.explain.asymmetric import AsymmetricResult, Plan, asymmetric_shapley, check_settings, plan
from analyzer.explain.asymmetric_baseline import Baselines, ItemBaseline, load_baselines
from analyzer.explain.asymmetric_report import METHOD_KEY, analysis_entry, item_line, results_path
from analyzer.explain.baseline import MAX_AUTO_CLUSTERS, Baseline, auto_baseline, coerce_to, parse_baseline
from analyzer.explain.explanation import Explanation, PdpSettings, ShapSettings, explain, pdp_features, shap_baseline
from analyzer.explain.image_detection import Detection, matched_scores, parse_detections, pixel_box, select_objects
from analyzer.explain.image_heatmap import classification_heat_map, object_heat_map, objects_image
from analyzer.explain.image_segments import ImageBaseline, context_region, restrict, slic_segments
from analyzer.explain.image_shap import SegmentShap, segment_kernel_shap
from analyzer.explain.kernel_shap import DEFAULT_MAX_ROWS_PER_CALL, EMPTY_SELECTION, KernelShapResult, kernel_shap
from analyzer.explain.kernel_shap import _warnings as sample_warnings   # the job's warnings, runs in chunks
from analyzer.explain.parts import PatternKey, ShapMerger, ShapPart, explain_part, part_offsets, pattern_counts
from analyzer.explain.pdp import (
    bucket_counts,
    categorical_grid,
    forced_scores,
    is_categorical,
    no_values,
    numeric_edges,
    numeric_grid,
    partial_dependence,
    pdp_entry,
)
from analyzer.explain.report import (
    DIAGNOSTICS_KEY,
    explanations_section,
    global_values,
    kernel_shap_section,
    label_names,
    local_values_frame,
)
from analyzer.explain.text_report import local_lines, text_kernel_shap_section
from analyzer.explain.text_shap import TextShapResult, text_kernel_shap
from analyzer.explain.text_units import TextSettings, text_settings

__all__ = [
    "DEFAULT_MAX_ROWS_PER_CALL",
    "PatternKey",
    "Solver",
    "ShapMerger",
    "ShapPart",
    "explain_part",
    "part_offsets",
    "pattern_counts",
    "bucket_counts",
    "categorical_grid",
    "explanations_section",
    "forced_scores",
    "is_categorical",
    "label_names",
    "no_values",
    "numeric_edges",
    "numeric_grid",
    "pdp_entry",
    "pdp_features",
    "sample_warnings",
    "shap_baseline",
    "MAX_AUTO_CLUSTERS",
    "CountingPredict",
    "PatternInfluence",
    "Run",
    "METHOD_KEY",
    "AsymmetricResult",
    "Baselines",
    "ItemBaseline",
    "Plan",
    "analysis_entry",
    "asymmetric_shapley",
    "check_settings",
    "item_line",
    "load_baselines",
    "plan",
    "results_path",
    "DIAGNOSTICS_KEY",
    "EMPTY_SELECTION",
    "Baseline",
    "Detection",
    "Explanation",
    "ImageBaseline",
    "KernelShapResult",
    "PdpSettings",
    "SegmentShap",
    "ShapSettings",
    "TextSettings",
    "TextShapResult",
    "auto_baseline",
    "classification_heat_map",
    "coerce_to",
    "context_region",
    "explain",
    "global_values",
    "kernel_shap",
    "kernel_shap_section",
    "local_lines",
    "local_values_frame",
    "matched_scores",
    "object_heat_map",
    "objects_image",
    "parse_baseline",
    "parse_detections",
    "partial_dependence",
    "pixel_box",
    "restrict",
    "segment_kernel_shap",
    "select_objects",
    "slic_segments",
    "text_kernel_shap",
    "text_kernel_shap_section",
    "text_settings",
]
