"""Records grouped by their pattern (the set of features that differ from some baseline row), and
the chunks of records that fill one model call (see :mod:`analyzer.explain.kernel_shap`)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from analyzer.explain._design import effective_num_samples
from analyzer.explain._frames import equal_values


@dataclass
class Group:
    """Records of one pattern inside one chunk."""

    pattern: int
    rows: np.ndarray  # record indices (input order numbers)


@dataclass(frozen=True)
class Patterns:
    """Each record's pattern and, per pattern, its varying players and coalition budget."""

    pattern_of: np.ndarray             # (n,) pattern number of each record
    players: list[np.ndarray]          # per pattern: the varying features (dataset column indices)
    num_varying: np.ndarray            # (n,)
    samples: np.ndarray                # per pattern: coalitions evaluated (0 below two varying features)

    @property
    def num_samples_used(self) -> np.ndarray:
        return self.samples[self.pattern_of]


def find_patterns(x_vals: np.ndarray, b_vals: np.ndarray, players: np.ndarray, num_samples: int | None) -> Patterns:
    """Which players vary for each record (differ from at least one baseline row), grouped."""
    n, p, n_base = len(x_vals), len(players), len(b_vals)
    varying = np.zeros((n, p), dtype=bool)
    step = max(1, 2_000_000 // max(1, n_base * p))
    for start in range(0, n, step):
        xs = x_vals[start:start + step][:, None, players]
        same = equal_values(xs, b_vals[None, :, players]).all(axis=1)
        varying[start:start + step] = ~same
    packed = np.ascontiguousarray(np.packbits(varying, axis=1))
    # Unique rows through a bytes view: the same lexicographic order as np.unique(axis=0), 5x faster.
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).reshape(-1)
    unique_keys, pattern_of = np.unique(keys, return_inverse=True)
    patterns = unique_keys.view(np.uint8).reshape(-1, packed.shape[1])
    pattern_of = pattern_of.reshape(-1)
    pattern_players = [players[np.unpackbits(row, count=p).astype(bool)] for row in patterns]
    num_varying = np.array([len(pattern_players[k]) for k in pattern_of], dtype=np.intp)
    samples_per_pattern = np.array(
        [effective_num_samples(len(v), num_samples) if len(v) >= 2 else 0 for v in pattern_players],
        dtype=np.int64,
    )
    return Patterns(pattern_of, pattern_players, num_varying, samples_per_pattern)


#: When the records need more than one call: the first chunk holds ``max_rows / RAMP`` rows and each next
#: one twice the last (the model gets its first rows sooner), and a chunk never holds more than half of
#: what is left, down to that same size or 1.5 times it for the rest (the last chunk's estimate, which
#: the model waits for, is short).
#: Chunks are overlapped with the model's work (:mod:`._pipeline`); results do not depend on them.
RAMP = 8


def chunks(order: np.ndarray, rows: np.ndarray, max_rows: int) -> Iterator[np.ndarray]:
    """Consecutive records of ``order`` whose synthetic rows (``rows``) fit in at most ``max_rows``,
    smaller at the start and at the end (:data:`RAMP`); a record larger than its chunk's limit is a
    chunk of its own."""
    left = int(rows.sum())
    smallest = max(1, max_rows // RAMP) if left > max_rows else max_rows
    ramp = smallest
    limit = smallest
    start, total = 0, 0
    for i, need in enumerate(rows.tolist()):
        if total and total + need > limit:
            yield order[start:i]
            left -= total
            ramp = min(max_rows, 2 * ramp)
            limit = left if 2 * left <= 3 * smallest else min(ramp, max(smallest, -(-left // 2)))
            start, total = i, 0
        total += need
    if start < len(order):
        yield order[start:]


def split_groups(chunk: np.ndarray, pattern_of: np.ndarray) -> list[Group]:
    pats = pattern_of[chunk]
    cuts = np.flatnonzero(np.diff(pats)) + 1
    return [Group(int(pats[s[0]]), chunk[s]) for s in np.split(np.arange(len(chunk)), cuts)]
