"""Data: sources (local paths, S3), readers by content type (looked up in analyzer.formats.FORMATS),
joins, and the Dataset type."""
from analyzer.data.csv_reader import read_csv
from analyzer.data.dataset import Dataset, load_dataset, resolve_column
from analyzer.data.json_reader import read_json, read_jsonlines, read_text
from analyzer.data.parquet_reader import read_parquet
from analyzer.data.sources import resolve_files
from analyzer.data.time_series import SeriesItem, TimeSeriesData, read_time_series

__all__ = ["Dataset", "load_dataset", "read_csv", "read_json", "read_jsonlines", "read_parquet", "read_text",
           "resolve_column", "resolve_files", "SeriesItem", "TimeSeriesData", "read_time_series"]
