"""Shared s3transfer plumbing: one TransferManager per batch, with the sizes we already know."""
from __future__ import annotations

from typing import Any

from s3transfer.subscribers import BaseSubscriber

from analyzer.storage._client import transfer_config


class KnownSize(BaseSubscriber):
    """Tells s3transfer the object size from the listing, saving one HeadObject per part file."""

    def __init__(self, size: int) -> None:
        self._size = size

    def on_queued(self, future: Any, **kwargs: Any) -> None:
        future.meta.provide_transfer_size(self._size)


def transfer_manager(client: Any) -> Any:
    from boto3.s3.transfer import create_transfer_manager

    return create_transfer_manager(client, transfer_config())
