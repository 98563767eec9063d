"""Chunks through three overlapped steps: while the calling thread has the model work on chunk k,
one helper thread builds chunk k+1 and another finishes chunk k-1.

Why: done one after the other, the model waits while the analyzer builds the next chunk's synthetic
rows and estimates the last chunk's values. numpy and pandas release the GIL for their big
operations, so the three steps run side by side. The model call stays on the calling thread, where
signal handlers run (``analyzer.signals`` raises ``Interrupted`` there).

Same results as the plain loop ``for c in chunks: finish(state, call(input))`` with
``input, state = build(c)``: builds run one at a time in chunk order, and so do finishes, each
after its own call. Memory stays bounded: at most two chunks' inputs are alive (the one being
called and the next one), plus the finishing chunk's state.

Errors and ``Interrupted`` stop it: nothing new is started, the step a helper thread is running is
waited for (short CPU work), and the first error is raised in the calling thread. No thread is left
running when :func:`overlapped` returns or raises.

When: ``ANALYZER_KERNEL_SHAP_OVERLAP`` ``1`` always, ``0`` never (the plain loop, on the calling
thread), ``auto`` (the default) on hosts with at least :data:`MIN_CPUS` CPUs. On the 2-core machine
with a local model server (bench/RESULTS.md "Kernel SHAP keeps the model busy") overlapping shortened
the Adult job's Kernel SHAP stage by 7-16 % at load 2-4, but lengthened it at num_samples=15 when
the machine was oversubscribed (load 10+): there the helper threads take the cores the model's own
threads need, so filling the model's idle gaps moves CPU instead of adding it.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Optional, TypeVar

from analyzer.errors import ConfigError
from analyzer.runtime import usable_cpus

C = TypeVar("C")  # a chunk
In = TypeVar("In")  # what the model call takes
St = TypeVar("St")  # what finishing needs besides the model's answer
Out = TypeVar("Out")  # the model's answer

#: Longest wait without a chance for signal handlers to run in the calling thread.
POLL_S = 0.5
#: A build and a finish at the same time: each step stays in order with one task in flight each.
HELPER_THREADS = 2
#: "1", "0" or "auto" (see the module docstring).
OVERLAP_ENV = "ANALYZER_KERNEL_SHAP_OVERLAP"
#: ``auto`` overlaps on hosts with at least this many CPUs (one CPU has nothing to overlap on).
MIN_CPUS = 2


def enabled() -> bool:
    """Whether :func:`overlapped` overlaps (``ANALYZER_KERNEL_SHAP_OVERLAP``, see the module docstring)."""
    value = os.environ.get(OVERLAP_ENV, "auto").strip().lower()
    if value in ("0", "1"):
        return value == "1"
    if value != "auto":
        raise ConfigError(f"{OVERLAP_ENV}: expected auto, 0 or 1; got {value[:40]!r}.")
    return usable_cpus() >= MIN_CPUS


def overlapped(chunks: Iterable[C], build: Callable[[C], tuple[In, St]], call: Callable[[In], Out],
               finish: Callable[[St, Out], None]) -> None:
    """Run ``build`` → ``call`` → ``finish`` over ``chunks`` with the three steps overlapped (see the
    module docstring); ``call`` runs on the calling thread."""
    if not enabled():
        for chunk in chunks:
            model_input, state = build(chunk)
            finish(state, call(model_input))
        return
    pending = iter(chunks)
    building: Optional[Future] = None
    finishing: Optional[Future] = None
    with ThreadPoolExecutor(HELPER_THREADS, thread_name_prefix="kernel-shap") as pool:
        try:
            building = _next_build(pool, pending, build)
            while building is not None:
                model_input, state = _result(building)
                building = _next_build(pool, pending, build)
                answer = call(model_input)
                del model_input  # the called chunk's rows can go while the next one is called
                if finishing is not None:
                    _result(finishing)  # finishes stay in order; an error in one stops here
                finishing = pool.submit(finish, state, answer)
            if finishing is not None:
                _result(finishing)
        finally:  # on an error: start nothing new; the pool's exit waits for the running steps
            for future in (building, finishing):
                if future is not None:
                    future.cancel()


def _next_build(pool: ThreadPoolExecutor, pending: Iterator[C],
                build: Callable[[C], tuple[In, St]]) -> Optional[Future]:
    chunk = next(pending, None)
    return None if chunk is None else pool.submit(build, chunk)


def _result(future: Future):
    """The future's result, waited for in short slices so that a stop signal is handled promptly."""
    while not wait([future], timeout=POLL_S).done:
        pass
    return future.result()
