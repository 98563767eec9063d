"""S3 fixtures for the capture S3 tests: moto's server and a bucket per test (tests/storage/s3_harness)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "storage"))  # the shared S3 harness
from s3_harness import bucket, moto_server, s3  # noqa: E402,F401  (pytest finds fixtures by name)
