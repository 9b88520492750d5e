"""The catalogue snapshot the analysis resolves names against, and its refresh.

The snapshot is loaded from the upstream database at start. A name the snapshot does not know
may be a table created since, so the pipeline asks for a refresh and analyses once more; refreshes
are spaced out so that a client sending unknown names cannot make the proxy reload in a loop.
"""

from __future__ import annotations

import asyncio
import time

from proxy.sql import CatalogSnapshot, load_catalog_snapshot
from proxy.upstream.pool import Upstream

MIN_REFRESH_INTERVAL_S = 5.0


class CatalogHolder:
    def __init__(self, snapshot: CatalogSnapshot, upstream: Upstream) -> None:
        self.snapshot = snapshot
        self._upstream = upstream
        self._loaded_at = time.monotonic()
        self._lock = asyncio.Lock()

    @classmethod
    async def load(cls, upstream: Upstream) -> CatalogHolder:
        async with upstream.connection() as conn:
            return cls(await load_catalog_snapshot(conn), upstream)

    async def refresh(self) -> bool:
        """Reload unless a reload happened recently; True when the snapshot changed."""
        async with self._lock:
            if time.monotonic() - self._loaded_at < MIN_REFRESH_INTERVAL_S:
                return False
            async with self._upstream.connection() as conn:
                snapshot = await load_catalog_snapshot(conn)
            self._loaded_at = time.monotonic()
            changed = snapshot.version != self.snapshot.version
            self.snapshot = snapshot
            return changed
