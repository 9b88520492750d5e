"""Facts the context rules need from the Palata database, copied into the audit store as the
trail's subject HMACs: the watch lists (`watch_list`) and who is assigned which subjects
(`outside_assignment`). The audit store may live in another database than Palata, so the rules
cannot join Palata's tables; the detector refreshes these copies instead.

Both come from `detection.toml`, written by the security team: `[[watch_lists]]` (a name, a
query returning subject keys, the subject table they are keys of, the roles that may read them)
and `[assignments]` (a query returning pairs of a principal attribute's value and a subject key,
the subject table, and the attribute — `employee_id` — that names principals in
`principals.toml`). The queries run on the proxy's own login, so each must be one SELECT: checked
with the SQL guard when the file is loaded, and run in a read-only transaction as well. Keys are
hashed as the audit trail hashes them (`AuditKeys.subject_hmac`) and never leave this module in
clear; errors name the list, never a key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from pglast import ast
from pglast.visitors import Visitor
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from proxy.audit.schema import SCHEMA
from proxy.errors import ConfigError, ProxyError
from proxy.identity.principals import PrincipalDirectory
from proxy.sql.guard import SqlLimits, parse_statements
from proxy.upstream.errors import UpstreamError, from_postgres_error

SubjectHasher = Callable[[str, str], str]  # (subject table, key value) -> HMAC

TABLE_NAME = r"^[a-z_][a-z0-9_$]*\.[a-z_][a-z0-9_$]*$"
QUERY_TIMEOUT = "60s"  # a facts query is a lookup, not a report
WRITES = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "IntoClause"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Source(_Strict):
    sql: str = Field(min_length=1)
    subject_table: str = Field(pattern=TABLE_NAME)  # what the keys are keys of
    rationale: str = Field(min_length=20)

    @field_validator("sql")
    @classmethod
    def _select_only(cls, value: str) -> str:
        return single_select(value)


class WatchListSource(_Source):
    """One `[[watch_lists]]` table: its query returns one column, the subject keys."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    allowed_roles: tuple[str, ...] = ()  # these read the list's subjects without an alert


class AssignmentSource(_Source):
    """`[assignments]`: its query returns (principal attribute value, subject key) pairs."""

    principal_attribute: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")


class FactSources(_Strict):
    watch_lists: tuple[WatchListSource, ...] = ()
    assignments: AssignmentSource | None = None

    @field_validator("watch_lists")
    @classmethod
    def _names_once(cls, value: tuple[WatchListSource, ...]) -> tuple[WatchListSource, ...]:
        names = [source.name for source in value]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"watch lists named twice: {', '.join(twice)}")
        return value


@dataclass(frozen=True)
class FactCounts:
    """What a refresh stored: subjects per watch list, assignments, and the assignment rows
    whose attribute value names no principal (left out)."""

    watch_subjects: Mapping[str, int]
    assignments: int
    unmapped: int


class FactsQueryFailed(UpstreamError):
    """A facts query failed in the Palata database; the message names the list."""


class _Writes(Visitor):
    def __init__(self) -> None:
        self.found: set[str] = set()

    def visit(self, ancestors: Any, node: Any) -> None:
        if type(node).__name__ in WRITES:
            self.found.add(type(node).__name__)


def single_select(sql: str) -> str:
    """`sql` if it is one SELECT that writes nothing (no data-modifying WITH, no INTO);
    ValueError saying what it is otherwise."""
    try:
        statements = parse_statements(sql, SqlLimits())
    except ProxyError as exc:
        raise ValueError(f"the query does not parse: {exc.message}") from None
    if len(statements) != 1:
        raise ValueError(f"one SELECT expected, found {len(statements)} statements")
    stmt = statements[0].stmt
    if not isinstance(stmt, ast.SelectStmt):
        raise ValueError(f"one SELECT expected, found {type(stmt).__name__}")
    writes = _Writes()
    writes(stmt)
    if writes.found or stmt.lockingClause:
        found = ", ".join(sorted(writes.found)) or "a locking clause"
        raise ValueError(f"the SELECT may not write or lock ({found})")
    return sql


def parse_facts(raw: Mapping[str, Any]) -> FactSources:
    """The `[[watch_lists]]` and `[assignments]` tables of `detection.toml` (its whole text
    as parsed: `DetectionPolicy.raw`); ConfigError naming the table for anything wrong."""
    own = {key: raw[key] for key in ("watch_lists", "assignments") if key in raw}
    try:
        return FactSources.model_validate(own)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise ConfigError(f"detection rules [{where}]: {error['msg']}") from None


