"""The client-to-upstream direction of a wire session: each message analysed, rewritten or
refused, with what its answer will belong to queued before it is relayed.

SQL arrives only in Query and Parse: each statement goes through the pipeline's `plan_each`
(analyse, decide, rewrite) and the rewritten text is what is relayed; a refused statement is
replaced by one that fails inside the server (`REFUSED_SQL`), so PostgreSQL itself keeps the
transaction state and skips to Sync exactly as it would. Bind, Describe, Execute and Close only
name statements and portals the session planned (`names`), and a name it did not plan goes to
the server as one it never gives (`UNKNOWN_NAME`), to be refused there. FunctionCall is refused
in its turn. A suspended principal's statements are refused by `plan_each`, and Execute refuses
portals of statements parsed before the suspension the same way (the server skips to Sync).
Messages are gathered in `out` and written upstream once per read of the client.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from proxy.errors import AccessDenied, ProxyError
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
from proxy.pgwire.login import Login
from proxy.pgwire.messages import Frame
from proxy.pgwire.names import Change, Prepared, SessionNames, Target
from proxy.pgwire.results import ResultBuffer, result_formats
from proxy.pipeline import Pipeline
from proxy.pipeline.pipeline import Started
from proxy.pipeline.request import QueryRequest
from proxy.pipeline.wire_plan import PlannedStatement

# fails at parse analysis (no such relation can exist in pg_catalog), so the server refuses it
# where the client's statement stood; its error is replaced by the proxy's refusal
REFUSED_SQL = 'SELECT FROM pg_catalog."palata: statement refused by the proxy"'
# a statement or portal name the proxy never gives: Bind or Execute of a name the session did
# not plan goes to the server under it, and the server refuses it where it stood
UNKNOWN_NAME = "palata: not prepared through the proxy"


@dataclass
class ClientMessages:
    login: Login
    pipeline: Pipeline
    address: str | None
    expectations: Expectations
    names: SessionNames
    out: list[bytes] = field(default_factory=list)  # to write upstream at the read's end

    async def forward(self, frame: Frame) -> bool:
        """Relay one client message (queued for the session's next write upstream); False
        when the client said goodbye."""
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
        started = self.pipeline.started()
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
        started: Started,
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
        started = self.pipeline.started()
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
        own = replace(request, sql=text)
        self.expectations.add(ParseStep(message.name, rows_plan, None, change, own, started))
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
        request = replace(self._request(statement.text), params=params)
        started = self.pipeline.started()
        step = BindStep(message.portal, message.statement, None, change, request, plan, started)
        self.expectations.add(step)
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
        started = self.pipeline.started()
        if portal is None:  # the proxy bound no such portal: let the server refuse it
            self.expectations.add(Run(None, None, ResultBuffer(None, ()), started))
            self._to_upstream(Execute(UNKNOWN_NAME, message.max_rows).encode())
            return
        suspended = self.pipeline.suspension_refusal(self.login.principal)
        if suspended is not None:  # parsed or bound before the suspension: refused all the same
            await self._refuse_portal(portal, message, started, suspended)
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
        await self._refuse_portal(portal, message, started, refusal)

    async def _refuse_portal(
        self, portal: Prepared, message: Execute, started: Started, refusal: ProxyError
    ) -> None:
        """Execute a name the server does not hold instead: it fails where the client's stood
        (the transaction aborted, the rest skipped to Sync), and the refusal replaces its error."""
        request = replace(self._request(portal.text), params=portal.params)
        await self.pipeline.record_refusal(request, refusal, *started)
        self.expectations.add(Run(None, None, ResultBuffer(None, ()), started, refusal))
        self._to_upstream(Execute(UNKNOWN_NAME, message.max_rows).encode())

    async def _refuse_function_call(self) -> None:
        """Refused in its turn: relayed as a simple query that fails in the server, which
        answers it as it answers a FunctionCall (an error, then ReadyForQuery)."""
        refusal = AccessDenied(
            "the FunctionCall message is refused: call functions in SQL, where they are analysed"
        )
        started = self.pipeline.started()
        await self.pipeline.record_refusal(self._request("(FunctionCall)"), refusal, *started)
        self.expectations.add(
            Run(None, None, ResultBuffer(None, ()), started, refusal, simple=True)
        )
        self.expectations.add(SyncStep(self.names.sync_sent(), simple=True))
        self.names.simple_query_sent()
        self._to_upstream(Query(REFUSED_SQL).encode())

    def _to_upstream(self, message: bytes) -> None:
        self.out.append(message)

    def _request(self, sql: str) -> QueryRequest:
        login = self.login
        return QueryRequest(login.principal, login.purpose, sql, (), "pgwire", self.address)


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


def _parameter(value: bytes | None, formats: tuple[int, ...], index: int) -> object:
    """A Bind parameter as the audit fingerprints it: text-format values as text (as the HTTP
    door's parameters are), binary ones as bytes."""
    if value is None:
        return None
    binary = formats and (formats[0] if len(formats) == 1 else formats[index]) == 1
    return value if binary else value.decode("utf-8", "surrogateescape")
