"""From a person's identifier to the keyed HMACs the audit trail names them by.

A search "who read this person's data" starts from an IIN (a person), a BIN (an organisation)
or a raw subject key with its table. The trail never holds those: it holds keyed HMACs of
subject keys (`public.debtors` row 17). So the identifier is looked up in the tables the
personal-data catalogue says are subject tables (a subject entry whose `of` is the table itself)
and have a column of that kind (`iin` or `bin`); the keys found are hashed with the trail's
hasher. The identifier travels only as a bind parameter: it is never logged, stored or put in an
error message, and one that is not 12 digits is refused before any query (SQLSTATE 22023).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from proxy.audit.search import SubjectHasher
from proxy.errors import BadRequest, UpstreamUnavailable
from proxy.policy.catalogue import Catalogue
from proxy.policy.masks import Kind
from proxy.provision.names import quote_table
from proxy.sql.quoting import quote_ident
from proxy.upstream.errors import from_postgres_error

TWELVE_DIGITS = re.compile(r"[0-9]{12}")
INTEGER_TYPES = frozenset({"int2", "int4", "int8", "numeric"})
MAX_SUBJECT_KEY = 200

Connect = Callable[[], AbstractAsyncContextManager[Any]]  # a connection to the Palata database


class MalformedSubject(BadRequest):
    """A subject criterion is malformed; the message never repeats the value."""

    sqlstate = "22023"  # invalid_parameter_value


@dataclass(frozen=True)
class SubjectCriterion:
    """At most one way of naming the subject searched for; never shown in a repr."""

    iin: str | None = field(default=None, repr=False)
    bin: str | None = field(default=None, repr=False)
    subject: str | None = field(default=None, repr=False)  # schema.table=KEY

    @property
    def given(self) -> bool:
        return (self.iin, self.bin, self.subject) != (None, None, None)


@dataclass(frozen=True)
class SubjectKey:
    """A data subject as the trail knows it: the key of a row of a subject table."""

    table: str  # schema.table the key is of
    value: str  # the key as text, as the pipeline renders it (str of the database value)


@dataclass(frozen=True)
class KeyLookup:
    """Rows of `table` whose `column` holds the identifier name subjects by their `key`."""

    table: str
    column: str
    key: str

    def sql(self) -> str:
        return (
            f"SELECT {quote_ident(self.key)} FROM {quote_table(self.table)} "
            f"WHERE {quote_ident(self.column)} = $1"
        )


def checked_identifier(value: str, kind: Kind) -> str:
    """`value` if it has the shape of an IIN or BIN (12 digits); refused otherwise."""
    if not TWELVE_DIGITS.fullmatch(value):
        raise MalformedSubject(f"the {kind.value.upper()} must be exactly 12 digits")
    return value


def lookups_for(catalogue: Catalogue, kind: Kind) -> tuple[KeyLookup, ...]:
    """Where an identifier of `kind` names a subject: each subject table's column of that kind,
    with the key its own subject entry names."""
    return tuple(
        KeyLookup(table.name, column.name, subject.column)
        for table in catalogue.tables.values()
        for subject in table.subjects
        if subject.table == table.name
        for column in table.columns.values()
        if column.kind is kind
    )


async def find_subjects(
    conn: Any, catalogue: Catalogue, identifier: str, kind: Kind
) -> tuple[SubjectKey, ...]:
    """Every subject the IIN or BIN `identifier` names, through an asyncpg connection to the
    Palata database that may read the catalogued identifier and key columns."""
    checked_identifier(identifier, kind)
    found: set[SubjectKey] = set()
    for lookup in lookups_for(catalogue, kind):
        values = await _keys_where(conn, lookup, identifier)
        found.update(SubjectKey(lookup.table, str(value)) for value in values)
    return tuple(sorted(found, key=lambda k: (k.table, k.value)))


async def _keys_where(conn: Any, lookup: KeyLookup, identifier: str) -> list[Any]:
    try:
        statement = await conn.prepare(lookup.sql())
        parameter = _as_parameter(identifier, statement.get_parameters()[0].name)
        return [row[0] for row in await statement.fetch(parameter)]
    except asyncpg.PostgresError as exc:
        raise from_postgres_error(exc, scrub=True) from None
    except (OSError, asyncpg.InterfaceError) as exc:  # DataError included: never its text
        raise UpstreamUnavailable(f"the subject lookup failed: {type(exc).__name__}") from None


def _as_parameter(identifier: str, type_name: str) -> object:
    """The identifier as the column's type wants it (a text type, or a number for a database
    that stores IINs as numbers)."""
    return int(identifier) if type_name in INTEGER_TYPES else identifier


def subject_from_key(catalogue: Catalogue, table: str, value: str) -> SubjectKey:
    """A raw subject key: `table` must be one the catalogue names as a subject table."""
    subject_tables = {s.table for t in catalogue.tables.values() for s in t.subjects}
    if table not in subject_tables:
        raise MalformedSubject(
            f"'{table}' is not a subject table of the catalogue (expected one of "
            f"{', '.join(sorted(subject_tables))})"
        )
    if not value or len(value) > MAX_SUBJECT_KEY:
        raise MalformedSubject(f"the subject key must be 1 to {MAX_SUBJECT_KEY} characters")
    return SubjectKey(table, value)


def parse_subject(text: str) -> tuple[str, str]:
    """`schema.table=KEY` into its two parts (the key is not echoed on refusal)."""
    table, equals, value = text.partition("=")
    if not equals or not re.fullmatch(r"[a-z_][a-z0-9_$]*\.[a-z_][a-z0-9_$]*", table):
        raise MalformedSubject("a subject is written schema.table=KEY (e.g. public.debtors=17)")
    return table, value


def subject_hmacs(keys: Iterable[SubjectKey], hasher: SubjectHasher) -> tuple[str, ...]:
    """The HMACs the trail stores for these subjects, sorted, without duplicates."""
    return tuple(sorted({hasher(key.table, key.value) for key in keys}))


async def hmacs_for(
    criterion: SubjectCriterion, catalogue: Catalogue, hasher: SubjectHasher, connect: Connect
) -> tuple[str, ...] | None:
    """The HMACs a subject criterion stands for; None when it names no subject (any subject),
    an empty tuple when it names one the database does not hold (no record)."""
    named = [value for value in (criterion.iin, criterion.bin, criterion.subject) if value]
    if not criterion.given:
        return None
    if len(named) != 1:
        raise MalformedSubject("name the subject by one of iin, bin or subject, not several")
    if criterion.subject is not None:
        keys: tuple[SubjectKey, ...] = (
            subject_from_key(catalogue, *parse_subject(criterion.subject)),
        )
        return subject_hmacs(keys, hasher)
    kind, identifier = (Kind.IIN, criterion.iin) if criterion.iin else (Kind.BIN, criterion.bin)
    assert identifier is not None
    checked_identifier(identifier, kind)  # before any connection is made
    async with connect() as conn:
        keys = await find_subjects(conn, catalogue, identifier, kind)
    return subject_hmacs(keys, hasher)
