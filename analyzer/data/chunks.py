"""Reading a dataset in chunks of rows (CSV, JSON Lines, Parquet), never holding it whole.

:func:`open_chunks` resolves the config's columns once (as :func:`~analyzer.data.load_dataset` does)
and returns an iterator of frames with the same column names. Column types: JSON and Parquet values
carry their types; a CSV chunk is typed by pandas from that chunk alone, so the columns named in
``text_columns`` are kept as the text read (NaN for missing) and typed later from all their values
at once with :func:`typed_like_csv` — the type a whole-file read gives, whatever the chunk size.
"""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Collection, Iterator, Sequence

import pandas as pd

from analyzer.config import AnalysisConfig
from analyzer.data.csv_reader import READ_ERRORS, _header_rows, _open_text, _peek_rows, _reason, _refuse_json_rows
from analyzer.data.dataset import Dataset, read_request, resolve_dataset
from analyzer.data.joins import SideJoin
from analyzer.errors import ConfigError, DataError
from analyzer.formats import CSV, JSONLINES, PARQUET, Table, json_expressions, json_table

log = logging.getLogger("analyzer.data")

#: The dataset types read in chunks.
CHUNKED_TYPES = (CSV, JSONLINES, PARQUET)
Columns = Callable[[Dataset], Collection[str]]


@dataclass(frozen=True)
class Chunks:
    """The resolved columns (``layout.frame`` has no rows) and the chunks, read on iteration."""

    layout: Dataset
    frames: Callable[[], Iterator[pd.DataFrame]]


def open_chunks(config: AnalysisConfig, uri: str | Path, files: Sequence[Path], rows: int,
                text_columns: Columns = lambda layout: ()) -> Chunks:
    """``files`` of ``config.dataset_type`` in chunks of ``rows``; ``text_columns(layout)``: the CSV
    columns to keep as text (see the module doc)."""
    kind = config.dataset_type.lower()
    sides: list[tuple] = []
    if kind == CSV:
        columns = _csv_columns(files, config.headers)
        layout = _layout(config, Table(pd.DataFrame(columns=columns), tuple(columns)), uri, sides)
        text = set(text_columns(layout)) & set(columns)     # side datasets are read whole, typed whole
        return Chunks(layout, lambda: _joined(_csv_chunks(files, config.headers, columns, text, rows), sides))
    reader = _jsonlines_chunks if kind == JSONLINES else _parquet_chunks
    first = next(reader(config, files, rows), None)
    if first is None:
        raise DataError(f"The dataset has no rows: {', '.join(map(str, files))}.")
    layout = _layout(config, first, uri, sides)
    return Chunks(layout, lambda: _joined((table.frame for table in reader(config, files, rows)), sides))


def _layout(config: AnalysisConfig, table: Table, uri: str | Path, sides: list[tuple]) -> Dataset:
    """The dataset's columns; ``sides`` receives the side datasets to join onto every chunk."""
    def joiner(main: pd.DataFrame, other: pd.DataFrame, *rest: Any) -> pd.DataFrame:
        sides.append((other, *rest))
        added = SideJoin(list(main.columns), other, *rest).columns   # bad side datasets fail here
        return pd.concat([main.iloc[:0].reset_index(drop=True), pd.DataFrame(columns=added)], axis=1)

    dataset = resolve_dataset(config, replace(table, frame=table.frame.iloc[:0]), uri, joiner)
    return replace(dataset, frame=dataset.frame.iloc[:0])


def _joined(frames: Iterator[pd.DataFrame], sides: list[tuple]) -> Iterator[pd.DataFrame]:
    """The chunks with the side datasets joined on; chunks left without rows are skipped."""
    if not sides:
        yield from frames
        return
    joins: list[SideJoin] = []
    for frame in frames:
        for i, side in enumerate(sides):
            if len(joins) == i:
                joins.append(SideJoin(list(frame.columns), *side))
            frame = joins[i].apply(frame)
        if len(frame):
            yield frame
    for side_join in joins:
        side_join.finish()


