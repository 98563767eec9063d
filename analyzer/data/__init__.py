"""Data: sources (local paths, S3), readers by content type (looked up in analyzer.formats.FORMATS),
joins, and the Dataset type."""
from analyzer.data.chunks import CHUNKED_TYPES, Chunks, csv_header, open_chunks, typed_like_csv
from analyzer.data.csv_reader import read_csv
from analyzer.data.file_rows import FileIndex, Start, file_frames, index_file, start_of
from analyzer.data.dataset import Dataset, load_dataset, resolve_column
from analyzer.data.images import IMAGE_COLUMN, NAME_COLUMN, load_image, read_images
from analyzer.data.json_reader import read_json, read_jsonlines, read_text
from analyzer.data.parquet_reader import read_parquet
from analyzer.data.sources import resolve_files
from analyzer.data.time_series import SeriesItem, TimeSeriesData, read_time_series, source_names

__all__ = ["CHUNKED_TYPES", "Chunks", "Dataset", "FileIndex", "Start", "csv_header", "file_frames", "index_file",
           "start_of", "IMAGE_COLUMN", "NAME_COLUMN",
           "SeriesItem", "TimeSeriesData", "load_dataset", "load_image", "open_chunks", "read_csv", "read_images",
           "read_json", "read_jsonlines", "read_parquet", "read_text", "read_time_series", "resolve_column",
           "resolve_files", "source_names", "typed_like_csv"]
