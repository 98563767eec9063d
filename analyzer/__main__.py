"""``python -m analyzer``: the container entry point.

The SIGTERM/SIGINT handlers go in before the heavy imports (pandas, the CLI): a stop that arrives
while they load still ends with exit 143 and the message file, never with a bare kill.
"""
import atexit
import contextlib
import os
import signal
import sys
import threading

from analyzer import signals
from analyzer.errors import Interrupted

from analyzer.report import pdf_process

signals.install()


def _stopped_early(exc: Interrupted) -> int:
    from analyzer.runtime import Runtime

    base = None
    for i, arg in enumerate(sys.argv):
        if arg == "--base-dir" and i + 1 < len(sys.argv):
            base = sys.argv[i + 1]
        elif arg.startswith("--base-dir="):
            base = arg.split("=", 1)[1]
    with signals.deferred():
        print(f"Stopped: {exc.message}", file=sys.stderr)
        Runtime.from_env(base).write_message(f"Stopped: {exc.message}")
    return exc.exit_code


try:
    pdf_process.prestart(sys.argv[1:])   # a job: WeasyPrint loads in its own process meanwhile
    from analyzer.cli import main

    code = main()
except Interrupted as exc:  # a signal before the CLI's own handling started (imports, argument parsing)
    code = _stopped_early(exc)
finally:
    with contextlib.suppress(Interrupted):   # the outcome is decided: a late stop only ends the PDF process
        pdf_process.stop()
# The outcome is decided and written. Python's shutdown puts the default handlers back, so a late
# stop (the second of two SIGTERMs, say) would kill the interpreter by the signal mid-shutdown and
# turn exit 143 (or 0) into a bare kill: ignore further stops from here on.
for stop in signals.SIGNALS:
    signal.signal(stop, signal.SIG_IGN)
# Tearing every module down (pandas, matplotlib, their caches) takes longer than a small job's
# analysis and writes nothing: run the exit handlers, flush, and leave. Not while a non-daemon
# thread still works: Python would wait for it, so we do too.
if all(thread.daemon or thread is threading.main_thread() for thread in threading.enumerate()):
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):   # a closed pipe: nothing more can be said there
            stream.flush()
    os._exit(code)
sys.exit(code)
