"""Data: sources (local paths; S3 later), readers by content type, joins, and the Dataset type."""
from analyzer.data.dataset import Dataset, load_dataset, resolve_column
from analyzer.data.sources import resolve_files

__all__ = ["Dataset", "load_dataset", "resolve_column", "resolve_files"]
