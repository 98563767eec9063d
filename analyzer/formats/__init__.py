"""Formats: one name for each content type the analyzer reads or sends, the table of dataset formats
(:mod:`analyzer.formats.datasets`: content type → reader, in-place baseline rows, sniffing), and model
response decoding (:mod:`analyzer.formats.responses`, with the default output names)."""

CSV = "text/csv"
JSONLINES = "application/jsonlines"
JSON = "application/json"
PARQUET = "application/x-parquet"
IMAGE = "application/x-image"
CAPTURE_JSON = "application/sagemakercapturejson"

# After the constants: the table module reads them from this package.
from analyzer.formats.datasets import (  # noqa: E402
    FORMATS,
    Format,
    ReadRequest,
    Table,
    dataset_format,
    find_format,
)
from analyzer.formats.responses import (  # noqa: E402
    DECODERS,
    CountMismatch,
    ModelOutput,
    ResponseCodec,
    ResponseError,
    labels_from_output,
    score_names,
)

__all__ = ["CSV", "JSONLINES", "JSON", "PARQUET", "IMAGE", "CAPTURE_JSON",
           "FORMATS", "Format", "ReadRequest", "Table", "dataset_format", "find_format",
           "DECODERS", "CountMismatch", "ModelOutput", "ResponseCodec", "ResponseError", "labels_from_output",
           "score_names"]
