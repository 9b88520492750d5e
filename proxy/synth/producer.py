"""Chunks of COPY text, produced ahead of the loader and handed over in order.

Small datasets are generated in a thread of the loading process; larger ones in forked worker
processes, so generation runs on every core while PostgreSQL ingests. Workers are forked, not
spawned: spawning re-imports the caller's main module, and `python -m proxy` runs the CLI at
import time, which would start a second build that waits forever on the first one's lock. Where
fork does not exist, generation stays in the thread. At most a few chunks are in flight at once,
so memory stays flat whatever the size.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator
from concurrent.futures import Future, ProcessPoolExecutor

from proxy.synth.chunk import generate_chunk
from proxy.synth.world import World

INLINE_CHUNKS = 4  # up to this many chunks, worker start-up would cost more than it saves

_worker_world: World | None = None


def _init_worker(world: World) -> None:
    global _worker_world
    _worker_world = world


def _worker_chunk(index: int) -> dict[str, bytes]:
    assert _worker_world is not None, "worker started without a world"
    return generate_chunk(_worker_world, index)


def worker_count() -> int:
    """Generator processes: one per core on small machines (measured fastest on two cores, as
    PostgreSQL's COPY waits on I/O part of the time), all cores but one on larger ones."""
    cores = os.cpu_count() or 2
    return cores if cores <= 2 else cores - 1


async def chunks(world: World) -> AsyncGenerator[dict[str, bytes], None]:
    """Every chunk of the dataset, in index order."""
    count = world.plan.chunk_count
    if count <= INLINE_CHUNKS or "fork" not in multiprocessing.get_all_start_methods():
        async for chunk in _inline(world, count):
            yield chunk
        return
    async for chunk in _pooled(world, count, worker_count()):
        yield chunk


async def _inline(world: World, count: int) -> AsyncIterator[dict[str, bytes]]:
    pending = asyncio.create_task(asyncio.to_thread(generate_chunk, world, 0))
    for index in range(count):
        chunk = await pending
        if index + 1 < count:  # generate the next chunk while this one is being loaded
            pending = asyncio.create_task(asyncio.to_thread(generate_chunk, world, index + 1))
        yield chunk


async def _pooled(world: World, count: int, workers: int) -> AsyncIterator[dict[str, bytes]]:
    context = multiprocessing.get_context("fork")
    window = 2 * workers + 1
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(world,)
    ) as pool:
        futures: deque[Future[dict[str, bytes]]] = deque()
        submitted = 0
        try:
            for _ in range(count):
                while submitted < count and len(futures) < window:
                    futures.append(pool.submit(_worker_chunk, submitted))
                    submitted += 1
                yield await asyncio.wrap_future(futures.popleft())
        finally:
            for future in futures:
                future.cancel()
