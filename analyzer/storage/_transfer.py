"""Shared s3transfer plumbing: one TransferManager per batch, with the sizes we already know."""
from __future__ import annotations

from typing import Any

from s3transfer.subscribers import BaseSubscriber

from analyzer.storage._client import transfer_config


class KnownObject(BaseSubscriber):
    """Tells s3transfer the size and ETag from the listing, saving one HeadObject per part file
    (the ETag also makes ranged GETs fail if the object changes mid-download)."""

    def __init__(self, size: int, etag: str | None) -> None:
        self._size = size
        self._etag = etag

    def on_queued(self, future: Any, **kwargs: Any) -> None:
        future.meta.provide_transfer_size(self._size)
        if self._etag and hasattr(future.meta, "provide_object_etag"):  # s3transfer >= 0.11
            future.meta.provide_object_etag(self._etag)


def transfer_manager(client: Any) -> Any:
    from boto3.s3.transfer import create_transfer_manager

    return create_transfer_manager(client, transfer_config())
