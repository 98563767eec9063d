"""Fixtures for storage tests: moto's S3 server, a bucket per test, a fault proxy (see s3_harness)."""
from s3_harness import bucket, moto_server, proxy, s3  # noqa: F401  (pytest finds fixtures by name)
