"""The PDF process (analyzer.report.pdf_process): the same bytes as in-process; a failing or dying
process costs the PDF only (one line, the job's documented outcome, no partial file); a stopped
or killed job leaves no PDF process behind."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analyzer.report import pdf_process
from analyzer.report.pdf import render_pdf
from analyzer.report.pdf_process import PdfProcess, PdfProcessError
from analyzer.runtime import SUCCESS_MESSAGE

ROOT = Path(__file__).resolve().parents[2]
PAGE = ("<!DOCTYPE html><html><head><meta charset='utf-8'><style>@page { size: A4 } td { border: 1px solid }"
        "</style></head><body><h1>Zürich — ünïcode</h1><table><tr><td>DPL</td><td>0.196</td></tr></table>"
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10'><rect width='5' height='5' fill='#d62728'/>"
        "</svg></body></html>")
DATA = "\n".join(["age,sex,y"] + [f"{20 + i},{'F' if i % 3 == 0 else 'M'},{int(i % 4 == 0)}" for i in range(30)])
CONFIG = {"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1],
          "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}],
          "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]}}}


def test_the_process_makes_the_same_pdf_as_this_process() -> None:
    process = PdfProcess.start()
    process.send(PAGE)
    assert process.result() == render_pdf(PAGE)
    assert process.process.returncode == 0            # it answered and left by itself


def test_a_process_that_is_not_used_exits_and_is_not_taken() -> None:
    process = PdfProcess.start()
    assert process.usable
    assert process.process.stdin is not None
    process.process.stdin.close()                     # the job ended without a page
    assert process.process.wait(30) == pdf_process.IDLE_EXIT
    pdf_process._started.append(process)
    assert pdf_process.take() is None and not pdf_process._started


def test_only_a_job_starts_one() -> None:
    assert pdf_process.wants_reports([]) and pdf_process.wants_reports(["run", "--config", "c.json"])
    assert pdf_process.wants_reports(["--config", "c.json"])
    assert not pdf_process.wants_reports(["validate", "c.json"]) and not pdf_process.wants_reports(["--help"])


# -- whole jobs (python -m analyzer), with a stand-in WeasyPrint that the PDF process imports first --------------
DIES_IN_LAYOUT = """import os, signal


class HTML:   # dies while laying the page out (an out-of-memory kill, say)
    def __init__(self, **kwargs):
        pass

    def write_pdf(self):
        os.kill(os.getpid(), signal.SIGKILL)
"""


def _job(tmp_path: Path, weasyprint: str | None) -> subprocess.Popen[str]:
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    (tmp_path / "data.csv").write_text(DATA + "\n")
    path = [str(ROOT)]
    if weasyprint is not None:
        (tmp_path / "fake").mkdir()
        (tmp_path / "fake" / "weasyprint.py").write_text(weasyprint)
        path.insert(0, str(tmp_path / "fake"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "ANALYZER_BASE_DIR": str(tmp_path / "base")}
    return subprocess.Popen([sys.executable, "-m", "analyzer", "run", "--config", str(tmp_path / "config.json"),
                             "--data", str(tmp_path / "data.csv"), "--output", str(tmp_path / "out")],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":            # ended; its parent (this test's child, gone) leaves it to init
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(("weasyprint", "reason"), [
    ("raise OSError(\"cannot load library 'libpango-1.0-0'\")", "OSError: cannot load library 'libpango-1.0-0'"),
    (DIES_IN_LAYOUT, "the PDF process ended without a PDF (killed by signal 9)"),
])
def test_a_failing_pdf_process_costs_the_pdf_only(tmp_path: Path, weasyprint: str, reason: str) -> None:
    job = _job(tmp_path, weasyprint)
    out, err = job.communicate(timeout=120)
    assert job.returncode == 0, err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "analysis.json", "analysis_config.json", "report.html", "report.ipynb"]   # no report.pdf, no .partial
    message = (tmp_path / "base" / "output" / "message").read_text()
    assert message == f"{SUCCESS_MESSAGE} (report not written: ReportError: report.pdf: {reason})"
    assert f"Could not write report.pdf: {reason}" in err


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL])
def test_a_stopped_job_leaves_no_pdf_process(tmp_path: Path, stop: int) -> None:
    job = _job(tmp_path, "import time\ntime.sleep(600)")   # the PDF never comes: the job waits for it
    assert job.stderr is not None
    for line in job.stderr:
        if "Calculating bias statistics for report" in line:
            break
    children = _children(job.pid)
    assert len(children) == 1
    time.sleep(0.5)        # the job is waiting for the PDF now
    job.send_signal(stop)
    _, err = job.communicate(timeout=60)
    assert job.returncode == (143 if stop == signal.SIGTERM else -signal.SIGKILL), err
    assert _gone(children[0]), "the PDF process outlived the job"
    published = [p.name for p in (tmp_path / "out").glob("*")] if (tmp_path / "out").exists() else []
    assert not [name for name in published if not name.startswith(".staging-")]   # SIGKILL: no clean-up either
    if stop == signal.SIGTERM:
        assert "Traceback" not in err
        assert (tmp_path / "base" / "output" / "message").read_text().startswith("Stopped: signal 15")


def test_the_job_renders_itself_when_no_process_is_wanted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYZER_PDF_PROCESS", "0")
    pdf_process.prestart(["run"])
    assert pdf_process.take() is None
    with pytest.raises(PdfProcessError, match="ended without a PDF"):
        process = PdfProcess.start()
        process.process.kill()
        process.process.wait()
        process.send(PAGE)
        process.result()