async def refresh_facts(
    palata_conn: Any,
    audit_conn: Any,
    raw: Mapping[str, Any],
    subject_hmac: SubjectHasher,
    principals: PrincipalDirectory,
) -> FactCounts:
    """Run the facts queries on `palata_conn` and replace the watch lists and assignments in
    the audit store (`audit_conn`) in one transaction: lists no longer configured disappear,
    and without `[assignments]` nobody is assigned anything."""
    sources = parse_facts(raw)
    lists = {s.name: await _watched(palata_conn, s, subject_hmac) for s in sources.watch_lists}
    assigned: set[tuple[str, str]] = set()
    unmapped = 0
    if sources.assignments is not None:
        assigned, unmapped = await _assigned(
            palata_conn, sources.assignments, subject_hmac, principals
        )
    roles = {s.name: list(s.allowed_roles) for s in sources.watch_lists}
    watched = [(name, subject, roles[name]) for name, found in lists.items() for subject in found]
    await _store(audit_conn, watched, sorted(assigned))
    return FactCounts({n: len(found) for n, found in lists.items()}, len(assigned), unmapped)


async def _watched(conn: Any, source: WatchListSource, subject_hmac: SubjectHasher) -> set[str]:
    rows = await _fetch(conn, source.sql, 1, f"watch list {source.name!r}")
    return {subject_hmac(source.subject_table, str(row[0])) for row in rows if row[0] is not None}


async def _assigned(
    conn: Any, source: AssignmentSource, subject_hmac: SubjectHasher, principals: PrincipalDirectory
) -> tuple[set[tuple[str, str]], int]:
    rows = await _fetch(conn, source.sql, 2, "assignments")
    named = principals_by_attribute(principals, source.principal_attribute)
    pairs: set[tuple[str, str]] = set()
    unmapped = 0
    for value, key in rows:
        names = named.get(str(value), ()) if value is not None else ()
        if not names or key is None:
            unmapped += 1
            continue
        subject = subject_hmac(source.subject_table, str(key))
        pairs.update((name, subject) for name in names)
    return pairs, unmapped


def principals_by_attribute(
    principals: PrincipalDirectory, attribute: str
) -> dict[str, tuple[str, ...]]:
    """Attribute value (as text) -> the principals carrying it; a list attribute (several
    employee ids) names its principal under each value."""
    named: dict[str, list[str]] = {}
    for name, principal in principals.principals.items():
        value = principal.attributes.get(attribute)
        values: Iterable[object] = value if isinstance(value, list) else (value,)
        for one in values:
            if one is not None:
                named.setdefault(str(one), []).append(name)
    return {value: tuple(names) for value, names in named.items()}


async def _fetch(conn: Any, sql: str, columns: int, what: str) -> Sequence[Any]:
    single_select(sql)  # also when the raw table did not come through parse_facts
    try:
        async with conn.transaction(readonly=True):
            await conn.execute(f"SET LOCAL statement_timeout = '{QUERY_TIMEOUT}'")
            statement = await conn.prepare(sql)
            width = len(statement.get_attributes())
            if width != columns:
                raise ConfigError(
                    f"detection rules: the query of {what} returns {width} "
                    f"column{'s' * (width != 1)}; {columns} expected"
                )
            return list(await statement.fetch())
    except asyncpg.PostgresError as exc:
        failed = from_postgres_error(exc, scrub=True)
        message = f"the query of {what} failed: {failed.message}"
        raise FactsQueryFailed(message, failed.sqlstate, failed.http_status) from None


async def _store(
    conn: Any, watched: list[tuple[str, str, list[str]]], assigned: list[tuple[str, str]]
) -> None:
    async with conn.transaction():
        # one refresh at a time: two concurrent ones would each insert after the other's delete
        await conn.execute(
            f"LOCK TABLE {SCHEMA}.watch_subjects, {SCHEMA}.assignments IN SHARE ROW EXCLUSIVE MODE"
        )
        await conn.execute(f"DELETE FROM {SCHEMA}.watch_subjects")
        await conn.execute(f"DELETE FROM {SCHEMA}.assignments")
        await conn.copy_records_to_table(
            "watch_subjects", schema_name=SCHEMA, records=watched,
            columns=("list", "subject", "allowed_roles"),
        )  # fmt: skip
        await conn.copy_records_to_table(
            "assignments", schema_name=SCHEMA, records=assigned, columns=("principal", "subject")
        )
