"""analyzer/output.py: nothing appears in the output directory until commit()."""
from __future__ import annotations

from pathlib import Path

from analyzer.output import OutputWriter


def test_a_new_writer_leaves_nothing_behind(tmp_path: Path) -> None:
    """A stop between creating the writer and the job's try block (which discards) left an empty
    staging folder: the staging folder appears only with the first staged file."""
    OutputWriter(tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_staged_files_appear_only_on_commit_and_discard_removes_them(tmp_path: Path) -> None:
    writer = OutputWriter(tmp_path)
    writer.write_text("a/b.txt", "b")
    writer.write_json("analysis.json", {"x": 1})
    assert [p.name for p in tmp_path.iterdir()] == [writer.staging.name]
    assert sorted(p.relative_to(tmp_path).as_posix() for p in writer.commit()) == ["a/b.txt", "analysis.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "analysis.json"]

    other = OutputWriter(tmp_path)
    other.write_text("c.txt", "c")
    other.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "analysis.json"]
