"""How many rows will the explanations ask the model for? Estimated from the config and the data's
shape before any request, logged, and refused when absurd.

Each key has its own bound (``num_samples`` at most 1,000,000, ``num_clusters`` 1,000,
``grid_resolution`` 1,000), but their product with the rows is what a job costs: 1M records x 1M
coalitions x 1,000 baseline rows would run for years with no message. Kernel SHAP asks for at most
``records x (coalitions + 2) x baseline rows`` (the record itself, the baseline, each coalition
against each baseline row) and PDP for ``features x grid x records``.
"""
from __future__ import annotations

import logging

from analyzer.errors import ConfigError

log = logging.getLogger("analyzer.explain")

#: Above this many model rows a job is refused (exit 2): at the analyzer's ~1-3 us per row alone
#: (bench/predict.py) that is days of CPU before the model does any work.
MAX_MODEL_ROWS = 10**11


def shap_coalitions(players: int, num_samples: int | None) -> int:
    """Coalitions per record: ``min(num_samples (auto 2M + 2048), 2^M - 2)``."""
    wanted = num_samples if num_samples is not None else 2 * players + 2048
    return max(0, min(wanted, 2**players - 2)) if players < 63 else wanted


def estimated_model_rows(records: int, players: int, num_samples: int | None, baseline_rows: int,
                         pdp_features: int = 0, grid_resolution: int = 0) -> int:
    """At most this many rows go to the model for Kernel SHAP (``players`` > 0) and PDP."""
    shap = records * (shap_coalitions(players, num_samples) + 2) * baseline_rows if players else 0
    return shap + pdp_features * grid_resolution * records


def check_model_rows(rows: int, what: str) -> None:
    """Log the estimate; refuse (ConfigError) a job past :data:`MAX_MODEL_ROWS`."""
    log.info("The explanations will ask the model for at most %s rows (%s).", f"{rows:,}", what)
    if rows > MAX_MODEL_ROWS:
        raise ConfigError(f"methods: this job would ask the model for up to {rows:.3g} rows ({what}); at most "
                          f"{MAX_MODEL_ROWS:.0e}. Lower methods.shap.num_samples or num_clusters (or give a "
                          "smaller baseline), lower methods.pdp.grid_resolution, or explain a sample of the rows.")
