"""Content types: one name for each format the analyzer reads or sends."""

CSV = "text/csv"
JSONLINES = "application/jsonlines"
JSON = "application/json"
PARQUET = "application/x-parquet"
IMAGE = "application/x-image"
CAPTURE_JSON = "application/sagemakercapturejson"

__all__ = ["CSV", "JSONLINES", "JSON", "PARQUET", "IMAGE", "CAPTURE_JSON"]
