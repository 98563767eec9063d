"""Publish a finished local output directory to an S3 prefix: the set appears complete or not at all.

The guarantee (S3 has no multi-object transaction, so it rests on one marker object):

1. A previous run's ``analysis.json`` at the destination is deleted first, so an old marker can
   never vouch for a mix of old and new files.
2. Every other file is uploaded (in parallel); ``analysis.json`` is uploaded last, only after all
   of them succeeded.
3. If any upload fails, every object this call may have written is deleted again (best effort,
   logged if that fails too) and a StorageError names the failing URI.

So: when ``<prefix>/analysis.json`` exists, every file of that run exists next to it.
"""
from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import Any, Sequence

from analyzer.errors import AnalyzerError
from analyzer.storage._client import s3_client
from analyzer.storage._failures import storage_failure
from analyzer.storage._location import S3Location
from analyzer.storage._transfer import transfer_manager

log = logging.getLogger("analyzer.storage")

MARKER = "analysis.json"


def _relative_files(local_dir: Path) -> list[str]:
    return sorted(p.relative_to(local_dir).as_posix() for p in local_dir.rglob("*") if p.is_file())


def _content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _upload(manager: Any, local_dir: Path, bucket: str, keys: dict[str, str], attempted: list[str],
            what: str) -> None:
    futures = []
    for name, key in keys.items():
        attempted.append(key)
        futures.append((key, manager.upload(str(local_dir / name), bucket, key,
                                            extra_args={"ContentType": _content_type(name)})))
    for key, future in futures:
        try:
            future.result()
        except Exception as exc:
            raise storage_failure(exc, S3Location(bucket, key).uri, what, "write") from None


def _remove(client: Any, bucket: str, keys: Sequence[str]) -> list[str]:
    """Delete ``keys``; the ones that could not be deleted."""
    left = []
    for key in keys:
        try:
            client.delete_object(Bucket=bucket, Key=key)
        except Exception as exc:  # best effort: the missing marker already flags the set as incomplete
            log.warning("Could not delete %s after a failed upload: %s", S3Location(bucket, key).uri, exc)
            left.append(key)
    return left


def publish_s3(local_dir: Path, uri: str, *, what: str = "output", marker: str = MARKER) -> list[str]:
    """Upload every file under ``local_dir`` to the prefix ``uri`` (``marker`` last); the URIs written."""
    location = S3Location.parse(uri, what)
    prefix = location.as_prefix
    names = _relative_files(local_dir)
    body = {n: prefix + n for n in names if n != marker}
    last = {n: prefix + n for n in names if n == marker}
    client = s3_client()
    attempted: list[str] = []
    try:
        if marker in last:
            try:
                client.delete_object(Bucket=location.bucket, Key=last[marker])
            except Exception as exc:
                raise storage_failure(exc, location.child(last[marker]).uri, what, "delete") from None
        with transfer_manager(client) as manager:
            _upload(manager, local_dir, location.bucket, body, attempted, what)
            _upload(manager, local_dir, location.bucket, last, attempted, what)
    except BaseException as exc:
        left = _remove(client, location.bucket, attempted)
        if not isinstance(exc, AnalyzerError):
            raise
        note = (f"Nothing was published under {location.child(prefix).uri}"
                + (f" ({len(left)} partial object(s) could not be removed; no {marker} marks them incomplete)."
                   if left else "."))
        raise type(exc)(f"{exc.message} {note}") from None
    written = [location.child(k).uri for k in [*body.values(), *last.values()]]
    log.info("Uploaded %d output file(s) to %s.", len(written), location.child(prefix).uri)
    return written
