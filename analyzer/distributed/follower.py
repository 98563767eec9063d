"""A follower host of a multi-host job: this host's Dask workers join the leader's scheduler and work
until the leader's job ends (see :mod:`analyzer.cluster` for how the end is signalled)."""
from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from contextlib import contextmanager
from typing import Iterator

from analyzer.distributed.session import PRELOAD, dask_port
from analyzer.distributed.settings import ScaleSettings

log = logging.getLogger("sagemaker-clarify-processing")


def _joined(future: asyncio.Future, count: int, address: str) -> None:
    if not future.cancelled() and future.exception() is None:
        log.info("%d Dask worker(s) joined the scheduler %s", count, address)


@contextmanager
def workers_for(leader: str, host: str, settings: ScaleSettings) -> Iterator[None]:
    """``settings.workers`` workers named ``<host>/<i>`` joining ``tcp://<leader>:<port>``
    while the block runs. They keep trying to reach the scheduler, which the leader starts when its
    job needs the model (it waits for every host's workers by those names)."""
    from distributed import Nanny, Worker

    address = f"tcp://{leader}:{dask_port()}"
    # One worker runs in this process, as on the leader (see open_cluster): no second interpreter to
    # start and import everything into while the leader waits for this host.
    if settings.workers == 1:
        def make(i: int) -> Worker | Nanny:
            return Worker(address, nthreads=settings.threads, name=f"{host}/{i}", dashboard_address=None)
    else:
        def make(i: int) -> Worker | Nanny:
            return Nanny(address, nthreads=settings.threads, name=f"{host}/{i}", dashboard_address=None,
                         preload=list(PRELOAD))
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def main() -> None:
        nannies = [make(i) for i in range(settings.workers)]
        starting = asyncio.ensure_future(asyncio.gather(*(nanny.start() for nanny in nannies)))
        starting.add_done_callback(lambda f: _joined(f, len(nannies), address))
        await stop.wait()      # the leader's job ended (it may never have started a scheduler)
        starting.cancel()
        await asyncio.gather(*(nanny.close(timeout=10) for nanny in nannies), return_exceptions=True)

    def run() -> None:
        if settings.workers == 1:   # what the tasks need, imported while the leader still reads the data
            for module in PRELOAD:
                importlib.import_module(module)
        loop.run_until_complete(main())

    thread = threading.Thread(target=run, name="dask-workers", daemon=True)
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
