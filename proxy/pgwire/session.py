"""One wire client's session: its messages relayed one way, the answers matched the other.

After the login (`proxy.pgwire.login`) the session waits for the client's first message, opens
its own upstream connection (the proxy's login, acting as the principal's database role) and
runs two pumps: the client pump hands each message to `ClientMessages` (`forward`: analysed,
rewritten or refused, what its answer belongs to queued first) and writes what a read of the
client gave upstream in one go; the upstream pump matches the answers (`relay`: hidden columns
off, masks on, rows held until their audit record is durable) and writes them to the client
once the upstream's read is used up. Either pump ending ends the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from proxy.errors import ProxyError
from proxy.pgwire import backend
from proxy.pgwire.expect import Expectations, Run
from proxy.pgwire.forward import ClientMessages
from proxy.pgwire.frontend import Terminate
from proxy.pgwire.login import ClientStream, Login
from proxy.pgwire.messages import Frame
from proxy.pgwire.names import SessionNames
from proxy.pgwire.relay import Relay
from proxy.pgwire.upstream import UpstreamConnection, send_cancel
from proxy.pipeline import Pipeline
from proxy.pipeline.audit_entry import Served

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Opened:
    """A session's upstream connection as the door opened it."""

    upstream: UpstreamConnection
    changed: bytes  # ParameterStatus for settings the client was told otherwise at login
    cancel_requested: bool  # the client cancelled while it was being opened


OpenUpstream = Callable[[], Awaitable[Opened]]


@dataclass
class WireSession:
    """One logged-in client. Its upstream connection is opened when the client first sends a
    message, so clients that connect and wait hold no database connection."""

    login: Login
    pipeline: Pipeline
    client: ClientStream
    open_upstream: OpenUpstream  # the connection, and ParameterStatus the client must be told
    address: str | None
    max_result_bytes: int = 64 * 1_048_576
    expectations: Expectations = field(default_factory=Expectations)
    names: SessionNames = field(default_factory=SessionNames)
    upstream: UpstreamConnection = field(init=False)  # opened by `run`

    def __post_init__(self) -> None:
        engine = self.pipeline.engine
        login = self.login
        sees_all = engine.sees_all_personal_data(login.principal.roles, login.purpose)
        self.relay = Relay(
            self.expectations,
            self._complete,
            self.pipeline.masker,
            not sees_all,
            self.names,
            max_result_bytes=self.max_result_bytes,
        )
        self.messages = ClientMessages(
            self.login, self.pipeline, self.address, self.expectations, self.names
        )

    async def run(self) -> None:
        """Wait for the client's first message, open the upstream, then pump both directions
        until either side ends; the other is then stopped."""
        first = await self._first_frames()
        if not first or first[0].kind == Terminate.kind:
            return
        opened = await self.open_upstream()
        self.upstream = opened.upstream
        async with self.upstream:
            if opened.changed:
                await self.client.send(opened.changed)
            await self._pump(first, opened.cancel_requested)

    async def _first_frames(self) -> list[Frame]:
        pending = self.client.frames.feed(self.client.leftover())
        while not pending:
            data = await self.client.reader.read(65536)
            if not data:
                return []
            pending = self.client.frames.feed(data)
        return pending

    async def _pump(self, first: list[Frame], cancel_first: bool) -> None:
        client = asyncio.create_task(self._client_pump(first, cancel_first), name="pgwire-client")
        server = asyncio.create_task(self._server_pump(), name="pgwire-upstream")
        done, pending = await asyncio.wait({client, server}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for task in done:
            error = task.exception()
            if isinstance(error, ProxyError):
                await self._fatal(error)
            elif error is not None and not isinstance(error, ConnectionError):
                log.error("wire session ended by %s", type(error).__name__, exc_info=error)
                await self._fatal(ProxyError("internal error: the session was closed"))

    async def _fatal(self, error: ProxyError) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.client.send(backend.error_for(error, fatal=True))

    # -- client to upstream ------------------------------------------------------------

    async def _client_pump(self, pending: list[Frame], cancel_first: bool) -> None:
        # what one read of the client gives is relayed in one write: a driver's Bind, Execute
        # and Sync cost the database one wake-up, not three
        while True:
            for frame in pending:
                if not await self.messages.forward(frame):
                    await self._flush_upstream()
                    return
            await self._flush_upstream()
            if cancel_first:  # the client cancelled what it sent while the upstream opened
                cancel_first = False
                await self._cancel_upstream()
            data = await self.client.reader.read(65536)
            if not data:
                return
            pending = self.client.frames.feed(data)

    async def _flush_upstream(self) -> None:
        out = self.messages.out
        if out:
            data = b"".join(out)
            out.clear()
            await self.upstream.send(data)

    async def _cancel_upstream(self) -> None:
        upstream = self.upstream
        if upstream.backend_pid is not None and upstream.backend_key is not None:
            await send_cancel(upstream.target, upstream.backend_pid, upstream.backend_key)

    # -- upstream to client ------------------------------------------------------------

    async def _server_pump(self) -> None:
        # answers go out when the upstream's last read is used up: one write for what the
        # server sent together (BindComplete, rows, CommandComplete, ReadyForQuery)
        out: list[bytes] = []
        while True:
            frame = await self.upstream.next_frame()
            out += await self.relay.answer(frame)
            if out and not self.upstream.frames_waiting:
                self.client.writer.write(b"".join(out))
                out.clear()
                await self.client.writer.drain()

    async def _complete(self, run: Run, rows: int, error: ProxyError | None) -> None:
        if run.request is None or run.plan is None:
            return
        if error is not None:
            await self.pipeline.record_refusal(run.request, error, *run.started, plan=run.plan)
            return
        determined = run.plan.subjects.determined and not run.buffer.undetermined
        served = Served(rows, frozenset(run.buffer.subjects), determined, tuple(run.gaps))
        await self.pipeline.audit_served(run.request, run.plan, served, run.started)
