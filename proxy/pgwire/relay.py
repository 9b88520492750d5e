"""The upstream's answers on their way to the client, matched to what was asked.

Each frame from PostgreSQL is matched with the head expectation (`proxy.pgwire.expect`):
RowDescriptions lose the hidden subject columns, a run's DataRows are held until its
CommandComplete (or PortalSuspended, or error) and released only after its audit record is
durable, errors of a refused statement (which was replaced by one that fails in the server, so
the server keeps the transaction state) are turned into the refusal, and other errors are
scrubbed of row values for principals who do not see everything in clear. Asynchronous
messages (notices, parameter changes) pass at any time; a parameter that would change how the
proxy reads SQL closes the session.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from proxy.errors import ProxyError
from proxy.pgwire import backend
from proxy.pgwire.errors import ProtocolViolation
from proxy.pgwire.expect import (
    BindStep,
    CloseStep,
    DescribeStep,
    Expectations,
    ParseStep,
    Run,
    SyncStep,
)
from proxy.pgwire.messages import Frame
from proxy.pgwire.names import SessionNames
from proxy.pgwire.results import ResultBuffer, visible_fields
from proxy.pipeline.output_masks import OutputMasker
from proxy.upstream.errors import UpstreamError, scrubbed_message, status_for

log = logging.getLogger(__name__)

# parameters whose change would make the proxy read SQL differently from the server
PINNED_PARAMETERS = {
    "client_encoding": "UTF8",
    "standard_conforming_strings": "on",
}

# (run, rows returned or affected, the database's error if it failed): records the run, and
# raises when its record cannot be made durable (nothing of it may then be released)
Completion = Callable[[Run, int, ProxyError | None], Awaitable[None]]


class ResultTooLarge(ProxyError):
    sqlstate = "54000"  # program_limit_exceeded
    http_status = 413


class SessionEnded(ProxyError):
    """The upstream said something that ends the session (a pinned parameter changed)."""

    sqlstate = "08006"


Fields = tuple[backend.FieldDescription, ...]


@dataclass
class Relay:
    """The upstream-to-client direction of one session."""

    expectations: Expectations
    complete: Completion  # audits a finished run (see `Completion`)
    masker: OutputMasker
    scrub_errors: bool  # the principal does not see everything in clear
    names: SessionNames  # confirmed here as the server answers
    # what Describe said of each statement ("S", name) and portal ("P", name): the types a
    # binary result must be decoded by when the proxy masks it
    descriptions: dict[tuple[str, str], Fields] = field(default_factory=dict)
    max_result_bytes: int = 64 * 1_048_576
    status: bytes = b"I"
    # after a result the proxy refused: the server goes on up to Sync (its runs are still
    # audited and their names settled), but the client, told of an error, is sent nothing
    suppressing: bool = False

    async def answer(self, frame: Frame) -> list[bytes]:
        """What to send the client for one upstream frame (possibly nothing yet)."""
        kind = frame.kind
        if kind in (b"N", b"A"):
            return [self._notice(frame) if kind == b"N" else frame.raw]
        if kind == b"S":
            return [self._parameter(frame)]
        suppressed = self.suppressing  # the frame that starts suppressing is the refusal
        out = await self._matched(frame, kind)
        if suppressed:
            if kind != b"Z":
                return []
            self.suppressing = False
        return out

    async def _matched(self, frame: Frame, kind: bytes) -> list[bytes]:
        head = self.expectations.head
        if kind == b"E":
            return [await self._error(frame)]
        if kind == b"Z":
            return self._ready(frame, head)
        if isinstance(head, Run):
            return await self._run_answer(frame, head)
        if isinstance(head, ParseStep) and kind == b"1":
            self._settled(self.expectations.pop(), confirmed=True)
            self.descriptions.pop(("S", head.name), None)
            return [frame.raw]
        if isinstance(head, BindStep) and kind == b"2":
            self._settled(self.expectations.pop(), confirmed=True)
            described = self.descriptions.get(("S", head.statement))
            if described is not None:
                self.descriptions[("P", head.portal)] = described
            else:  # never the types of an earlier portal of that name
                self.descriptions.pop(("P", head.portal), None)
            return [frame.raw]
        if isinstance(head, DescribeStep):
            return self._describe_answer(frame, head)
        if isinstance(head, CloseStep) and kind == b"3":
            self._settled(self.expectations.pop(), confirmed=True)
            self.descriptions.pop((head.target, head.name), None)
            return [frame.raw]
        raise ProtocolViolation(f"unexpected message {kind!r} from the database")

    def _settled(self, step: object, *, confirmed: bool) -> None:
        change = getattr(step, "change", None)
        if change is not None:
            (self.names.confirm if confirmed else self.names.discard)(change)

    def _notice(self, frame: Frame) -> bytes:
        if not self.scrub_errors:
            return frame.raw
        return backend.fields_message(b"N", scrubbed(backend.decode_fields(frame.payload)))

    def _parameter(self, frame: Frame) -> bytes:
        name, value = backend.decode_parameter_status(frame.payload)
        pinned = PINNED_PARAMETERS.get(name)
        if pinned is not None and value != pinned:
            raise SessionEnded(f"the database reported {name} = {value}: the session is closed")
        if name in ("session_authorization", "is_superuser"):
            return b""  # the client knows its principal; the database login is not its business
        return frame.raw

    async def _error(self, frame: Frame) -> bytes:
        head = self.expectations.head
        refusal = getattr(head, "refusal", None)
        fields = backend.decode_fields(frame.payload)
        failed = _failed_run(head) if refusal is None else None
        if failed is not None:
            # the failure is on record before the client sees it; the record's reason is
            # always scrubbed (a message can quote a value)
            await self.complete(failed, 0, database_error(fields, scrub=True))
        if refusal is not None:
            out = refusal_message(refusal)
        elif self.scrub_errors:
            out = backend.fields_message(b"E", scrubbed(fields))
        else:
            out = frame.raw
        if head is not None and not isinstance(head, SyncStep):
            simple = isinstance(head, Run) and head.simple
            self._settled(self.expectations.pop(), confirmed=False)
            for skipped in self.expectations.drop_until_sync(simple):
                self._settled(skipped, confirmed=False)
        return out

    def _ready(self, frame: Frame, head: object) -> list[bytes]:
        if not isinstance(head, SyncStep):
            raise ProtocolViolation("ReadyForQuery arrived before its Sync")
        self.expectations.pop()
        self.status = backend.decode_ready_for_query(frame.payload)
        if self.status == b"I":
            self.names.transaction_ended(head.number)
            for key in [k for k in self.descriptions if k[0] == "P"]:
                del self.descriptions[key]
        if head.simple:  # a simple query destroys the unnamed statement and portal
            self.descriptions.pop(("S", ""), None)
            self.descriptions.pop(("P", ""), None)
        return [frame.raw]

    async def _run_answer(self, frame: Frame, run: Run) -> list[bytes]:
        kind = frame.kind
        if kind == b"T":
            return [run.buffer.describe(backend.decode_row_description(frame.payload))]
        if not run.buffer.fields and run.portal is not None:
            run.buffer.fields = self.descriptions.get(("P", run.portal), ())
        if kind == b"D":
            values = backend.decode_data_row(frame.payload)
            run.buffer.hold(len(frame.raw), values, self.max_result_bytes)
            return []
        if kind in (b"C", b"s", b"I") and run.buffer.overflowed:
            return await self._refuse_overflow(run)
        if kind in (b"C", b"s", b"I"):
            self._settled(self.expectations.pop(), confirmed=kind == b"C")
            rows, run.gaps = await run.buffer.masked_rows(self.masker)
            count = len(rows)
            if kind == b"C":
                tag = backend.decode_command_complete(frame.payload)
                count = tag.rows if tag.rows is not None else count
            await self.complete(run, count, None)
            return [*rows, frame.raw]
        raise ProtocolViolation(f"unexpected message {kind!r} in a statement's result")

    async def _refuse_overflow(self, run: Run) -> list[bytes]:
        """A run whose rows passed the limit: refused, as if it had failed in the server,
        which skips to Sync; what the server still answers until then is discarded."""
        error = ResultTooLarge(
            f"the result is larger than pgwire.max_result_bytes ({self.max_result_bytes} "
            "bytes), and rows are held until their audit record is written: read it in parts "
            "with a cursor or a fetch size"
        )
        await self.complete(run, 0, error)
        self._settled(self.expectations.pop(), confirmed=True)  # the server did run it
        self.suppressing = True
        return [refusal_message(error)]

    def _describe_answer(self, frame: Frame, step: DescribeStep) -> list[bytes]:
        kind = frame.kind
        if kind == b"t" and step.statement:
            return [] if step.swallow else [frame.raw]  # the row description follows
        if kind in (b"T", b"n"):
            self.expectations.pop()
            key = ("S" if step.statement else "P", step.name)
            if kind == b"n":
                self.descriptions.pop(key, None)
                return [] if step.swallow else [frame.raw]
            fields = backend.decode_row_description(frame.payload)
            self.descriptions[key] = fields
            if step.swallow:
                return []
            return [backend.row_description(visible_fields(fields, step.plan))]
        raise ProtocolViolation(f"unexpected message {kind!r} answering Describe")


def _failed_run(head: object) -> Run | None:
    """The statement an error ends, as the audit records it: a run, or the Parse or Bind of
    one (the server plans and checks parameters there, and can fail before any Execute)."""
    if isinstance(head, Run):
        return head
    if isinstance(head, ParseStep | BindStep) and head.request is not None:
        return Run(head.request, head.plan, ResultBuffer(head.plan, ()), head.started)
    return None


def refusal_message(refusal: ProxyError) -> bytes:
    """The ErrorResponse for a statement the proxy refused, naming its audit record."""
    detail = f"audit record {refusal.audit_id}" if refusal.audit_id else None
    return backend.error_response("ERROR", refusal.sqlstate, refusal.message, detail=detail)


def scrubbed(fields: dict[str, str]) -> dict[str, str]:
    """An error's fields for a principal who does not see everything in clear: no detail,
    context, hint or internal query, and no message that could quote a row's value."""
    out = backend.scrub_fields(fields)
    if "M" in fields:
        out["M"] = scrubbed_message(fields.get("C", "XX000"), fields["M"])
    return out


def database_error(fields: dict[str, str], *, scrub: bool) -> UpstreamError:
    """The database's error as a project error (for the audit record)."""
    sqlstate = fields.get("C", "XX000")
    message = fields.get("M", "")
    message = scrubbed_message(sqlstate, message) if scrub else message
    return UpstreamError(f"database error: {message}", sqlstate, status_for(sqlstate))
