"""s3://bucket/key URIs."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from analyzer.errors import StorageError

S3_SCHEME = "s3://"
# Lenient on purpose (S3-compatible stores allow more than AWS): what matters is a non-empty bucket.
_BUCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def is_s3_uri(uri: object) -> bool:
    return isinstance(uri, str) and uri[:5].lower() == S3_SCHEME


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str  # "" for the whole bucket

    @classmethod
    def parse(cls, uri: str, what: str = "location") -> "S3Location":
        rest = uri[len(S3_SCHEME):]
        bucket, _, key = rest.partition("/")
        if not _BUCKET.match(bucket):
            raise StorageError(f"{what} {uri}: not a valid S3 URI; expected s3://bucket/key or s3://bucket/prefix/.")
        return cls(bucket, key)

    @property
    def uri(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.key}"

    def child(self, key: str) -> "S3Location":
        return S3Location(self.bucket, key)

    @property
    def as_prefix(self) -> str:
        """The key as a directory-like prefix ("" or ending in '/')."""
        return self.key if not self.key or self.key.endswith("/") else self.key + "/"


def local_name_parts(key: str) -> list[str]:
    """Path components safe to create under a scratch directory for an S3 key."""
    return [p if p not in ("", ".", "..") else "_" for p in key.split("/")]


def mirror_path(root: Path, location: S3Location) -> Path:
    """Where an object is downloaded: <root>/<bucket>/<key>, so messages that show the local path
    still show the bucket and key."""
    return root.joinpath(location.bucket, *local_name_parts(location.key))
