"""Explainability: Kernel SHAP, automatic baselines, partial dependence and their report sections.

The numeric layer behind Clarify's ``methods.shap`` and ``methods.pdp``. A model is any callable
``predict(frame) -> (rows, D)`` scores; nothing here knows about configs, files or endpoints.
``explain`` runs everything and returns one result that feeds ``analysis.json``
(``explanations``), ``explanations_shap/out.csv`` and ``explanations_shap/baseline.csv``.
"""
from analyzer.explain.asymmetric import AsymmetricResult, Plan, asymmetric_shapley, check_settings, plan
from analyzer.explain.asymmetric_baseline import Baselines, ItemBaseline, load_baselines
from analyzer.explain.asymmetric_report import METHOD_KEY, analysis_entry, item_line, results_path
from analyzer.explain.baseline import Baseline, auto_baseline, coerce_to, parse_baseline
from analyzer.explain.explanation import Explanation, PdpSettings, ShapSettings, explain
from analyzer.explain.kernel_shap import EMPTY_SELECTION, KernelShapResult, kernel_shap
from analyzer.explain.pdp import partial_dependence
from analyzer.explain.report import DIAGNOSTICS_KEY, global_values, kernel_shap_section, local_values_frame
from analyzer.explain.text_report import local_lines, text_kernel_shap_section
from analyzer.explain.text_shap import TextShapResult, text_kernel_shap
from analyzer.explain.text_units import TextSettings, text_settings

__all__ = [
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
    "Explanation",
    "KernelShapResult",
    "PdpSettings",
    "ShapSettings",
    "TextSettings",
    "TextShapResult",
    "auto_baseline",
    "coerce_to",
    "explain",
    "global_values",
    "kernel_shap",
    "kernel_shap_section",
    "local_lines",
    "local_values_frame",
    "parse_baseline",
    "partial_dependence",
    "text_kernel_shap",
    "text_kernel_shap_section",
    "text_settings",
]