# ----------------------------------------------------------------------------------------------- CSV

def _csv_columns(files: Sequence[Path], headers: Sequence[str] | None) -> list[str]:
    """The column names a whole-file read gives: 'headers', the header row, or column_0..."""
    if headers is not None:
        return list(headers)
    for path in files:
        _refuse_json_rows(path)
        _, found = _header_rows(path, None, None)
        if found is not None:
            return found
        rows = _peek_rows(path, 1)
        if rows:
            log.info("%s: no header row found and no 'headers' configured; naming columns column_0..column_%d.",
                     path, len(rows[0]) - 1)
            return [f"column_{i}" for i in range(len(rows[0]))]
    raise DataError(f"The dataset has no rows: {', '.join(map(str, files))}.")


def _csv_chunks(files: Sequence[Path], headers: Sequence[str] | None, columns: list[str], text: set[str],
                rows: int, detected: list[str] | None = None, some: bool = True) -> Iterator[pd.DataFrame]:
    """The files' chunks; ``detected``: the header row found in an earlier file (skipped when repeated);
    ``some``: no rows at all is an error."""
    dtype = {i: object for i, name in enumerate(columns) if name in text}   # the parser's own strings: no copy
    produced = False
    for path in files:   # header rows as csv_reader.read_csv skips them
        _refuse_json_rows(path)
        skip, found = _header_rows(path, headers, detected)
        detected = found if found is not None else detected
        for frame in csv_frames(path, path, skip, rows, dtype, columns, headers):
            produced = True
            yield frame
    if some and not produced:
        raise DataError(f"The dataset has no rows: {', '.join(map(str, files))}.")


def csv_frames(source: Any, path: Path, skip: int, rows: int, dtype: dict, columns: list[str],
               headers: Sequence[str] | None) -> Iterator[pd.DataFrame]:
    """Chunks of one CSV file (``source``: its path, or a binary handle placed at a row's first byte)."""
    try:
        reader = pd.read_csv(source, header=None, skiprows=skip, skip_blank_lines=True, encoding="utf-8-sig",
                             chunksize=rows, dtype=dtype)
    except pd.errors.EmptyDataError:
        return
    except (pd.errors.ParserError, *READ_ERRORS) as exc:
        raise DataError(f"Cannot parse {path} as text/csv: {_reason(exc)}") from None
    with reader:
        while True:
            try:
                frame = next(reader)
            except (StopIteration, pd.errors.EmptyDataError):
                return
            except (pd.errors.ParserError, *READ_ERRORS) as exc:
                raise DataError(f"Cannot parse {path} as text/csv: {_reason(exc)}") from None
            _check_width(frame, columns, headers, path)
            frame.columns = columns
            yield frame


def csv_header(files: Sequence[Path], headers: Sequence[str] | None) -> tuple[int, list[str]] | None:
    """(the file number, the header row) of the first file where a whole read finds a header row
    (None with 'headers', or when no file has one): later files skip that row when they repeat it."""
    if headers is not None:
        return None
    for number, path in enumerate(files):
        found = _header_rows(path, None, None)[1]
        if found is not None:
            return number, found
    return None


def _check_width(frame: pd.DataFrame, columns: list[str], headers: Sequence[str] | None, path: Path) -> None:
    if frame.shape[1] != len(columns):
        source = "'headers' in the config" if headers is not None else "the header row"
        error = ConfigError if headers is not None else DataError  # fixed where the wrong count is
        raise error(f"{path}: rows have {frame.shape[1]} columns but {source} names {len(columns)} "
                    f"({', '.join(columns)[:300]}).")


