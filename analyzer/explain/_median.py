"""The median of the local SHAP values, and its standard error, over a dataset read in chunks.

The whole read takes ``np.median(local, axis=0)`` and
:func:`~analyzer.explain._estimate.median_se` of the local values (n, M, D), their variances and each
record's pattern. Those need every record's values, so each part's (chunk's, shard's) local values and
standard errors are written to scratch files (``np.memmap``, float64, about 32 bytes a record per feature
and output with the copies below) in a temporary folder, removed by :meth:`MedianSpill.close` (or when the
spill is collected, or the process exits), and reduced at the end, holding at most one feature's column in
memory:

- the median of each (feature, output) column, read contiguous from a column-major copy;
- the sums over the records (the mean and spread of the values, the kernel weights) with numpy's own
  reductions over the whole row-major files, so they add in numpy's order (row after row, or pairwise
  for a single column) and give the whole read's bits; the element-wise steps between them run block
  by block into a work file;
- the kernel-weighted errors added per pattern in record order (``np.add.at``), block by block, the
  patterns numbered as the whole run numbers them (sorted by their packed masks).

The records' standard errors are stored, not their variances: ``sqrt(var)`` is what ``median_se``
uses, and ``sqrt`` is monotonic, so the largest standard error is ``sqrt`` of the largest variance.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from analyzer.explain.parts import ShapPart

#: Values (records x features x outputs) of a block while the files are reduced: 2 MiB (a few blocks are
#: alive at once, next to no column).
BLOCK_VALUES = 1 << 18


class MedianSpill:
    """Every record's local values and standard errors on disk, in record order, then their median."""

    def __init__(self, n_total: int) -> None:
        self.n = n_total
        self.offset = 0
        self.shape: tuple[int, int] | None = None               # (features, outputs)
        self.ids: dict[tuple, int] = {}                          # pattern key -> number in order seen
        self._maps: dict[str, np.memmap] = {}
        self._folder: tempfile.TemporaryDirectory | None = None
        self.errors: dict[str, np.ndarray] = {}                   # {"median": standard errors} once finished

    @property
    def folder(self) -> Path | None:
        return None if self._folder is None else Path(self._folder.name)

    def _map(self, name: str, shape: tuple[int, ...], dtype: type = np.float64) -> np.memmap:
        if name not in self._maps:
            if self._folder is None:
                self._folder = tempfile.TemporaryDirectory(prefix="analyzer-median-")
            path = Path(self._folder.name) / f"median-{name}"
            self._maps[name] = np.memmap(path, dtype=dtype, mode="w+", shape=shape)
        return self._maps[name]

    def close(self) -> None:
        """Remove the files (closing the maps first)."""
        self._maps.clear()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def add(self, local: np.ndarray, local_se: np.ndarray, keys: list[tuple], pattern_of: np.ndarray) -> None:
        """One chunk's records: values and standard errors (r, M, D), the chunk's pattern keys (the
        varying players) and each record's pattern number in the chunk."""
        r, m, d = local.shape
        self.shape = self.shape or (m, d)
        if r == 0:
            return
        start, stop = self.offset, self.offset + r
        self._map("local", (self.n, m, d))[start:stop] = local
        self._map("columns", (m * d, self.n))[:, start:stop] = local.reshape(r, m * d).T
        self._map("se", (self.n, m, d))[start:stop] = local_se
        ids = np.array([self.ids.setdefault(k, len(self.ids)) for k in keys], dtype=np.int64)
        self._map("patterns", (self.n,), np.int64)[start:stop] = ids[pattern_of]
        self.offset = stop

    def add_part(self, part: ShapPart) -> None:
        """A Kernel SHAP part's records (:func:`~analyzer.explain.parts.explain_part` for the median)."""
        if part.median is None:
            raise ValueError("a Kernel SHAP part merged for the median needs its records' standard errors and "
                             "patterns (explain_part with agg_method median)")
        local_se, pattern_of = part.median
        self.add(part.local_values, local_se, list(part.patterns), pattern_of)

    def finish(self, players: np.ndarray) -> np.ndarray:
        """The global values (``np.median`` over the records), (M, D), their standard errors in
        :attr:`errors`; ``players``: the explained features' column numbers (the patterns' masks are over
        them). The files are removed."""
        try:
            if self.offset != self.n:
                raise ValueError(f"{self.offset} of {self.n} records reached the median")
            if self.n == 0 or self.shape is None:
                self.errors = {"median": np.zeros(self.shape or (0, 1))}
                return np.zeros(self.shape or (0, 1))
            med = self._medians()
            self.errors = {"median": self._median_se(med, self._whole_pattern_numbers(players))}
            return med
        finally:
            self.close()

    def _medians(self) -> np.ndarray:
        """Each column's median as ``np.median(local, axis=0)`` takes it, one column in memory at a time."""
        assert self.shape is not None
        m, d = self.shape
        columns = self._maps["columns"]
        out = np.empty(m * d)
        for j in range(m * d):
            out[j] = np.median(np.array(columns[j]), overwrite_input=True)   # a copy: partitioned in place
        return out.reshape(m, d)

    def _whole_pattern_numbers(self, players: np.ndarray) -> np.ndarray:
        """For each pattern number here (order seen), the whole run's: np.unique's order of the packed masks."""
        packed = [np.packbits(np.isin(players, np.asarray(key, dtype=players.dtype))).tobytes() for key in self.ids]
        order = sorted(range(len(packed)), key=packed.__getitem__)
        whole = np.empty(len(order), dtype=np.int64)
        whole[order] = np.arange(len(order))
        return whole

    def _blocks(self) -> range:
        assert self.shape is not None
        step = max(1, BLOCK_VALUES // (self.shape[0] * self.shape[1]))
        return range(0, self.n, step)

    def _median_se(self, med: np.ndarray, whole: np.ndarray) -> np.ndarray:
        """:func:`~analyzer.explain._estimate.median_se`, step by step over the files (same operations)."""
        local, se, patterns = self._maps["local"], self._maps["se"], self._maps["patterns"]
        assert self.shape is not None
        n, step = self.n, self._blocks().step
        work = self._map("work", (n,) + self.shape)
        spread = self._spread(local, work)
        h = np.where(spread > 0, 1.06 * spread * n ** (-0.2), 1.0)
        per_pattern = np.zeros((len(whole),) + self.shape)
        for start in self._blocks():
            block = slice(start, start + step)
            k = np.exp(-0.5 * ((np.asarray(local[block]) - med) / h) ** 2)
            work[block] = k
            np.add.at(per_pattern, whole[patterns[block]], k * np.asarray(se[block]))
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.sqrt((per_pattern**2).sum(axis=0)) / np.add.reduce(work, axis=0)
        largest = np.zeros(self.shape)
        for start in self._blocks():
            largest = np.maximum(largest, np.asarray(se[start:start + step]).max(axis=0))
        return np.where(spread > 0, out, largest)

    def _spread(self, local: np.memmap, work: np.memmap) -> np.ndarray:
        """``np.std(local, axis=0)`` (numpy's _var then sqrt), the squared deviations in ``work``."""
        step = self._blocks().step
        count = np.intp(self.n)
        mean = np.asarray(np.add.reduce(local, axis=0, keepdims=True))
        mean = np.true_divide(mean, count, out=mean, casting="unsafe")
        for start in self._blocks():
            block = slice(start, start + step)
            deviation = np.subtract(np.asarray(local[block]), mean)
            work[block] = np.square(deviation, out=deviation)
        total = np.asarray(np.add.reduce(work, axis=0))
        return np.sqrt(np.true_divide(total, count, out=total, casting="unsafe"))
