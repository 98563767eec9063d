"""Formats: one name for each content type the analyzer reads or sends, the table of dataset formats
(:mod:`analyzer.formats.datasets`: content type → reader, in-place baseline rows, sniffing), and model
response decoding (:mod:`analyzer.formats.responses`, with the default output names)."""
from typing import TYPE_CHECKING

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
    json_expressions,
    json_table,
)

if TYPE_CHECKING:  # the names the lazy lookup below hands out, for the type checker
    from analyzer.formats.responses import (
        DECODERS,
        CountMismatch,
        ModelOutput,
        ResponseCodec,
        ResponseError,
        labels_from_output,
        score_names,
    )

_RESPONSES = ("DECODERS", "CountMismatch", "ModelOutput", "ResponseCodec", "ResponseError", "labels_from_output",
              "score_names")


def __getattr__(name: str) -> object:
    """Response decoding (numpy, pandas) is imported when first used: `analyzer validate` and the
    config checks need only the constants and the dataset table."""
    if name in _RESPONSES:
        from analyzer.formats import responses

        return getattr(responses, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["CSV", "JSONLINES", "JSON", "PARQUET", "IMAGE", "CAPTURE_JSON",
           "FORMATS", "Format", "ReadRequest", "Table", "dataset_format", "find_format",
           "json_expressions", "json_table",
           "DECODERS", "CountMismatch", "ModelOutput", "ResponseCodec", "ResponseError", "labels_from_output",
           "score_names"]