def typed_like_csv(values: pd.Series) -> pd.Series:
    """Text read from CSV (NaN for missing) typed as pandas types a CSV column holding these values.

    pandas' choice (int, float, bool or text) depends only on which values occur, so the distinct
    values are written out and parsed once more: the same parser decides, on the same text.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False, sort=False)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for value in uniques:
        writer.writerow(["", "" if pd.isna(value) else value])   # a first column: no blank lines
    parsed = pd.read_csv(io.StringIO(buffer.getvalue()), header=None, skip_blank_lines=False)[1]
    typed = parsed.take(codes).set_axis(values.index)
    typed.name = values.name
    return typed


# -------------------------------------------------------------------------------------- JSON Lines

def _jsonlines_chunks(config: AnalysisConfig, files: Sequence[Path], rows: int, skip: int = 0) -> Iterator[Table]:
    """The records in chunks of ``rows``; the first ``skip`` records are passed over unparsed."""
    from analyzer.data.json_reader import compile_path, loads, search

    keys = ("features", "label", "predicted_label")
    expressions = json_expressions(read_request(config))
    paths = [compile_path(e, k) if e else None for e, k in zip(expressions, keys)]
    names: list[str] | None = None
    batch: list[list] = [[], [], []]
    where = ", ".join(map(str, files))
    for path in files:
        lines = _lines(path)
        for _ in zip(range(skip), lines):
            pass
        skip = 0
        for lineno, line in lines:
            where = f"{path} line {lineno}"
            record = loads(line, where)
            for values, compiled, key in zip(batch, paths, keys):
                if compiled is not None:
                    values.append(search(compiled, record, key, where))
            if not isinstance(batch[0][-1], list):
                raise DataError(f"{where}: 'features' ({expressions[0]}) should give a list of values, "
                                f"got {type(batch[0][-1]).__name__}.")
            if len(batch[0]) >= rows:
                table = _json_chunk(batch, expressions, config, names, where)
                names, batch = list(table.frame.columns), [[], [], []]
                yield table
    if batch[0]:
        yield _json_chunk(batch, expressions, config, names, where)


def _json_chunk(batch: list[list], expressions: tuple, config: AnalysisConfig, names: list[str] | None,
                where: str) -> Table:
    from analyzer.data.json_reader import _frame

    frame, feature_names = _frame(batch[0], batch[1] if expressions[1] else None,
                                  batch[2] if expressions[2] else None, config.headers,
                                  expressions[1], expressions[2], where)
    if names is not None and list(frame.columns) != names:
        raise DataError(f"{where}: records have a different number of features than the records before.")
    return json_table(frame, feature_names, read_request(config))


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with _open_text(path) as f:
            for lineno, line in enumerate(f, start=1):
                if line.strip():
                    yield lineno, line
    except READ_ERRORS as exc:
        raise DataError(f"Cannot read {path}: {_reason(exc)}") from None


# ----------------------------------------------------------------------------------------- Parquet

def _parquet_chunks(config: AnalysisConfig, files: Sequence[Path], rows: int, first_group: int = 0) -> Iterator[Table]:
    """The rows in chunks of at most ``rows``; from row group ``first_group`` of the first file on."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pandas.io._util import arrow_table_to_pandas  # what pd.read_parquet converts with

    from analyzer.data.parquet_reader import _check_flat

    headers = config.headers
    for path in files:
        try:
            parquet = pq.ParquetFile(path)
            groups = list(range(first_group, parquet.num_row_groups))
            first_group = 0
            batches = parquet.iter_batches(batch_size=rows, row_groups=groups)
            for batch in batches:
                frame = arrow_table_to_pandas(pa.Table.from_batches([batch]))
                _check_flat(frame, path)
                if headers is not None:
                    if len(headers) != frame.shape[1]:
                        raise DataError(f"'headers' names {len(headers)} columns but the Parquet data has "
                                        f"{frame.shape[1]} ({', '.join(map(str, frame.columns))}).")
                    frame.columns = list(headers)
                yield Table(frame, tuple(frame.columns))
        except DataError:
            raise
        except Exception as exc:  # pyarrow raises many types for a bad file
            reason = str(exc).splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise DataError(f"Cannot read {path} as application/x-parquet: {reason}") from None
