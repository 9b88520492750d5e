"""The catalogue snapshot the analysis resolves names against, and its refresh.

The snapshot is loaded from the upstream database at start and replaced whole on a reload; the
pipeline's plan cache is keyed by `snapshot.version`, so a new snapshot takes effect for the next
statement. Reloads come from two directions. Pushed: the catalogue watch
(`proxy.pipeline.catalog_watch`) reloads when the database announces a schema change, or when its
periodic check finds the catalogue fingerprint changed. Pulled: a name the snapshot does not know
may be a table created since, so the pipeline asks for a refresh and analyses once more; pulled
refreshes are spaced out so that a client sending unknown names cannot make the proxy reload in a
loop. One reload runs at a time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

from proxy.pipeline.catalog_fingerprint import catalog_fingerprint
from proxy.sql import CatalogSnapshot, UndefinedColumn, UndefinedRelation, load_catalog_snapshot
from proxy.upstream.pool import Upstream

MIN_REFRESH_INTERVAL_S = 5.0
T = TypeVar("T")


class CatalogHolder:
    def __init__(
        self, snapshot: CatalogSnapshot, upstream: Upstream, fingerprint: str | None = None
    ) -> None:
        self.snapshot = snapshot
        self.fingerprint = fingerprint  # of the catalogue the snapshot was read from
        self.reloads = 0
        self._upstream = upstream
        self._pulled_at = time.monotonic()
        self._lock = asyncio.Lock()

    @classmethod
    async def load(cls, upstream: Upstream) -> CatalogHolder:
        async with upstream.connection() as conn:
            fingerprint, snapshot = await _read_catalog(conn)
        return cls(snapshot, upstream, fingerprint)

    async def refresh(self) -> bool:
        """Pulled: reload unless a pulled reload happened recently; True when the snapshot
        changed."""
        async with self._lock:
            if time.monotonic() - self._pulled_at < MIN_REFRESH_INTERVAL_S:
                return False
            self._pulled_at = time.monotonic()
            return await self._reload_locked()

    async def planned(
        self, plan: Callable[[], T], on_reload: Callable[[], None] | None = None
    ) -> T:
        """`plan()`; when it names a table or column the snapshot does not have (created since),
        once more after a pulled reload (`on_reload` first), else its error."""
        try:
            return plan()
        except (UndefinedRelation, UndefinedColumn):
            if not await self.refresh():
                raise
        if on_reload is not None:
            on_reload()
        return plan()

    async def reload(self) -> bool:
        """Pushed: reload now (the schema changed); True when the snapshot changed."""
        async with self._lock:
            return await self._reload_locked()

    async def reload_if_changed(self) -> bool:
        """The periodic check: reload when the catalogue fingerprint differs from the one the
        snapshot was read with; True when the snapshot changed."""
        async with self._lock:
            async with self._upstream.connection() as conn:
                if await catalog_fingerprint(conn) == self.fingerprint:
                    return False
            return await self._reload_locked()

    async def _reload_locked(self) -> bool:
        async with self._upstream.connection() as conn:
            fingerprint, snapshot = await _read_catalog(conn)
        changed = snapshot.version != self.snapshot.version
        self.snapshot, self.fingerprint = snapshot, fingerprint
        self.reloads += 1
        return changed


async def _read_catalog(conn: Any) -> tuple[str, CatalogSnapshot]:
    """The fingerprint and the snapshot, read in one snapshot of the database so they agree (a
    change committed in between would otherwise go unnoticed by the periodic check)."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        return await catalog_fingerprint(conn), await load_catalog_snapshot(conn)
