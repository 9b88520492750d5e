"""Searching the audit trail: a filter in, a page of `AuditRecord`s out, newest first.

Sits behind `palata-proxy audit search|export` and `GET /v1/audit`, in front of the store's table
`palata_audit.records`. Building the query is pure (`build_query`): every value a searcher gives
travels as a bind parameter, never as SQL text, and table, column and decision filters match one
element of the `access` array together (`access @> '[{...}]'`). Records are rebuilt from the
rows by the store's own codec, so a search or an export shows what the chain's verification
hashes. Subject filters are keyed HMACs only (`proxy.audit.subjects` turns an IIN into them);
an empty tuple of them matches nothing, never everything.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, get_args

import asyncpg

from proxy.audit.codec import record_from_row
from proxy.audit.record import AuditRecord, Door, Outcome
from proxy.errors import BadRequest, ProxyError, UpstreamUnavailable
from proxy.upstream.errors import from_postgres_error

SubjectHasher = Callable[[str, str], str]  # (subject table, key as text) -> keyed HMAC (hex)
Decision = Literal["clear", "masked", "redacted", "denied"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
DECISIONS: tuple[str, ...] = get_args(Decision)
OUTCOMES: tuple[str, ...] = get_args(Outcome)

# jsonb columns are read as text and parsed here, whatever codecs the connection has
COLUMNS = (
    "instance, seq, id, at, door, principal, app, roles, purpose, client, kind, sql, "
    "fingerprint, params, access::text AS access, row_filters, rows, duration_ms, outcome, "
    "sqlstate, reason, subjects, subject_count, gaps::text AS gaps, extra::text AS extra, "
    "prev_hash, hash, signature"
)


class InvalidSearch(BadRequest):
    """A search filter is malformed (a limit out of range, an unknown decision, a bad cursor)."""

    sqlstate = "22023"  # invalid_parameter_value


class AuditSearchStore(Protocol):
    """What a search door needs from the audit trail: connections to the store's database, the
    hasher that keys subject HMACs as the trail does (`AuditKeys.subject_hmac`), and the sink
    the search's own record is written to (fail closed: no record, no answer)."""

    def connection(self) -> AbstractAsyncContextManager[Any]:
        """An asyncpg connection to the database holding `palata_audit.records`."""

    def subject_hmac(self, of_table: str, key_value: str) -> str:
        """The keyed HMAC the trail stores for the subject `key_value` of table `of_table`."""

    async def write(self, record: AuditRecord) -> AuditRecord:
        """Append `record` to the trail (the record chained); raise (a ProxyError) when it
        cannot be taken."""


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: just past the record at (at, instance, seq)."""

    at: datetime
    instance: str
    seq: int

    def encode(self) -> str:
        text = json.dumps([self.at.isoformat(), self.instance, self.seq], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            at, instance, seq = json.loads(raw)
            cursor = cls(datetime.fromisoformat(at), str(instance), int(seq))
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
            raise InvalidSearch("the cursor is not one a previous page returned") from None
        if cursor.at.tzinfo is None:
            raise InvalidSearch("the cursor is not one a previous page returned")
        return cursor

    @classmethod
    def of(cls, record: AuditRecord) -> Cursor:
        return cls(record.at, record.instance, record.seq)


@dataclass(frozen=True)
class SearchFilter:
    """Every criterion is optional and they all must hold. `subjects` None means any subject;
    a tuple (even empty) means records naming at least one of those HMACs."""

    principal: str | None = None
    role: str | None = None
    purpose: str | None = None
    table: str | None = None  # schema.table
    column: str | None = None
    decision: str | None = None
    outcome: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    subjects: tuple[str, ...] | None = None
    limit: int = DEFAULT_LIMIT
    after: Cursor | None = None
    oldest_first: bool = False  # export reads the trail in the order it was written

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidSearch(f"the limit must be between 1 and {MAX_LIMIT}")
        if self.decision is not None and self.decision not in DECISIONS:
            raise InvalidSearch(f"the decision must be one of {', '.join(DECISIONS)}")
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise InvalidSearch(f"the outcome must be one of {', '.join(OUTCOMES)}")
        for moment in (self.since, self.until):
            if moment is not None and moment.tzinfo is None:
                raise InvalidSearch("times must carry a time zone (e.g. 2026-01-31T00:00:00Z)")

    def described(self) -> dict[str, Any]:
        """The filter as the audit record of the search keeps it: subjects only counted."""
        shown = {
            "principal": self.principal,
            "role": self.role,
            "purpose": self.purpose,
            "table": self.table,
            "column": self.column,
            "decision": self.decision,
            "outcome": self.outcome,
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "limit": self.limit,
            "paged": self.after is not None,
        }
        described = {key: value for key, value in shown.items() if value is not None}
        if self.subjects is not None:
            described["subjects"] = len(self.subjects)
        return described


def parse_moment(text: str, name: str) -> datetime:
    """An ISO 8601 time from a searcher; one without a time zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidSearch(f"'{name}' must be an ISO 8601 time (2026-01-31T09:00:00Z)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Query:
    sql: str
    args: tuple[object, ...]


@dataclass(frozen=True)
class SearchPage:
    records: tuple[AuditRecord, ...]
    next_cursor: Cursor | None  # None: this was the last page


class _Conditions:
    """WHERE clauses with their bind parameters, numbered as they are added."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.args: list[object] = []

    def add(self, template: str, *values: object) -> None:
        numbers = [self._bind(value) for value in values]
        self.clauses.append(template.format(*numbers))

    def _bind(self, value: object) -> str:
        self.args.append(value)
        return f"${len(self.args)}"


def build_query(search: SearchFilter) -> Query:
    """The parameterised SELECT over palata_audit.records for `search` (one row past the
    limit, so the caller knows whether another page follows)."""
    where = _Conditions()
    _add_who(where, search)
    _add_access(where, search)
    _add_when(where, search)
    if search.subjects is not None:
        where.add("subjects && {}::text[]", list(search.subjects))
    order = "ASC" if search.oldest_first else "DESC"
    if search.after is not None:
        after = search.after
        comparison = ">" if search.oldest_first else "<"
        where.add(f"(at, instance, seq) {comparison} ({{}}, {{}}, {{}})", *_cursor_args(after))
    conditions = " AND ".join(where.clauses) or "TRUE"
    where.args.append(search.limit + 1)
    sql = (
        f"SELECT {COLUMNS} FROM palata_audit.records WHERE {conditions} "
        f"ORDER BY at {order}, instance {order}, seq {order} LIMIT ${len(where.args)}"
    )
    return Query(sql, tuple(where.args))


def _cursor_args(after: Cursor) -> tuple[object, ...]:
    return (after.at, after.instance, after.seq)


def _add_who(where: _Conditions, search: SearchFilter) -> None:
    if search.principal is not None:
        where.add("principal = {}", search.principal)
    if search.role is not None:
        where.add("{} = ANY (roles)", search.role)
    if search.purpose is not None:
        where.add("purpose = {}", search.purpose)
    if search.outcome is not None:
        where.add("outcome = {}", search.outcome)


def _add_access(where: _Conditions, search: SearchFilter) -> None:
    element = {
        key: value
        for key, value in (
            ("table", search.table),
            ("column", search.column),
            ("decision", search.decision),
        )
        if value is not None
    }
    if element:  # one element must match them all: a column denied, not any denial anywhere
        where.add("access @> {}::text::jsonb", json.dumps([element], ensure_ascii=False))


def _add_when(where: _Conditions, search: SearchFilter) -> None:
    if search.since is not None:
        where.add("at >= {}", search.since)
    if search.until is not None:
        where.add("at < {}", search.until)


async def search_records(conn: Any, search: SearchFilter) -> SearchPage:
    """Run the search on an asyncpg connection to the audit store."""
    query = build_query(search)
    try:
        rows = await conn.fetch(query.sql, *query.args)
    except asyncpg.PostgresError as exc:
        raise from_postgres_error(exc, scrub=True) from None
    except (OSError, asyncpg.InterfaceError) as exc:
        raise UpstreamUnavailable(f"the audit store is unreachable: {type(exc).__name__}") from None
    records = tuple(rebuilt(row) for row in rows[: search.limit])
    more = len(rows) > search.limit
    return SearchPage(records, Cursor.of(records[-1]) if more else None)


class DamagedRecord(ProxyError):
    """A stored record does not have the shape of an `AuditRecord`: refused, never guessed."""

    sqlstate = "XX001"  # data_corrupted


def rebuilt(row: Mapping[str, Any]) -> AuditRecord:
    """The record exactly as stored (`proxy.audit.codec`, which the chain's verification uses
    too, so a search shows the values the hashes cover)."""
    try:
        return record_from_row(row)
    except (KeyError, TypeError, ValueError) as exc:
        raise DamagedRecord(f"a stored audit record is malformed ({type(exc).__name__})") from None


@dataclass(frozen=True)
class Searcher:
    """Who searches the trail, through which door."""

    door: Door
    principal: str
    roles: tuple[str, ...] = ()
    purpose: str | None = None
    client: str | None = None


def search_record(
    searcher: Searcher,
    instance: str,
    criteria: Mapping[str, Any],
    started: datetime,
    *,
    kind: str = "audit_search",
    rows: int | None = None,
    error: ProxyError | None = None,
) -> AuditRecord:
    """The audit record of one search of the trail: `criteria` as `SearchFilter.described`
    gives them (a subject only as its number of HMACs). A search reads no data subject's rows,
    so it names none, and a later search by subject does not find it."""
    duration_ms = (datetime.now(UTC) - started).total_seconds() * 1000
    outcome: Outcome = "served"
    if error is not None:
        outcome = "denied" if error.http_status < 500 else "failed"
    return AuditRecord(
        id=str(uuid.uuid4()),
        instance=instance,
        at=started,
        door=searcher.door,
        principal=searcher.principal,
        app=None,
        roles=searcher.roles,
        purpose=searcher.purpose,
        client=searcher.client,
        kind=kind,
        sql=None,
        fingerprint=None,
        params=(),
        access=(),
        row_filters=(),
        rows=rows,
        duration_ms=duration_ms,
        outcome=outcome,
        sqlstate=None if error is None else error.sqlstate,
        reason=None if error is None else error.message,
        subjects=(),
        subject_count=0,
        extra={"filter": dict(criteria)},
    )
