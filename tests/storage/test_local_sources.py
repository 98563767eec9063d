"""Local paths: the same part-file rules as S3 prefixes."""
from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.errors import DataError
from analyzer.storage import fetch, fetch_one
from analyzer.storage._selection import is_data_part


@pytest.mark.parametrize("parts, expected", [
    (("part-0.csv",), True),
    (("sub", "part-0.csv"), True),
    (("_SUCCESS",), False),
    ((".DS_Store",), False),
    ((".part-0.csv.crc",), False),
    (("_temporary", "0", "part-0.csv"), False),
    ((".hidden", "x.csv"), False),
    (("dir", ""), False),        # S3 directory marker "dir/"
    ((), False),
])
def test_is_data_part(parts, expected) -> None:
    assert is_data_part(parts) is expected


def test_directory_rules_match_s3(tmp_path: Path) -> None:
    for rel in ("a-b/2.csv", "a/1.csv", "_SUCCESS", "_temporary/0/x.csv", ".x/y.csv", "z.csv", "a/.crc"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("1\n")
    # component-wise order, as for S3 keys: a/1.csv before a-b/2.csv
    assert [p.relative_to(tmp_path).as_posix() for p in fetch(tmp_path)] == ["a/1.csv", "a-b/2.csv", "z.csv"]
    assert fetch(f"file://{tmp_path}/z.csv") == [tmp_path / "z.csv"]


def test_local_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"^dataset .*missing: no such file or directory\.$"):
        fetch(tmp_path / "missing")
    (tmp_path / "_SUCCESS").write_text("")
    with pytest.raises(DataError, match=r"the directory contains no data files"):
        fetch(tmp_path)
    with pytest.raises(DataError, match=r"^SHAP baseline .*: is a directory; expected a single file\.$"):
        fetch_one(tmp_path, what="SHAP baseline")
    with pytest.raises(DataError, match=r"^SHAP baseline .*nope\.csv: no such file\.$"):
        fetch_one(tmp_path / "nope.csv", what="SHAP baseline")


def test_local_content_check(tmp_path: Path) -> None:
    (tmp_path / "bin.csv").write_bytes(b"\x00\x01\x02")
    with pytest.raises(DataError, match=r"^dataset .*bin\.csv: not a text/csv file \(binary or non-UTF-8 content: "
                                        r"it contains NUL bytes\); check dataset_type\.$"):
        fetch(tmp_path / "bin.csv", content_type="text/csv")
    assert fetch(tmp_path / "bin.csv") == [tmp_path / "bin.csv"]  # no declared type: no check
