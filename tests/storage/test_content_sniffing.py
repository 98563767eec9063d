"""Content sniffing: gzip suffixes and the declared dataset type."""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from analyzer.errors import DataError
from analyzer.storage._content import check_content, normalise_gzip_suffix


def test_gzip_suffix_follows_the_content(tmp_path: Path) -> None:
    plain = tmp_path / "a.csv.gz"
    plain.write_text("x\n")
    packed = tmp_path / "b"
    packed.write_bytes(gzip.compress(b"x\n"))
    right = tmp_path / "c.jsonl.gz"
    right.write_bytes(gzip.compress(b"{}\n"))
    assert normalise_gzip_suffix(plain).name == "a.csv"
    assert normalise_gzip_suffix(packed).name == "b.gz"
    assert normalise_gzip_suffix(right).name == "c.jsonl.gz"


def test_text_types_accept_gzip_and_utf8(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl.gz"
    path.write_bytes(gzip.compress('{"a": "é"}\n'.encode()))
    for kind in ("application/jsonlines", "APPLICATION/JSON", "text/csv"):
        check_content(path, kind, "dataset X")
    check_content(path, "application/x-image", "dataset X")  # types we cannot sniff pass


def test_wrong_content(tmp_path: Path) -> None:
    latin = tmp_path / "l.csv"
    latin.write_bytes("caf\xe9,1\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"^dataset X: not a text/csv file \(binary or non-UTF-8 content: "
                                        r"invalid continuation byte\)"):
        check_content(latin, "text/csv", "dataset X")
    packed = tmp_path / "p.gz"
    packed.write_bytes(gzip.compress(b"PAR1...."))
    with pytest.raises(DataError, match=r"^dataset X: not an application/x-parquet file \(it starts with "
                                        r"gzip-compressed data, not the Parquet magic 'PAR1'\)"):
        check_content(packed, "application/x-parquet", "dataset X")
    broken = tmp_path / "broken.gz"
    broken.write_bytes(b"\x1f\x8bnot gzip at all")
    with pytest.raises(DataError, match=r"starts like gzip but cannot be decompressed"):
        check_content(broken, "text/csv", "dataset X")
