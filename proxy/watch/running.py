"""Detection running in the background of `serve` and the demo: the detector's tick every few
seconds, on a connection of the audit store's pool, for as long as a block runs.

The store may be down (the audit sink spools meanwhile): a failed tick is logged by kind and
SQLSTATE and retried, waiting longer after each failure up to a minute, so an outage neither
stops detection nor floods the log. Nothing is lost while it waits: the watermarks only move
when a tick commits. On leaving the block the task is cancelled and awaited; a tick cut short
rolls back with its transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from proxy.errors import error_kind
from proxy.watch.model import Alert

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 60.0
TASK_NAME = "palata-detector"


class Ticking(Protocol):
    """What runs on each tick (`engine.Detector`)."""

    async def tick(self, conn: Any) -> Sequence[Alert]: ...


def backoff(interval: float, failures: int) -> float:
    """Seconds to wait before the next tick after `failures` failed ones in a row."""
    if failures == 0:
        return interval
    return max(interval, min(MAX_BACKOFF_S, interval * 2.0**failures))


@asynccontextmanager
async def running_detector(
    detector: Ticking,
    connect: Callable[[], AbstractAsyncContextManager[Any]],
    interval: float,
    before_tick: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[asyncio.Task[None]]:
    """Tick `detector` every `interval` seconds (the first at once) for the block."""
    task = asyncio.create_task(
        _tick_forever(detector, connect, interval, before_tick), name=TASK_NAME
    )
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _tick_forever(
    detector: Ticking,
    connect: Callable[[], AbstractAsyncContextManager[Any]],
    interval: float,
    before_tick: Callable[[], Awaitable[None]] | None,
) -> None:
    failures = 0
    while True:
        if before_tick is not None:
            await _prepare(before_tick)
        failures = 0 if await _tick_once(detector, connect) else failures + 1
        wait = backoff(interval, failures)
        if failures:
            log.info("detection: next attempt in %.1f s", wait)
        await asyncio.sleep(wait)


async def _prepare(before_tick: Callable[[], Awaitable[None]]) -> None:
    # a failed refresh (of facts) keeps the old ones: the tick runs anyway
    try:
        await before_tick()
    except Exception as exc:
        log.warning("detection: preparing the tick failed (%s)", error_kind(exc))


async def _tick_once(
    detector: Ticking, connect: Callable[[], AbstractAsyncContextManager[Any]]
) -> bool:
    try:
        async with connect() as conn:
            await detector.tick(conn)
    except Exception as exc:
        log.warning(
            "detection: tick failed, the audit store may be unavailable (%s)", error_kind(exc)
        )
        return False
    return True
