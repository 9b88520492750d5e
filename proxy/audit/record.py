"""One audit record: what one statement did, from either door, allowed or denied (pure).

A record names who (principal, the app acting for them, roles, purpose, client address, door),
what (statement kind, the normalised SQL with literals replaced by placeholders and comments
removed, its fingerprint, the parameters as keyed fingerprints only), on what (each table and
column touched with its decision, the row filters applied), how it ended (rows, duration,
outcome, SQLSTATE and reason) and whose data it held: the data subjects of the rows returned or
changed, as keyed HMACs of their subject keys (never an IIN), up to a cap, with their count.

Records are chained per proxy instance (`seq`, `prev_hash`, `hash`) and signed (`signature`, an
HMAC of `hash`); `proxy.audit.chain` fills those fields, and `canonical_bytes` is what the hash
covers. Nothing in a record is raw personal data: keep it that way when adding fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

import orjson

Door = Literal["http", "pgwire", "cli", "watch"]  # watch: measures (suspend, lift, …)
Outcome = Literal["served", "denied", "failed"]


@dataclass(frozen=True)
class ColumnAccess:
    """One column of one table the statement touched, and what the policy decided for it:
    `clear`, `masked` (with `mask`, the operator), `redacted` (masked by the proxy on the way
    out: `redact`, `redact_partial`, `pseudonym`) or `denied`."""

    table: str  # schema.table
    column: str
    decision: Literal["clear", "masked", "redacted", "denied"]
    mask: str | None = None


@dataclass(frozen=True)
class GapFinding:
    """Personal data the tripwire found in a column the catalogue does not classify."""

    column: str  # schema.table.column
    entity: str
    count: int


@dataclass(frozen=True)
class AuditRecord:
    id: str  # returned to the client as `audit_id`
    instance: str
    at: datetime  # UTC, when the statement was received
    door: Door
    principal: str
    app: str | None
    roles: tuple[str, ...]
    purpose: str | None
    client: str | None  # the client's address
    kind: str  # select, insert, update, delete, audit_search, … or `unparsed`
    sql: str | None  # normalised: literals as $n, comments removed; None when it did not parse
    fingerprint: str | None  # of the statement's structure (pglast), equal for equal shapes
    params: tuple[str, ...]  # keyed fingerprints of the parameters, in order
    access: tuple[ColumnAccess, ...]
    row_filters: tuple[str, ...]  # schema.table of each table read through a row filter
    rows: int | None  # returned or affected
    duration_ms: float
    outcome: Outcome
    sqlstate: str | None
    reason: str | None
    subjects: tuple[str, ...]  # keyed HMACs of subject keys, at most the configured cap
    subject_count: int | None  # distinct subjects; None when the statement's shape hides them
    gaps: tuple[GapFinding, ...] = ()
    seq: int = 0  # position in this instance's chain, from 1
    prev_hash: str = ""
    hash: str = ""
    signature: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # reserved; part of the hash

    def linked(
        self, at: datetime, seq: int, prev_hash: str, hash_: str, signature: str
    ) -> AuditRecord:
        """This record as a link of its chain (`Chain.link`). A copy of the instance's fields
        with the chain's added: `dataclasses.replace` would run `__init__` over every field
        again, a fifth of the chain's cost per statement."""
        record = object.__new__(AuditRecord)
        record.__dict__.update(self.__dict__)
        record.__dict__.update(at=at, seq=seq, prev_hash=prev_hash, hash=hash_, signature=signature)
        return record

    def to_json(self) -> dict[str, Any]:
        """The record as JSON values (what export and the search API show). Built field by
        field rather than with `dataclasses.asdict`, whose deep copies cost more than the rest
        of the audit path (this runs for every statement)."""
        data = {name: getattr(self, name) for name in _FIELDS}
        data["at"] = self.at.isoformat()
        data["access"] = self.access_json()
        data["gaps"] = self.gaps_json()
        data["extra"] = dict(self.extra)
        return data

    def access_json(self) -> list[dict[str, str | None]]:
        return [
            {"table": a.table, "column": a.column, "decision": a.decision, "mask": a.mask}
            for a in self.access
        ]

    def gaps_json(self) -> list[dict[str, str | int]]:
        return [{"column": g.column, "entity": g.entity, "count": g.count} for g in self.gaps]


_FIELDS = tuple(f.name for f in fields(AuditRecord))


def canonical_bytes(record: AuditRecord) -> bytes:
    """The bytes the chain hashes: every field but `hash` and `signature`, as sorted-key JSON."""
    return canonical_json(record.to_json())


def canonical_json(data: dict[str, Any]) -> bytes:
    """`canonical_bytes` of a record's `to_json()` form, which this consumes (its `hash` and
    `signature` are taken out, not copied around: this runs for every statement): compact,
    keys sorted, UTF-8 as is."""
    data.pop("hash", None)
    data.pop("signature", None)
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def stored_json(record: AuditRecord) -> bytes:
    """The record as the store and the spool take it: its `to_json()` form as compact JSON."""
    return orjson.dumps(record.to_json())
