"""The wire door's listener: one task per client connection, from first packet to goodbye.

Each connection is logged in (`login`), given its own upstream connection (the proxy's login,
acting as the principal's database role, with only the client's formatting settings applied)
and its own cancel key (the upstream's is never shown), then handed to a `WireSession`. A
CancelRequest is forwarded only when it names a live session's key. Every failure ends that
one connection with an ErrorResponse carrying its SQLSTATE; the door stays up. A refused login
is audited like a refused HTTP credential.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from proxy.config import Settings
from proxy.errors import ProxyError
from proxy.identity.principals import UNAUTHENTICATED, PrincipalDirectory
from proxy.pgwire import backend
from proxy.pgwire.cancel import CancelMap, UpstreamCancelKey
from proxy.pgwire.dsn import UpstreamTarget, parse_dsn
from proxy.pgwire.login import (
    LOGIN_TIMEOUT_S,
    ClientStream,
    Login,
    first_contact,
    log_in,
    server_tls,
)
from proxy.pgwire.session import Opened, WireSession
from proxy.pgwire.startup import CancelRequest
from proxy.pgwire.upstream import (
    UpstreamConnection,
    connect_upstream,
    run_simple,
    send_cancel,
)
from proxy.pipeline import Pipeline
from proxy.pipeline.request import QueryRequest
from proxy.sql.quoting import quote_ident

log = logging.getLogger(__name__)

HIDDEN_PARAMETERS = ("session_authorization", "is_superuser")
# connections logging in at once (each may take LOGIN_TIMEOUT_S): past it, refused at once
MAX_LOGGING_IN = 256
CLIENT_OWNED = ("application_name",)  # what the client was told stands until it changes it


class WireDoor:
    """What every connection of the door shares."""

    def __init__(
        self,
        settings: Settings,
        pipeline: Pipeline,
        principals: PrincipalDirectory,
        target: UpstreamTarget,
    ) -> None:
        self._settings = settings
        self._pipeline = pipeline
        self._principals = principals
        self._target = target
        self.database = settings.pgwire.database or target.database
        self._cancels: CancelMap[UpstreamTarget] = CancelMap()
        wire = settings.pgwire
        self._tls = None
        if wire.tls != "off":
            assert wire.tls_cert is not None and wire.tls_key is not None  # settings check
            self._tls = server_tls(wire.tls_cert, wire.tls_key)
        self._tls_required = wire.tls == "require"
        self._sessions: set[asyncio.Task[None]] = set()
        self._parameters: dict[str, str] = {}
        self._logging_in = 0  # connections accepted and not logged in yet

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        client = ClientStream(reader, writer)
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) else None
        try:
            await self._serve(client, address)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client left: there is no one to tell
        except Exception as exc:  # fail closed: the connection ends, and the client is told why
            if not isinstance(exc, ProxyError):
                log.exception("wire connection failed")
                exc = ProxyError("internal error: the connection was closed (see the proxy's log)")
            with contextlib.suppress(ConnectionError, RuntimeError):
                await client.send(backend.error_for(exc, fatal=True))
        finally:
            self._sessions.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def close_sessions(self) -> None:
        for task in list(self._sessions):
            task.cancel()
        await asyncio.gather(*self._sessions, return_exceptions=True)

    async def _serve(self, client: ClientStream, address: str | None) -> None:
        if self._logging_in >= MAX_LOGGING_IN:  # a flood of half-open connections
            raise TooManyLogins("too many connections are logging in at once: try again")
        self._logging_in += 1
        try:
            login = await self._log_in(client, address)
        finally:
            self._logging_in -= 1
        if login is not None:
            await self._run_session(login, client, address)

    async def _log_in(self, client: ClientStream, address: str | None) -> Login | None:
        """The client's login, or None for a cancel request (answered by then)."""
        started = self._pipeline.started()
        try:
            async with asyncio.timeout(LOGIN_TIMEOUT_S):
                first = await first_contact(client, self._tls, self._tls_required)
                if isinstance(first, CancelRequest):
                    await self._cancel(first)
                    return None
                return await log_in(client, first, self._principals, self.database)
        except ProxyError as exc:
            request = QueryRequest(UNAUTHENTICATED, "", "(login)", (), "pgwire", address)
            await self._pipeline.record_refusal(request, exc, *started)
            raise
        except TimeoutError:
            raise LoginTimeout("the client did not log in in time") from None

    async def learn_parameters(self) -> None:
        """The server's reported settings, from one login at the door's start: what a session
        is told before it has an upstream connection of its own."""
        async with await self._connect("palata-proxy") as upstream:
            self._parameters = dict(upstream.parameters)

    async def _run_session(self, login: Login, client: ClientStream, address: str | None) -> None:
        key = self._cancels.register(None)
        told = dict(self._parameters)
        told.update({name: value for name, value in login.settings.items() if name in told})
        told.update(session_authorization=login.principal.name, is_superuser="off")
        # the client's own name (the upstream connection carries the proxy's, for the DBA)
        told["application_name"] = login.settings.get("application_name", "")
        hello = [backend.parameter_status(k, v) for k, v in sorted(told.items())]
        hello += [backend.backend_key_data(key.pid, key.secret_key)]
        try:
            await client.send(b"".join(hello) + backend.ready_for_query(b"I"))

            async def open_upstream() -> Opened:
                upstream = await self._open_upstream(login)
                assert upstream.backend_pid is not None and upstream.backend_key is not None
                behind = UpstreamCancelKey(self._target, upstream.backend_pid, upstream.backend_key)
                requested = self._cancels.attach(key, behind)
                log.info(
                    "wire session of %s: upstream backend pid %d",
                    login.principal.name,
                    upstream.backend_pid,
                )
                return Opened(upstream, _changed(told, upstream.parameters), requested)

            limit = self._settings.pgwire.max_result_bytes
            session = WireSession(login, self._pipeline, client, open_upstream, address, limit)
            await session.run()
        finally:
            self._cancels.unregister(key)

    async def _connect(self, application_name: str) -> UpstreamConnection:
        timeout = self._settings.upstream.connect_timeout_s
        return await connect_upstream(self._target, None, application_name, timeout)

    async def _open_upstream(self, login: Login) -> UpstreamConnection:
        """The session's own upstream connection, acting as the principal's database role with
        the client's formatting settings."""
        upstream = await self._connect(f"palata-proxy/{login.principal.name}")
        try:
            role = self._pipeline.database_role(login.principal.roles)
            if role is not None:
                await run_simple(upstream, f"SET ROLE {quote_ident(role)}")
            for name, value in login.settings.items():
                # the upstream keeps the proxy's application_name (the DBA's way to see whose
                # session it is): the client was told its own
                if name not in ("client_encoding", "application_name"):
                    await run_simple(upstream, f"SET {quote_ident(name)} TO {_literal(value)}")
        except BaseException:
            await upstream.close()
            raise
        return upstream

    async def _cancel(self, request: CancelRequest) -> None:
        upstream = self._cancels.lookup(request.pid, request.secret_key)
        if upstream is None:
            log.info("wire cancel request ignored: unknown key, or nothing running yet")
            return
        await send_cancel(upstream.target, upstream.pid, upstream.secret_key)


