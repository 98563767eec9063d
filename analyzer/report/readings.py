"""Plain-language readings of the bias metrics and the glossary, for people who do not read formulas.

"d" is the facet value a row of the table is about (Clarify's sensitive facet); "a" is every other
row. A reading says what the number compares; ``concern`` says which values deserve a look.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reading:
    meaning: str
    concern: str


_SIGNED = "Ideal 0; the further |value| is from 0, the larger the gap between d and a."
_DIVERGENCE = "Ideal 0; never negative; larger means the label distributions of d and a differ more."

READINGS: dict[str, Reading] = {
    # Pre-training: the data itself.
    "CI": Reading("Compares how many rows d and a have; positive: d is under-represented.",
                  "Ideal 0 (range −1 to 1); near ±1 one group barely appears in the data."),
    "DPL": Reading("Positive-label rate of a minus that of d; positive: d gets the positive label less often.",
                   _SIGNED + " Range −1 to 1."),
    "KL": Reading("How much the label distribution of d diverges from that of a (Kullback-Leibler).", _DIVERGENCE),
    "JS": Reading("Symmetric divergence between the label distributions of d and a (Jensen-Shannon).", _DIVERGENCE),
    "LP": Reading("Euclidean distance between the label distributions of d and a.", _DIVERGENCE),
    "TVD": Reading("Half the L1 distance between the label distributions of d and a.", _DIVERGENCE),
    "KS": Reading("Largest gap between the label distributions of d and a.", _DIVERGENCE + " At most 1."),
    "CDDL": Reading("Demographic disparity of d in the labels (share of rejections minus share of acceptances), "
                    "averaged over the subgroups of group_variable; positive: d is rejected more than accepted.",
                    _SIGNED + " Range −1 to 1."),
    # Post-training: the model's predictions.
    "DPPL": Reading("Positive-prediction rate of a minus that of d; positive: the model predicts the positive "
                    "outcome less often for d.", _SIGNED + " Range −1 to 1."),
    "DI": Reading("Positive-prediction rate of d divided by that of a; below 1: d gets positive predictions less "
                  "often.", "Ideal 1; far below 1 disadvantages d, far above 1 disadvantages a "
                            "(the four-fifths rule flags values below 0.8)."),
    "DCA": Reading("Observed positives per predicted positive, a minus d; positive: the model accepts d more "
                   "readily than its labels justify, compared with a.", _SIGNED),
    "DCR": Reading("Observed negatives per predicted negative, d minus a; positive: the model rejects a more "
                   "readily than its labels justify, compared with d.", _SIGNED),
    "RD": Reading("True positive rate (recall) of a minus that of d; positive: positive rows of d are recognised "
                  "less often.", _SIGNED + " Range −1 to 1."),
    "SD": Reading("True negative rate (specificity) of d minus that of a; positive: d gets fewer false "
                  "positives than a.", _SIGNED + " Range −1 to 1."),
    "DAR": Reading("Precision of a minus that of d; positive: positive predictions for d are less often right.",
                   _SIGNED + " Range −1 to 1."),
    "DRR": Reading("Negative predictive value of d minus that of a; positive: rejections of a are less often "
                   "right.", _SIGNED + " Range −1 to 1."),
    "AD": Reading("Accuracy of a minus that of d; positive: predictions for d are less accurate.",
                  _SIGNED + " Range −1 to 1."),
    "TE": Reading("False negatives per false positive, d minus a; positive: the model's mistakes on d are more "
                  "often wrongful rejections.", _SIGNED + " Unbounded; Infinity when a group has no false "
                                                          "positives."),
    "CDDPL": Reading("Demographic disparity of d in the predictions, averaged over the subgroups of "
                     "group_variable; positive: d is predicted rejected more than accepted.",
                     _SIGNED + " Range −1 to 1."),
    "GE": Reading("Generalized entropy (α = 2) of the benefit each row gets from the model (prediction minus "
                  "label), over the whole dataset, whatever the facet.",
                  "Ideal 0; never negative; larger means the benefit is spread more unequally."),
    "FT": Reading("FlipTest: share of d rows predicted positive while their nearest a rows are predicted "
                  "negative, minus the reverse; positive: d is favoured over similar rows of a.",
                  _SIGNED + " Range −1 to 1."),
}

UNKNOWN = Reading("See the description.", "Compare with the metric's documentation.")


def reading(name: str) -> Reading:
    return READINGS.get(name, UNKNOWN)


GLOSSARY: tuple[tuple[str, str], ...] = (
    ("Facet", "A column that identifies a group of people or items whose treatment is checked, e.g. Sex or Age."),
    ("d (facet value)", "The rows of the facet value or threshold a table is about; Clarify's \"sensitive\" group."),
    ("a (the rest)", "Every other row; the group d is compared with."),
    ("Label", "The observed outcome column; the positive label is the favourable outcome (e.g. income >50K)."),
    ("Pre-training bias", "Measured on the data and its labels, before any model: who is in the data and which "
                          "outcomes they have."),
    ("Post-training bias", "Measured on a model's predictions, compared across d and a."),
    ("TP, FP, FN, TN", "True positives, false positives, false negatives, true negatives: predicted vs observed "
                       "label; shown here as fractions of the rows of a group."),
    ("Precision, recall", "Precision: share of positive predictions that are right. Recall: share of positive "
                          "rows predicted positive."),
    ("SHAP value", "How much one feature moved one prediction away from the model's output on the baseline; "
                   "the values of a row add up to that difference."),
    ("Global SHAP value", "A summary of a feature's SHAP values over all explained rows (by default the mean "
                          "absolute value): how much the feature matters to the model overall."),
    ("Expected value", "The model's output on the SHAP baseline; SHAP values explain differences from it."),
    ("Partial dependence (PDP)", "The model's average output as one feature is set to each value of a grid, the "
                                 "others left as they are; the bars show how the data is spread over the grid."),
    ("Infinity", "A ratio whose denominator is 0; shown as Clarify writes it in analysis.json."),
    ("Error", "The metric could not be computed on these rows (e.g. an empty group); the reason is shown."),
)
