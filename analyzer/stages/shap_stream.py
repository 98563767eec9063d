"""Kernel SHAP over a dataset read in chunks, with the same bits as one run over every record.

The chunks are the parts of :mod:`analyzer.explain.parts` explained one after the other in this process:
each chunk is placed in the whole run by the records of each pattern in the chunks before it (the
merger's count so far) and the run's size (the survey's); a pattern's record count in the whole run is
learnt at the end, when its last, partial influence block is closed. The local values are the whole
run's, the global values are summed in record order and their standard errors add the patterns'
variances in the whole run's pattern order (see :mod:`analyzer.explain.parts`). One solver per pattern
serves every chunk.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analyzer.explain import Baseline, KernelShapResult, PatternKey, ShapMerger, ShapSettings, Solver, explain_part


@dataclass
class ShapStream:
    predict: Callable[[pd.DataFrame], np.ndarray]
    baseline: Baseline
    settings: ShapSettings
    n_total: int
    solvers: dict[PatternKey, Solver] = field(default_factory=dict)   # built once, used by every chunk

    def __post_init__(self) -> None:
        self.merger = ShapMerger(self.settings, self.n_total, None, self.solvers)

    def add(self, records: pd.DataFrame) -> KernelShapResult:
        """Kernel SHAP of one chunk's records (feature columns), placed in the whole run; its local values
        (no standard errors)."""
        part = explain_part(self.predict, records, self.baseline, self.settings, self.n_total, self.merger.seen,
                            None, self.solvers)
        return self.merger.add(part)

    def finish(self) -> tuple[KernelShapResult, np.ndarray]:
        """The whole run's result (no local values: they went to out.csv) and its global values."""
        return self.merger.finish()
