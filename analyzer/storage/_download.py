"""S3 objects and prefixes → local files in the job's scratch area, streamed with bounded memory."""
from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Any

from analyzer.errors import DataError, StorageError
from analyzer.storage._client import s3_client
from analyzer.storage._content import check_content, normalise_gzip_suffix
from analyzer.storage._failures import storage_failure
from analyzer.storage._location import S3Location, mirror_path
from analyzer.storage._scratch import new_scratch_subdir
from analyzer.storage._selection import is_data_part, part_order
from analyzer.storage._transfer import KnownObject, transfer_manager

log = logging.getLogger("analyzer.storage")

Object = tuple[str, int, str | None]  # key, size, ETag

_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_SPACE_MARGIN = 64 * 1024 * 1024


def _error_code(exc: BaseException) -> str:
    return str((getattr(exc, "response", None) or {}).get("Error", {}).get("Code", ""))


def _head(client: Any, location: S3Location, what: str) -> Object | None:
    """The object's (key, size, etag), or None when no object has exactly this key."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        head = client.head_object(Bucket=location.bucket, Key=location.key)
        return location.key, int(head["ContentLength"]), head.get("ETag")
    except ClientError as exc:
        if _error_code(exc) in _NOT_FOUND:
            return None
        raise storage_failure(exc, location.uri, what, "read") from None
    except BotoCoreError as exc:
        raise storage_failure(exc, location.uri, what, "read") from None


def _list(client: Any, location: S3Location, uri: str, what: str) -> list[Object]:
    from botocore.exceptions import BotoCoreError, ClientError

    found: list[Object] = []
    try:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=location.bucket, Prefix=location.as_prefix)
        for page in pages:
            found.extend((o["Key"], int(o["Size"]), o.get("ETag")) for o in page.get("Contents", ()))
    except (ClientError, BotoCoreError) as exc:
        raise storage_failure(exc, uri, what, "list") from None
    return found


def _objects(client: Any, location: S3Location, uri: str, what: str) -> list[Object]:
    """(key, size, etag) of the data behind ``uri``: the object itself, or the data part files under it
    taken as a directory (``s3://b/data`` means ``data`` or ``data/…``, never ``data2/…``)."""
    if location.key and not location.key.endswith("/"):
        found = _head(client, location, what)
        if found is not None:
            return [found]
    prefix = location.as_prefix
    listed = _list(client, location, uri, what)
    if not listed:
        raise DataError(f"{what} {uri}: no such object, and no objects under the prefix "
                        f"{location.child(prefix).uri}.")
    selected = [o for o in listed if is_data_part(o[0][len(prefix):].split("/"))]
    if not selected:
        raise DataError(f"{what} {uri}: the prefix contains no data files ({len(listed)} marker, hidden or "
                        "_SUCCESS object(s) skipped).")
    return sorted(selected, key=lambda item: part_order(item[0][len(prefix):].split("/")))


def _check_space(directory: Path, needed: int, uri: str, what: str) -> None:
    free = shutil.disk_usage(directory).free
    if needed + _SPACE_MARGIN > free:
        raise StorageError(f"{what} {uri}: needs {needed / 1e6:.1f} MB of temporary space but {directory} has "
                           f"{free / 1e6:.1f} MB free; set ANALYZER_TMPDIR to a larger volume.")


def _download(client: Any, bucket: str, objects: list[Object], root: Path, what: str) -> list[Path]:
    targets = []
    with transfer_manager(client) as manager:
        futures = []
        for key, size, etag in objects:
            target = mirror_path(root, S3Location(bucket, key))
            target.parent.mkdir(parents=True, exist_ok=True)
            known = [KnownObject(size, etag)]
            futures.append((key, manager.download(bucket, key, str(target), subscribers=known)))
            targets.append(target)
        for key, future in futures:
            try:
                future.result()
            except Exception as exc:  # ClientError, BotoCoreError, OSError, s3transfer's errors
                raise storage_failure(exc, S3Location(bucket, key).uri, what, "read") from None
    return targets


def fetch_s3(uri: str, what: str, content_type: str | None = None) -> list[Path]:
    """Download the object or prefix ``uri`` into a fresh scratch directory; the local files, in order."""
    location = S3Location.parse(uri, what)
    started = time.monotonic()
    client = s3_client()
    objects = _objects(client, location, uri, what)
    root = new_scratch_subdir("s3")
    total = sum(size for _, size, _ in objects)
    _check_space(root, total, uri, what)
    paths = []
    for (key, _, _), path in zip(objects, _download(client, location.bucket, objects, root, what)):
        path = normalise_gzip_suffix(path)
        check_content(path, content_type, f"{what} {location.child(key).uri}")
        paths.append(path)
    log.info("Downloaded %s: %d object(s), %.1f MB in %.1f s.", uri, len(paths), total / 1e6,
             time.monotonic() - started)
    return paths


def check_object(uri: str, what: str) -> None:
    """The object ``uri`` exists and this process may see it (a HEAD request)."""
    location = S3Location.parse(uri, what)
    if _head(s3_client(), location, what) is None:
        raise DataError(f"{what} {uri}: no such object (NoSuchKey).")


def locate_s3(uri: str, what: str) -> list[str]:
    """The object URIs behind the object or prefix ``uri``, in order (nothing downloaded)."""
    location = S3Location.parse(uri, what)
    return [location.child(key).uri for key, _, _ in _objects(s3_client(), location, uri, what)]


def fetch_s3_object(uri: str, what: str) -> Path:
    """Download the single object ``uri`` (no prefix expansion)."""
    location = S3Location.parse(uri, what)
    if not location.key or location.key.endswith("/"):
        raise DataError(f"{what} {uri}: expected a single S3 object, got a prefix.")
    client = s3_client()
    found = _head(client, location, what)
    if found is None:
        raise DataError(f"{what} {uri}: no such object (NoSuchKey).")
    root = new_scratch_subdir("s3")
    _check_space(root, found[1], uri, what)
    (path,) = _download(client, location.bucket, [found], root, what)
    log.info("Downloaded %s (%.1f MB).", uri, found[1] / 1e6)
    return normalise_gzip_suffix(path)
