"""Where each bias metric is neutral, and the default band outside which a value deserves a look.

One source for: drift checks (a value is worse than the baseline when it is farther from neutral),
the report's summary of concern and the console verdict (a value outside its band is flagged).
The bands are ours (Clarify flags nothing); they are documented in the README and can be
overridden with threshold rules (``--fail-on`` / ``--thresholds``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

#: Metrics that are a ratio of two rates: neutral at 1, judged on the log scale (0.8 and 1.25 are
#: equally far from 1). Every other metric is neutral at 0.
RATIO_METRICS = frozenset({"DI"})


@dataclass(frozen=True)
class Band:
    """Values in ``[low, high]`` raise no concern."""

    low: float
    high: float

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high


#: Metrics computed over every row whatever the facet value (the same number in every entry): a
#: verdict names them once for the dataset, not once per group.
DATASET_WIDE = frozenset({"GE"})

#: The four-fifths rule for DI; |value| ≤ 0.1 for signed differences; ≤ 0.1 for divergences
#: and generalized entropy (which are never negative).
DEFAULT_BANDS: dict[str, Band] = {
    "DI": Band(0.8, 1.25),
    **{code: Band(-0.1, 0.1) for code in (
        "CI", "DPL", "CDDL", "DPPL", "DCA", "DCR", "RD", "SD", "DAR", "DRR", "AD", "TE", "CDDPL", "FT")},
    **{code: Band(0.0, 0.1) for code in ("KL", "JS", "LP", "TVD", "KS", "GE")},
}


def neutral(metric: str) -> float:
    """The value of ``metric`` when the groups are treated alike (1 for DI, 0 otherwise)."""
    return 1.0 if metric in RATIO_METRICS else 0.0


def distance_from_neutral(metric: str, value: float) -> float:
    """How far ``value`` is from neutral: |value| for differences, |log(value)| for ratios
    (so DI 0.5 and DI 2.0 are equally far). ``inf`` for infinite values and DI 0."""
    if math.isnan(value):
        return math.nan
    if metric in RATIO_METRICS:
        if value <= 0 or math.isinf(value):
            return math.inf
        return abs(math.log(value))
    return abs(value)


def outside_band(metric: str, value: float, bands: dict[str, Band] | None = None) -> bool:
    """True when ``value`` lies outside the metric's band (infinite values always do; NaN never)."""
    band = (bands or DEFAULT_BANDS).get(metric)
    if band is None or math.isnan(value):
        return False
    return not band.holds(value)
