"""Keeping the catalogue snapshot current while the proxy serves: the schema change is pushed.

Beside the data path. `watch_catalog` runs three named background tasks for as long as its
block lasts (`serve` and `demo` wrap the HTTP door in it):

- the listener holds one dedicated connection (not from the pool) that LISTENs on the channel
  the DDL event trigger notifies (`proxy.provision.catalog_trigger`); a lost connection is
  reconnected with back-off, and a reconnection asks for a reload, since notifications sent
  meanwhile are lost;
- the reloader turns notifications into reloads: a burst of DDL becomes one reload shortly after
  it ends (at most `MAX_DELAY_S` after it began), and reloads never overlap;
- the checker compares the catalogue fingerprint every `upstream.catalog_check_interval_s` and
  reloads when it changed: the fallback for a database without the trigger or a missed message.

Errors are logged by kind and SQLSTATE (never a payload or a row) and never end the proxy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from proxy.config.settings import UpstreamSection
from proxy.errors import error_kind
from proxy.pipeline.catalog import CatalogHolder
from proxy.provision.catalog_trigger import CATALOG_CHANNEL, catalog_trigger_installed
from proxy.upstream.pool import PINNED_SETTINGS

log = logging.getLogger(__name__)

APPLICATION_NAME = "palata-proxy catalogue watch"
DEBOUNCE_S = 0.3  # quiet time after the last notification before reloading
MAX_DELAY_S = 2.0  # a steady stream of DDL still reloads this often
BACKOFF_MIN_S = 0.5
BACKOFF_MAX_S = 30.0
PROBE_INTERVAL_S = 15.0  # how often an idle listening connection is checked to be alive
PROBE_TIMEOUT_S = 5.0

_LOST = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class CatalogWatch:
    """The state the three tasks share; `watch_catalog` runs them."""

    def __init__(self, holder: CatalogHolder, dsn: str, settings: UpstreamSection) -> None:
        self.holder = holder
        self.connections = 0  # listening connections opened so far
        self._dsn = dsn
        self._settings = settings
        self._changed = asyncio.Event()

    def schema_changed(self) -> None:
        """A notification (or a reconnection) says the snapshot may be stale."""
        self._changed.set()

    async def listen(self) -> None:
        delay = BACKOFF_MIN_S
        while True:
            try:
                async with self._listening_connection() as (conn, lost):
                    await self._after_connecting(conn)
                    delay = BACKOFF_MIN_S
                    await until_lost(conn, lost)
                log.warning("catalogue watch: the listening connection was lost; reconnecting")
            except Exception as exc:  # the watch outlives any error of its own
                log.warning(
                    "catalogue watch: cannot listen for schema changes (%s); retrying in %.1f s",
                    error_kind(exc),
                    delay,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)

    async def reload_on_change(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._changed.wait()
            deadline = loop.time() + MAX_DELAY_S
            while await _set_again_within(self._changed, min(DEBOUNCE_S, deadline - loop.time())):
                pass
            await self._reload(self.holder.reload, "after a schema change")

    async def check_periodically(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(self._settings.catalog_check_interval_s)
            failing = not await self._reload(
                self.holder.reload_if_changed, "by the periodic check", quiet=failing
            )

    @asynccontextmanager
    async def _listening_connection(self) -> AsyncIterator[tuple[Any, asyncio.Event]]:
        settings = {**PINNED_SETTINGS, "application_name": APPLICATION_NAME}
        conn = await asyncpg.connect(
            self._dsn, timeout=self._settings.connect_timeout_s, server_settings=settings
        )
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            await conn.add_listener(CATALOG_CHANNEL, self._on_notification)
            yield conn, lost
        finally:
            await close_listening(conn)

    async def _after_connecting(self, conn: Any) -> None:
        self.connections += 1
        if self.connections > 1:
            self.schema_changed()  # notifications sent while disconnected are lost
            log.info("catalogue watch: listening for schema changes again")
            return
        if not await catalog_trigger_installed(conn):
            log.warning(
                "catalogue watch: the database has no DDL event trigger (run palata-proxy "
                "provision as a superuser); schema changes are noticed within %.0f s",
                self._settings.catalog_check_interval_s,
            )
        log.info("catalogue watch: listening for schema changes")
        # a change between loading the snapshot and LISTEN went unannounced
        await self._reload(self.holder.reload_if_changed, "after starting to listen")

    async def _reload(
        self, reload: Callable[[], Awaitable[bool]], why: str, quiet: bool = False
    ) -> bool:
        """Run a reload; log what changed or why it failed. False when it failed."""
        try:
            changed = await reload()
        except Exception as exc:  # a failed reload keeps the old snapshot
            if not quiet:
                log.warning("catalogue watch: reloading the catalogue failed (%s)", error_kind(exc))
            return False
        if changed:
            version = self.holder.snapshot.version
            log.info("catalogue snapshot reloaded %s (version %s)", why, version)
        return True

    def _on_notification(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        # the payload is a command tag, but anyone may NOTIFY this channel: it is not logged
        self.schema_changed()


@asynccontextmanager
async def watch_catalog(
    holder: CatalogHolder, dsn: str, settings: UpstreamSection
) -> AsyncIterator[CatalogWatch]:
    """Run the watch for the block; its tasks are cancelled and awaited on the way out."""
    watch = CatalogWatch(holder, dsn, settings)
    tasks = [
        asyncio.create_task(watch.listen(), name="palata-catalog-listen"),
        asyncio.create_task(watch.reload_on_change(), name="palata-catalog-reload"),
        asyncio.create_task(watch.check_periodically(), name="palata-catalog-check"),
    ]
    try:
        yield watch
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def until_lost(conn: Any, lost: asyncio.Event) -> None:
    """Return when the connection ends; an idle one is probed, since a dead peer may not say."""
    while not conn.is_closed():
        if await _set_again_within(lost, PROBE_INTERVAL_S):
            return
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                await conn.fetchval("SELECT 1")
        except _LOST:
            return


async def _set_again_within(event: asyncio.Event, seconds: float) -> bool:
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
