"""A dedicated LISTEN connection, kept: reconnected with back-off when it is lost or cannot be
opened, probed while idle (a dead peer may not say so), closed within a bound. The catalogue
watch and the suspension watch each keep one (asyncpg I/O)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from proxy.errors import error_kind
from proxy.upstream.pool import PINNED_SETTINGS

log = logging.getLogger(__name__)

BACKOFF_MIN_S = 0.5
BACKOFF_MAX_S = 30.0
PROBE_INTERVAL_S = 15.0  # how often an idle listening connection is checked to be alive
PROBE_TIMEOUT_S = 5.0

_LOST = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


@asynccontextmanager
async def listening(
    dsn: str,
    channel: str,
    on_notice: Callable[[], None],
    application_name: str,
    connect_timeout_s: float,
) -> AsyncIterator[tuple[Any, asyncio.Event]]:
    """A connection listening on `channel` (any payload calls `on_notice`: anyone may NOTIFY,
    so it is never read), and an event set when the connection ends."""
    settings = {**PINNED_SETTINGS, "application_name": application_name}
    conn = await asyncpg.connect(dsn, timeout=connect_timeout_s, server_settings=settings)
    lost = asyncio.Event()
    conn.add_termination_listener(lambda _conn: lost.set())
    try:
        await conn.add_listener(channel, lambda *_notice: on_notice())
        yield conn, lost
    finally:
        await close_listening(conn)


async def listen_forever(
    connect: Callable[[], Any],
    on_connected: Callable[[Any], Awaitable[None]],
    who: str,
    topic: str,
) -> None:
    """Keep a connection from `connect` (`listening(...)`) open until cancelled: after each
    connection `on_connected(conn)` (notices sent while away were lost), reconnecting with
    back-off; `who` and `topic` name it in the log."""
    delay = BACKOFF_MIN_S
    while True:
        try:
            async with connect() as (conn, lost):
                await on_connected(conn)
                delay = BACKOFF_MIN_S
                await until_lost(conn, lost)
            log.warning("%s: the listening connection was lost; reconnecting", who)
        except Exception as exc:  # the watch outlives any error of its own
            log.warning(
                "%s: cannot listen for %s (%s); retrying in %.1f s",
                who,
                topic,
                error_kind(exc),
                delay,
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, BACKOFF_MAX_S)


async def until_lost(conn: Any, lost: asyncio.Event) -> None:
    """Return when the connection ends; an idle one is probed, since a dead peer may not say."""
    while not conn.is_closed():
        if await set_again_within(lost, PROBE_INTERVAL_S):
            return
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                await conn.fetchval("SELECT 1")
        except _LOST:
            return


async def set_again_within(event: asyncio.Event, seconds: float) -> bool:
    """Clear `event`, then wait up to `seconds` for it to be set again."""
    event.clear()
    try:
        async with asyncio.timeout(max(seconds, 0.0)):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def close_listening(conn: Any) -> None:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            await conn.close()
    except _LOST:
        conn.terminate()
    except asyncio.CancelledError:
        conn.terminate()
        raise
