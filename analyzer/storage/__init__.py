"""Storage: local paths and ``s3://`` URIs behind one API.

Every input the job reads goes through :func:`fetch` (datasets, facet and predicted-label
datasets, SHAP baseline files, ``predictor.model_data``: a file, a directory or an S3
object/prefix → local part files). :func:`fetch_one` is for callers that need exactly one object
and must refuse a prefix. S3 data is streamed to a scratch
area with bounded memory and deleted when the job's :func:`scratch_session` ends. Outputs go to
S3 with :func:`publish`, which never leaves a partial result set marked complete.

Rules shared by directories and prefixes: recursive, sorted component-wise, and any path
component starting with ``.`` or ``_`` (``_SUCCESS``, ``_temporary/``, ``.crc``) or ending in
``/`` (directory markers) is skipped. A prefix is read like a directory: ``s3://b/data`` is the
object ``data`` if it exists, else everything under ``data/``.

Credentials, region and endpoint come from boto3's standard chain (``AWS_ENDPOINT_URL_S3`` /
``AWS_ENDPOINT_URL`` for S3-compatible stores); retries and timeouts from the
``ANALYZER_S3_*`` variables documented in :mod:`analyzer.storage._client`.

Errors name the URI: DataError (3) for no such object/empty prefix/wrong content,
StorageError (5) for missing buckets, denied access, bad or expired credentials, unreachable or
persistently failing S3, and local disk problems.
"""
from __future__ import annotations

from pathlib import Path

from analyzer.errors import DataError
from analyzer.storage._content import check_content
from analyzer.storage._location import S3Location, is_s3_uri
from analyzer.storage._local import local_file, local_files
from analyzer.storage._scratch import scratch_dir, scratch_session

__all__ = ["S3Location", "check_readable", "fetch", "fetch_one", "is_s3_uri", "locate", "publish", "scratch_dir",
           "scratch_session"]


def fetch(uri: str | Path, *, what: str = "dataset", content_type: str | None = None) -> list[Path]:
    """The local data files behind ``uri`` (file, directory, ``file://``, S3 object or prefix), in order.

    ``what`` names the input in error messages ("dataset", "facet dataset", ...). With
    ``content_type`` (a ``dataset_type``), files that cannot be of that type fail early naming the URI.
    """
    if is_s3_uri(uri):
        from analyzer.storage._download import fetch_s3

        return fetch_s3(str(uri), what, content_type)
    files = local_files(uri, what)
    for path in files:
        check_content(path, content_type, f"{what} {path}")
    return files


def locate(uri: str | Path, *, what: str = "dataset") -> list[str]:
    """The data files behind ``uri`` as :func:`fetch` selects them, without reading them: absolute local
    paths, or ``s3://`` object URIs. Each can be fetched on its own later, e.g. on a Dask worker."""
    if is_s3_uri(uri):
        from analyzer.storage._download import locate_s3

        return locate_s3(str(uri), what)
    return [str(path.absolute()) for path in local_files(uri, what)]


def check_readable(uri: str, *, what: str = "dataset") -> None:
    """``uri`` (one of :func:`locate`'s) can be read from here: a local file this process may read, or an
    S3 object it can see. Raises DataError (no such file or object) or StorageError naming it."""
    import os

    if is_s3_uri(uri):
        from analyzer.storage._download import check_object

        check_object(uri, what)
    elif not (os.path.isfile(uri) and os.access(uri, os.R_OK)):
        raise DataError(f"{what} file {uri}: not a readable file here.")


def fetch_one(uri: str | Path, *, what: str = "file") -> Path:
    """One local file for ``uri`` (a local path or a single S3 object, never a prefix).

    For S3, gzip content gets a ``.gz`` suffix when its key lacks one (and loses a false one).
    """
    if is_s3_uri(uri):
        from analyzer.storage._download import fetch_s3_object

        return fetch_s3_object(str(uri), what)
    return local_file(uri, what)


def publish(local_dir: Path, uri: str, *, what: str = "output") -> list[str]:
    """Upload the finished output directory to the S3 prefix ``uri``, ``analysis.json`` last; the URIs.

    On failure nothing is left marked complete (see :mod:`analyzer.storage._upload`).
    """
    from analyzer.storage._upload import publish_s3

    return publish_s3(Path(local_dir), uri, what=what)
