"""Facet and predicted-label datasets joined onto the main dataset: an inner join on the join column,
or rows matched by position when the side dataset lacks that column.

:class:`SideJoin` joins the main rows in one piece (:func:`join`) or chunk by chunk
(:mod:`analyzer.data.chunks`): the join is row by row, so the chunks joined are the whole joined, and
the checks that need every row (row counts, rows dropped, no match at all) run in :meth:`finish`.
"""
from __future__ import annotations

import logging
from typing import Sequence

import pandas as pd

from analyzer.errors import DataError

log = logging.getLogger("analyzer.data")


class SideJoin:
    """``other`` joined onto main rows with the columns ``main_columns``."""

    def __init__(self, main_columns: Sequence[str], other: pd.DataFrame, join_column: str | None, what: str,
                 uri: str) -> None:
        clash = [c for c in other.columns if c in main_columns and c != join_column]
        if clash:
            raise DataError(f"{what} {uri}: column(s) {', '.join(clash)} also exist in the main dataset; "
                            "rename them in the headers.")
        self.what, self.uri, self.join_column = what, uri, join_column
        self.by_key = join_column is not None and join_column in other.columns
        self.rows = self.kept = 0
        if not self.by_key:
            self.other = other.reset_index(drop=True)
            return
        assert join_column is not None
        if other[join_column].duplicated().any():
            dupes = other.loc[other[join_column].duplicated(), join_column].head(3).tolist()
            raise DataError(f"{what} {uri}: join column '{join_column}' has duplicate values, e.g. {dupes}.")
        self.other = other.assign(**{join_column: other[join_column].astype(str)}).set_index(join_column)

    @property
    def columns(self) -> list[str]:
        """The columns the join adds."""
        return [str(c) for c in self.other.columns]

    def check_rows(self, main_rows: int) -> None:
        """By position, both sides must have the same number of rows."""
        if not self.by_key and len(self.other) != main_rows:
            raise DataError(f"{self.what} {self.uri} has {len(self.other)} rows but the dataset has {main_rows}; "
                            "without the join column (joinsource_name_or_index) in its headers the rows are "
                            "matched by position.")

    def apply(self, main: pd.DataFrame) -> pd.DataFrame:
        """The next main rows joined (an inner join drops rows without a match)."""
        start, self.rows = self.rows, self.rows + len(main)
        if not self.by_key:
            if start == 0:
                log.info("Joining %s %s by row position.", self.what, self.uri)
            extra = self.other.iloc[start:start + len(main)].reset_index(drop=True)
            if len(extra) < len(main):   # fewer side rows: finish() says so once the rows are counted
                return main.iloc[:0].reset_index(drop=True)
            return pd.concat([main.reset_index(drop=True), extra], axis=1)
        keys_main = main[self.join_column].astype(str)
        kept = keys_main.isin(self.other.index)
        self.kept += int(kept.sum())
        joined = main.loc[kept.to_numpy(dtype=bool)].reset_index(drop=True)
        extra = self.other.loc[keys_main[kept].to_numpy()].reset_index(drop=True)  # type: ignore[index]  # str labels
        return pd.concat([joined, extra], axis=1)

    def finish(self) -> None:
        """The checks over all rows: the row counts by position, the rows dropped, any match at all."""
        self.check_rows(self.rows)
        if not self.by_key:
            return
        dropped = self.rows - self.kept
        if dropped:
            log.warning("Inner join with %s %s on '%s' dropped %d of %d rows without a match.",
                        self.what, self.uri, self.join_column, dropped, self.rows)
        if not self.kept:
            raise DataError(f"{self.what} {self.uri}: no row matches the dataset on join column "
                            f"'{self.join_column}'.")


def join(main: pd.DataFrame, other: pd.DataFrame, join_column: str | None, what: str, uri: str) -> pd.DataFrame:
    """Inner-join ``other`` onto ``main`` on the join column (or align by position when it has none)."""
    side = SideJoin(list(main.columns), other, join_column, what, uri)
    side.check_rows(len(main))
    joined = side.apply(main)
    side.finish()
    return joined
