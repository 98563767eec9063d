"""The PDF laid out in a process of its own, started when ``analyzer run`` starts.

WeasyPrint is the slowest part of a small job: about a second to import and one or two to lay
out the page. Started with the job, the process imports it while the job reads its data and
computes its results, then lays out the HTML page on the second core while the job writes the
notebook. Its own small heap also spares the layout the job's garbage-collection passes over
pandas and matplotlib objects.

The process only turns bytes into bytes: the job writes and publishes every file, so the outputs
stay atomic. It never outlives the job: it exits when its input closes or after ``IDLE_S`` unused
(a long job, or a host that writes no report: the job then renders in its own process), it dies
with its parent (``PR_SET_PDEATHSIG``), and :func:`stop` ends it when the job ends, stopped or not.

Protocol: the job writes the page's length (8 bytes, big-endian) and the UTF-8 page to the
process's stdin; the process answers on stdout with ``ok <n>\\n`` and the n PDF bytes, or with
``error <one line>\\n``.
"""
from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Sequence

IDLE_S = 300.0                       # unused this long, the process exits (the job renders itself)
IDLE_EXIT = 3                        # its exit status then
STOP_WAIT_S = 2.0                    # after SIGTERM, before SIGKILL
_HEADER = 8
_ROOT = Path(__file__).resolve().parents[2]   # where this ``analyzer`` package was imported from


class PdfProcessError(Exception):
    """The PDF process could not make the PDF (the message is one line)."""


class PdfProcess:
    """One PDF process, used for one page."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self._sender: threading.Thread | None = None
        self._send_error: list[BaseException] = []

    @classmethod
    def start(cls) -> PdfProcess:
        code = ("import sys; sys.path.insert(0, sys.argv[1]); "
                "from analyzer.report.pdf_process import serve; sys.exit(serve(int(sys.argv[2])))")
        process = subprocess.Popen([sys.executable, "-c", code, str(_ROOT), str(os.getpid())], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=None, close_fds=True)
        return cls(process)

    @property
    def usable(self) -> bool:
        """Still waiting for a page (not exited for idleness, not crashed, not used)."""
        return self._sender is None and self.process.poll() is None

    def send(self, html: str) -> None:
        """Hand the page over without waiting: a thread writes it while the process may still be importing."""
        data = html.encode("utf-8")
        stdin = self.process.stdin
        assert stdin is not None

        def write() -> None:
            try:
                stdin.write(len(data).to_bytes(_HEADER, "big") + data)
                stdin.close()
            except OSError as exc:   # the process died; result() says how
                self._send_error.append(exc)

        self._sender = threading.Thread(target=write, name="pdf-page", daemon=True)
        self._sender.start()

    def result(self) -> bytes:
        """The PDF bytes; :class:`PdfProcessError` when the process failed or died."""
        stdout = self.process.stdout
        assert stdout is not None
        line = stdout.readline()
        if line.startswith(b"ok "):
            data = stdout.read(int(line[3:]))
            if len(data) == int(line[3:]):
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(STOP_WAIT_S)   # it exits as soon as it has answered
                self.stop()
                return data
        self.stop()
        if line.startswith(b"error "):
            raise PdfProcessError(line[6:].decode("utf-8", "replace").strip())
        raise PdfProcessError(f"the PDF process ended without a PDF ({_status(self.process.returncode)})")

    def stop(self) -> None:
        """End the process (politely, then not) and reap it; safe to call more than once."""
        process = self.process
        if process.poll() is None:
            with contextlib.suppress(OSError):
                process.terminate()
            try:
                process.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for stream in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()


def _status(code: int | None) -> str:
    if code is not None and code < 0:
        return f"killed by signal {-code}"
    return f"exit code {code}"


# -- the job's side: one process started early, taken by the report writer --------------------------------
_started: list[PdfProcess] = []


def wants_reports(argv: Sequence[str]) -> bool:
    """Whether this command line runs a job (``analyzer [run] ...``), the only command that writes reports."""
    return not argv or argv[0] not in ("validate", "-h", "--help")


def prestart(argv: Sequence[str]) -> None:
    """Start the PDF process for a job's command line; nothing for other commands, or where it cannot start."""
    if _started or not wants_reports(argv) or os.environ.get("ANALYZER_PDF_PROCESS", "1") == "0":
        return
    with contextlib.suppress(OSError):   # no process: the job renders the PDF itself
        _started.append(PdfProcess.start())


def take() -> PdfProcess | None:
    """The process started for this job, if it still waits for a page (at most once per process)."""
    while _started:
        process = _started.pop()
        if process.usable:
            return process
        process.stop()
    return None


def stop() -> None:
    """End a process nobody took (the job failed or wrote no report)."""
    while _started:
        _started.pop().stop()


# -- the PDF process itself -----------------------------------------------------------------------------------
def _die_with_parent(parent: int) -> None:
    """Linux: SIGKILL this process when the job that started it dies, however it dies."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    if os.getppid() != parent:                                        # it died before that took effect
        os._exit(1)


def _read_page(source: IO[bytes]) -> str | None:
    """The page, or None when the input closed first or stayed silent for ``IDLE_S``."""
    ready, _, _ = select.select([source], [], [], IDLE_S)
    if not ready:
        return None
    header = source.read(_HEADER)
    if len(header) < _HEADER:
        return None
    size = int.from_bytes(header, "big")
    data = source.read(size)
    return data.decode("utf-8") if len(data) == size else None


def serve(parent: int) -> int:
    """Import WeasyPrint now, lay out one page when it comes, answer, exit (without the interpreter's
    teardown of everything WeasyPrint made, which would only cost time)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C stops the job; the job stops this process
    _die_with_parent(parent)
    out = os.fdopen(os.dup(1), "wb")   # the answer's own channel: whatever a library prints goes to stderr
    os.dup2(2, 1)
    try:
        from analyzer.report.pdf import load_weasyprint, render_pdf

        load_weasyprint()
    except Exception as exc:  # noqa: BLE001 - e.g. no Pango: the job reports it like any PDF failure
        failure: BaseException | None = exc
    else:
        failure = None
    import gc

    gc.freeze()   # what the imports made is never garbage: later passes skip it
    page = _read_page(sys.stdin.buffer)
    if page is None:
        return IDLE_EXIT
    try:
        if failure is not None:
            raise failure
        data = render_pdf(page)
    except Exception as exc:  # noqa: BLE001 - one line back to the job, which decides what it means
        text = " ".join(f"{type(exc).__name__}: {exc}".split())
        out.write(b"error " + text.encode("utf-8", "replace")[:2000] + b"\n")
    else:
        out.write(b"ok %d\n" % len(data) + data)
    out.flush()
    os._exit(0)
