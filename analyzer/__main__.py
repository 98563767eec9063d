"""``python -m analyzer``: the container entry point.

The SIGTERM/SIGINT handlers go in before the heavy imports (pandas, the CLI): a stop that arrives
while they load still ends with exit 143 and the message file, never with a bare kill.
"""
import signal
import sys

from analyzer import signals
from analyzer.errors import Interrupted

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
    from analyzer.cli import main

    code = main()
except Interrupted as exc:  # a signal before the CLI's own handling started (imports, argument parsing)
    code = _stopped_early(exc)
# The outcome is decided and written. Python's shutdown puts the default handlers back, so a late
# stop (the second of two SIGTERMs, say) would kill the interpreter by the signal mid-shutdown and
# turn exit 143 (or 0) into a bare kill: ignore further stops from here on.
for stop in signals.SIGNALS:
    signal.signal(stop, signal.SIG_IGN)
sys.exit(code)
