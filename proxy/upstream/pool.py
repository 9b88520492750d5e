"""The upstream link: the proxy's pool of connections to the Palata PostgreSQL database.

`Upstream` is the contract the doors and the pipeline see; `PooledUpstream` implements it on an
asyncpg pool. Foreign errors (socket, asyncpg) become `UpstreamUnavailable` here, once, so callers
only ever see project errors.

A connection is handed out acting as the database role the caller names (the provisioned,
least-privilege role of the principal's roles) or, with none, as the proxy's own login. The role
is set for the session and remembered on the connection, so a pool serving one role most of the
time sets it once per connection rather than once per statement. Nothing a client sends can
change it: the analysis refuses `SET`, `RESET`, `SET SESSION AUTHORIZATION` and `set_config`.
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
from proxy.sql.quoting import quote_ident
from proxy.upstream.dsn import redact_dsn
from proxy.upstream.errors import from_postgres_error

# Names resolve in the database as the analysis resolved them (pg_catalog first, then public),
# and string literals mean what the parser saw (a backslash is not an escape).
PINNED_SETTINGS = {"search_path": "pg_catalog, public", "standard_conforming_strings": "on"}

CONNECT_ERRORS = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Upstream(Protocol):
    async def ping(self) -> None:
        """Return when the database answers a trivial query; raise UpstreamUnavailable if not."""

    def connection(self, role: str | None = None) -> AbstractAsyncContextManager[Any]:
        """A pooled connection acting as database role `role` (None: the proxy's own login),
        held for the block."""


class _Unknown:
    """The role of a connection whose last change of role may or may not have happened."""


UNKNOWN_ROLE = _Unknown()


class RoleConnection(asyncpg.Connection):  # type: ignore[misc]
    """An asyncpg connection that remembers which role its session acts as."""

    _acting_as: str | _Unknown | None = None  # a new session acts as its login

    async def act_as(self, role: str | None) -> None:
        """Make the session act as `role` (None: its login), with a round trip only when the
        role changes. Should the change be interrupted, the role is marked unknown so the next
        call sets it again rather than trusting a guess."""
        if role == self._acting_as:
            return
        self._acting_as = UNKNOWN_ROLE
        await self.execute("RESET ROLE" if role is None else f"SET ROLE {quote_ident(role)}")
        self._acting_as = role


class PooledUpstream:
    def __init__(self, pool: Any, ready_timeout_s: float) -> None:
        self._pool = pool
        self._ready_timeout_s = ready_timeout_s

    @asynccontextmanager
    async def connection(self, role: str | None = None) -> AsyncIterator[Any]:
        try:
            connection = await self._pool.acquire()
        except CONNECT_ERRORS as exc:
            raise UpstreamUnavailable(f"upstream database unreachable: {_reason(exc)}") from None
        try:
            try:
                await connection.act_as(role)
            except asyncpg.PostgresError as exc:  # the role is missing or not granted
                raise from_postgres_error(exc, scrub=False) from None
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
            connection_class=RoleConnection,
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


@asynccontextmanager
async def single_connection(
    dsn: str, *, timeout_s: float = 60, server_settings: dict[str, str] | None = None
) -> AsyncIterator[Any]:
    """One connection for a command's job (provision, scan, audit search), closed at the end;
    UpstreamUnavailable naming the server, never its password, when it cannot be opened."""
    try:
        conn = await asyncpg.connect(dsn, timeout=timeout_s, server_settings=server_settings)
    except CONNECT_ERRORS as exc:
        raise UpstreamUnavailable(
            f"cannot connect to {redact_dsn(dsn)}: {type(exc).__name__}"
        ) from None
    try:
        yield conn
    finally:
        await conn.close()


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
    changes session state (SET, LISTEN, DECLARE, advisory locks), and the session's role is
    the proxy's own, set and remembered by `RoleConnection.act_as`."""


def _json_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__