class LoginTimeout(ProxyError):
    sqlstate = "08006"


class TooManyLogins(ProxyError):
    sqlstate = "53300"  # too_many_connections


def _changed(told: dict[str, str], parameters: dict[str, str]) -> bytes:
    """ParameterStatus for what the session's own connection reports otherwise than the
    client was told at login (the server's spelling of a setting, say)."""
    return b"".join(
        backend.parameter_status(name, value)
        for name, value in sorted(parameters.items())
        if name not in (*HIDDEN_PARAMETERS, *CLIENT_OWNED) and told.get(name) != value
    )


def _literal(value: str) -> str:
    # standard_conforming_strings is pinned on: a doubled quote is the only escape needed
    return "'" + value.replace("'", "''") + "'"


@asynccontextmanager
async def serving_pgwire(
    settings: Settings, pipeline: Pipeline, principals: PrincipalDirectory
) -> AsyncIterator[asyncio.Server | None]:
    """The wire door on `pgwire.host`:`pgwire.port` for the block (None when no port is set)."""
    if settings.pgwire.port is None:
        yield None
        return
    door = WireDoor(settings, pipeline, principals, parse_dsn(settings.upstream_dsn))
    await door.learn_parameters()
    server = await asyncio.start_server(door.handle, settings.pgwire.host, settings.pgwire.port)
    log.info(
        "wire door on %s:%d (database name %s)",
        settings.pgwire.host,
        settings.pgwire.port,
        door.database,
    )
    try:
        yield server
    finally:
        server.close()
        await door.close_sessions()
        await server.wait_closed()
