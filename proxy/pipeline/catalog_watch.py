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

from proxy.config.settings import UpstreamSection
from proxy.errors import error_kind
from proxy.pipeline.catalog import CatalogHolder
from proxy.provision.catalog_trigger import CATALOG_CHANNEL, catalog_trigger_installed
from proxy.upstream.listen import listen_forever, listening, set_again_within

log = logging.getLogger(__name__)

APPLICATION_NAME = "palata-proxy catalogue watch"
DEBOUNCE_S = 0.3  # quiet time after the last notification before reloading
MAX_DELAY_S = 2.0  # a steady stream of DDL still reloads this often


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
        await listen_forever(
            lambda: listening(
                self._dsn,
                CATALOG_CHANNEL,
                self.schema_changed,  # the payload is a command tag, but anyone may NOTIFY
                APPLICATION_NAME,
                self._settings.connect_timeout_s,
            ),
            self._after_connecting,
            "catalogue watch",
            "schema changes",
        )

    async def reload_on_change(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._changed.wait()
            deadline = loop.time() + MAX_DELAY_S
            while await set_again_within(self._changed, min(DEBOUNCE_S, deadline - loop.time())):
                pass
            await self._reload(self.holder.reload, "after a schema change")

    async def check_periodically(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(self._settings.catalog_check_interval_s)
            failing = not await self._reload(
                self.holder.reload_if_changed, "by the periodic check", quiet=failing
            )

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
        # a change between loading the snapshot and LISTEN went unannounced; said to be
        # listening once that is caught up, so a change after the line is one it announces
        await self._reload(self.holder.reload_if_changed, "after starting to listen")
        log.info("catalogue watch: listening for schema changes")

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
