"""One wire client's session: its messages analysed and relayed, the answers matched and audited.

After the login (`proxy.pgwire.login`) the session opens its own upstream connection, logged in
as the proxy and acting as the principal's database role, and runs two pumps. The client pump
reads each message: SQL arrives only in Query and Parse, and each statement goes through the
pipeline's `plan_each` (analyse, decide, rewrite); the rewritten text is what is relayed, and a
refused statement is replaced by one that fails inside the server, so PostgreSQL itself keeps
the transaction state and skips to Sync exactly as it would (`REFUSED_SQL`). Bind, Describe,
Execute and Close only name statements and portals the proxy planned; FunctionCall is refused.
Before relaying a message the pump queues what its answer will belong to (`expect`); the
upstream pump matches the answers (`relay`) and writes them to the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from proxy.errors import AccessDenied, ProxyError
from proxy.pgwire import backend
from proxy.pgwire.errors import DuplicateCursor, MultipleStatements, StatementExists
from proxy.pgwire.expect import (
    BindStep,
    CloseStep,
    DescribeStep,
    Expectations,
    ParseStep,
    Run,
    SyncStep,
)
from proxy.pgwire.frontend import (
    Bind,
    Close,
    Describe,
    Execute,
    Flush,
    FunctionCall,
    Parse,
    Query,
    Sync,
    Terminate,
    decode_frontend,
)
from proxy.pgwire.login import ClientStream, Login
from proxy.pgwire.messages import Frame
from proxy.pgwire.names import Change, Prepared, SessionNames, Target
from proxy.pgwire.relay import Relay
from proxy.pgwire.results import ResultBuffer, result_formats
from proxy.pgwire.upstream import UpstreamConnection, send_cancel
from proxy.pipeline import Pipeline
from proxy.pipeline.audit_entry import Served
from proxy.pipeline.request import QueryRequest
from proxy.pipeline.wire_plan import PlannedStatement

log = logging.getLogger(__name__)

Started = tuple[datetime, float]  # when a statement arrived: UTC time, time.perf_counter()

# fails at parse analysis (no such relation can exist in pg_catalog), so the server refuses it
# where the client's statement stood; its error is replaced by the proxy's refusal
REFUSED_SQL = 'SELECT FROM pg_catalog."palata: statement refused by the proxy"'
# a statement or portal name the proxy never gives: Bind or Execute of a name the session did
# not plan goes to the server under it, and the server refuses it where it stood
UNKNOWN_NAME = "palata: not prepared through the proxy"


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
    _upstream_out: list[bytes] = field(default_factory=list)  # to send at the chunk's end

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
                if not await self._forward(frame):
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

    async def _forward(self, frame: Frame) -> bool:
        message = decode_frontend(frame.kind, frame.payload)
        if isinstance(message, Query):
            await self._query(message)
        elif isinstance(message, Parse):
            await self._parse(message)
        elif isinstance(message, Bind):
            await self._bind(message, frame)
        elif isinstance(message, Describe):
            self._describe(message, frame)
        elif isinstance(message, Execute):
            await self._execute(message, frame)
        elif isinstance(message, Close):
            change = self.names.propose(Change(_target(message.target), message.name, None))
            self.expectations.add(CloseStep(message.target, message.name, change))
            self._to_upstream(frame.raw)
        elif isinstance(message, Sync):
            self.expectations.add(SyncStep(self.names.sync_sent()))
            self._to_upstream(frame.raw)
        elif isinstance(message, Flush):
            self._to_upstream(frame.raw)
        elif isinstance(message, Terminate):
            return False
        elif isinstance(message, FunctionCall):
            await self._refuse_function_call()
        else:
            raise AccessDenied(f"the message {frame.kind!r} is not relayed by the proxy")
        return True

    async def _query(self, message: Query) -> None:
        request = self._request(message.sql)
        started = _now()
        planned = await self.pipeline.plan_each(request)
        texts: list[str] = []
        for statement in planned:
            run, sql = await self._statement_run(request, statement, started, ())
            self.expectations.add(run)
            texts.append(sql)
        if not planned:  # an empty query: answered by EmptyQueryResponse
            self.expectations.add(Run(None, None, ResultBuffer(None, ()), started, simple=True))
        self.expectations.add(SyncStep(self.names.sync_sent(), simple=True))
        self.names.simple_query_sent()
        self._to_upstream(Query(";\n".join(texts)).encode())

    async def _statement_run(
        self,
        request: QueryRequest,
        statement: PlannedStatement,
        started: tuple[datetime, float],
        formats: tuple[int, ...],
    ) -> tuple[Run, str]:
        own = replace(request, sql=statement.text)
        refusal = statement.refusal
        rows_plan, change = None, None
        if refusal is None and statement.plan is not None:
            rows_plan, change, refusal = self.names.effect_of(statement, statement.plan)
        if refusal is not None or statement.plan is None or rows_plan is None:
            refusal = refusal or AccessDenied("the statement was refused")
            await self.pipeline.record_refusal(own, refusal, *started)
            run = Run(None, None, ResultBuffer(None, formats), started, refusal, simple=True)
            return run, REFUSED_SQL
        cursor = self.names.cursor_formats(statement)
        buffer = ResultBuffer(rows_plan, cursor if cursor is not None else formats)
        if change is not None:
            change = self.names.propose(change)
        return Run(own, rows_plan, buffer, started, change=change, simple=True), statement.plan.sql

    async def _parse(self, message: Parse) -> None:
        request = self._request(message.sql)
        started = _now()
        planned = await self.pipeline.plan_each(request)
        refusal: ProxyError | None = None
        if message.name and self.names.holds("S", message.name):
            refusal = StatementExists(f'prepared statement "{message.name}" already exists')
        elif any(p.refusal is not None for p in planned):  # the policy's reason comes first
            refusal = next(p.refusal for p in planned if p.refusal is not None)
        elif len(planned) > 1:
            refusal = MultipleStatements(
                "cannot insert multiple commands into a prepared statement"
            )
        plan = planned[0].plan if planned and refusal is None else None
        rows_plan, effect = plan, None
        if plan is not None:  # a DECLARE or PREPARE takes effect when it is executed
            rows_plan, effect, refusal = self.names.effect_of(planned[0], plan)
        if refusal is not None:
            await self.pipeline.record_refusal(request, refusal, *started)
            self.expectations.add(ParseStep(message.name, None, refusal))
            self._to_upstream(Parse(message.name, REFUSED_SQL).encode())
            return
        text = planned[0].text if planned else ""
        made = Prepared(text, rows_plan, effect=effect)
        change = self.names.propose(Change("S", message.name, made))
        self.expectations.add(ParseStep(message.name, rows_plan, None, change))
        sql = plan.sql if plan is not None else ""  # no statement (only comments): an empty one
        self._to_upstream(Parse(message.name, sql, message.param_types).encode())

    async def _bind(self, message: Bind, frame: Frame) -> None:
        statement = self.names.get("S", message.statement)
        refusal = None
        if message.portal and self.names.holds("P", message.portal):
            refusal = DuplicateCursor(f'cursor "{message.portal}" already exists')
        if statement is None or refusal is not None:  # the server refuses it where it stands
            self.expectations.add(BindStep(message.portal, message.statement, refusal))
            self._to_upstream(replace(message, statement=UNKNOWN_NAME).encode())
            return
        plan = statement.plan
        formats = result_formats(message.result_formats, plan)
        params = tuple(
            _parameter(value, message.param_formats, i) for i, value in enumerate(message.params)
        )
        portal = Prepared(statement.text, plan, formats, params, effect=statement.effect)
        change = self.names.propose(Change("P", message.portal, portal))
        self.expectations.add(BindStep(message.portal, message.statement, None, change))
        if formats == message.result_formats:
            self._to_upstream(frame.raw)
        else:
            self._to_upstream(replace(message, result_formats=formats).encode())

    def _describe(self, message: Describe, frame: Frame) -> None:
        prepared = self.names.get(_target(message.target), message.name)
        plan = prepared.plan if prepared is not None else None
        self.expectations.add(DescribeStep(plan, message.name, message.target == "S"))
        if prepared is None:  # a name the proxy did not plan: the server refuses it
            self._to_upstream(Describe(message.target, UNKNOWN_NAME).encode())
        else:
            self._to_upstream(frame.raw)

    async def _execute(self, message: Execute, frame: Frame) -> None:
        portal = self.names.get("P", message.portal)
        started = _now()
        if portal is None:  # the proxy bound no such portal: let the server refuse it
            self.expectations.add(Run(None, None, ResultBuffer(None, ()), started))
            self._to_upstream(Execute(UNKNOWN_NAME, message.max_rows).encode())
            return
        if portal.plan is None:  # an empty statement's portal: EmptyQueryResponse
            self.expectations.add(Run(None, None, ResultBuffer(None, ()), started))
        else:
            if _needs_types(portal):  # the proxy decodes binary values: learn their types
                self.expectations.add(DescribeStep(portal.plan, message.portal, False, True))
                self._to_upstream(Describe("P", message.portal).encode())
            effect = portal.effect
            if effect is not None and self._remakes_a_held_name(effect):
                # a parsed DECLARE/PREPARE of a name the session holds: refused here, as the
                # mirror may hold a name the server has dropped (a rolled-back cursor)
                await self._refuse_execute(portal, message, started)
                return
            request = replace(self._request(portal.text), params=portal.params)
            buffer = ResultBuffer(portal.plan, portal.formats)
            change = None if effect is None else self.names.propose(_fresh(effect))
            run = Run(request, portal.plan, buffer, started, portal=message.portal, change=change)
            self.expectations.add(run)
        self._to_upstream(frame.raw)

    def _remakes_a_held_name(self, effect: Change) -> bool:
        return effect.entry is not None and self.names.holds(effect.target, effect.name or "")

    async def _refuse_execute(self, portal: Prepared, message: Execute, started: Started) -> None:
        effect = portal.effect
        assert effect is not None
        refusal: ProxyError = (
            DuplicateCursor(f'cursor "{effect.name}" already exists')
            if effect.target == "P"
            else StatementExists(f'prepared statement "{effect.name}" already exists')
        )
        await self.pipeline.record_refusal(self._request(portal.text), refusal, *started)
        self.expectations.add(Run(None, None, ResultBuffer(None, ()), started, refusal))
        self._to_upstream(Execute(UNKNOWN_NAME, message.max_rows).encode())

    async def _refuse_function_call(self) -> None:
        """Refused in its turn: relayed as a simple query that fails in the server, which
        answers it as it answers a FunctionCall (an error, then ReadyForQuery)."""
        refusal = AccessDenied(
            "the FunctionCall message is refused: call functions in SQL, where they are analysed"
        )
        started = _now()
        await self.pipeline.record_refusal(self._request("(FunctionCall)"), refusal, *started)
        self.expectations.add(
            Run(None, None, ResultBuffer(None, ()), started, refusal, simple=True)
        )
        self.expectations.add(SyncStep(self.names.sync_sent(), simple=True))
        self.names.simple_query_sent()
        self._to_upstream(Query(REFUSED_SQL).encode())

    def _to_upstream(self, message: bytes) -> None:
        self._upstream_out.append(message)

    async def _flush_upstream(self) -> None:
        if self._upstream_out:
            data = b"".join(self._upstream_out)
            self._upstream_out.clear()
            await self.upstream.send(data)

    async def _cancel_upstream(self) -> None:
        upstream = self.upstream
        if upstream.backend_pid is not None and upstream.backend_key is not None:
            await send_cancel(upstream.target, upstream.backend_pid, upstream.backend_key)

    def _request(self, sql: str) -> QueryRequest:
        login = self.login
        return QueryRequest(login.principal, login.purpose, sql, (), "pgwire", self.address)

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


def _fresh(effect: Change) -> Change:
    """An execution's own copy of a parsed command's effect (each is confirmed on its own)."""
    entry = None if effect.entry is None else replace(effect.entry)
    return Change(effect.target, effect.name, entry)


def _target(target: str) -> Target:
    """A Describe's or Close's target, which the decoder checked is `S` or `P`."""
    return "S" if target == "S" else "P"


def _needs_types(portal: Prepared) -> bool:
    """Whether rows the proxy masks or scans come in binary: their types must be known."""
    plan = portal.plan
    if plan is None or not portal.formats or portal.formats == (0,):
        return False
    masked = any(m is not None for m in plan.proxy_masks)
    return masked or any(w is not None for w in plan.tripwires)


def _now() -> tuple[datetime, float]:
    return datetime.now(UTC), time.perf_counter()


def _parameter(value: bytes | None, formats: tuple[int, ...], index: int) -> object:
    """A Bind parameter as the audit fingerprints it: text-format values as text (as the HTTP
    door's parameters are), binary ones as bytes."""
    if value is None:
        return None
    binary = formats and (formats[0] if len(formats) == 1 else formats[index]) == 1
    return value if binary else value.decode("utf-8", "surrogateescape")
