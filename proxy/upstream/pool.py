"""The upstream link: the proxy's pool of connections to the Palata PostgreSQL database.

`Upstream` is the contract the doors and the pipeline see; `PooledUpstream` implements it on an
asyncpg pool. Foreign errors (socket, asyncpg) become `UpstreamUnavailable` here, once, so callers
only ever see project errors.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import asyncpg

from proxy.config.settings import UpstreamSection
from proxy.errors import UpstreamUnavailable
from proxy.upstream.dsn import redact_dsn

# Names resolve in the database as the analysis resolved them (pg_catalog first, then public),
# and string literals mean what the parser saw (a backslash is not an escape).
PINNED_SETTINGS = {"search_path": "pg_catalog, public", "standard_conforming_strings": "on"}

CONNECT_ERRORS = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Upstream(Protocol):
    async def ping(self) -> None:
        """Return when the database answers a trivial query; raise UpstreamUnavailable if not."""

    def connection(self) -> AbstractAsyncContextManager[Any]:
        """A pooled connection, held for the block."""


class PooledUpstream:
    def __init__(self, pool: Any, ready_timeout_s: float) -> None:
        self._pool = pool
        self._ready_timeout_s = ready_timeout_s

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        try:
            connection = await self._pool.acquire()
        except CONNECT_ERRORS as exc:
            raise UpstreamUnavailable(f"upstream database unreachable: {_reason(exc)}") from None
        try:
            yield connection
        finally:
            await self._pool.release(connection)

    async def ping(self) -> None:
        try:
            async with asyncio.timeout(self._ready_timeout_s):
                await self._pool.fetchval("SELECT 1")
        except CONNECT_ERRORS as exc:
            raise UpstreamUnavailable(f"upstream database unreachable: {_reason(exc)}") from None


@asynccontextmanager
async def open_upstream(
    dsn: str, settings: UpstreamSection, statement_timeout_s: float | None = None
) -> AsyncIterator[PooledUpstream]:
    """Open the pool (failing at start, with the reason, if the database cannot be reached)."""
    server_settings = dict(PINNED_SETTINGS)
    if statement_timeout_s is not None:
        server_settings["statement_timeout"] = str(int(statement_timeout_s * 1000))
    try:
        pool = await asyncpg.create_pool(
            dsn,
            min_size=settings.pool_min_size,
            max_size=settings.pool_max_size,
            timeout=settings.connect_timeout_s,
            init=configure_connection,
            reset=keep_session,
            server_settings=server_settings,
        )
    except CONNECT_ERRORS as exc:
        raise UpstreamUnavailable(
            f"cannot connect to the upstream database {redact_dsn(dsn)}: {_reason(exc)}"
        ) from None
    try:
        yield PooledUpstream(pool, settings.ready_timeout_s)
    finally:
        await pool.close()


async def configure_connection(conn: Any) -> None:
    """Decode types whose Python form would lose information: intervals stay PostgreSQL text
    (a timedelta has no months), JSON becomes the value it holds."""
    await conn.set_type_codec(
        "interval", schema="pg_catalog", encoder=str, decoder=str, format="text"
    )
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, schema="pg_catalog", encoder=_json_text, decoder=json.loads, format="text"
        )


async def keep_session(conn: Any) -> None:
    """What the pool runs on a connection coming back, after asyncpg's own rollback of any open
    transaction: nothing. Its default (`RESET ALL; CLOSE ALL; UNLISTEN *; ...`) costs a round
    trip per statement and undoes nothing here: the analysis refuses every statement that
    changes session state (SET, LISTEN, DECLARE, advisory locks), and the proxy's own SET LOCAL
    ends with the statement's transaction."""


def _json_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__
