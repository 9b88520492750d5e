"""The hash chain over one instance's audit records, and its verification (pure).

Each proxy instance keeps one chain: record n carries `seq` n, the previous record's hash as
`prev_hash` (64 zeros for the first), `hash` = SHA-256 over `prev_hash` and the record's
canonical bytes, and `signature` = HMAC of `hash` under the chain key. Altering a field breaks
its hash; recomputing the hash without the key breaks the signature; removing or reordering
records breaks `seq` and `prev_hash`. Retention drops old records only after writing a signed
`Anchor` (the last dropped record's seq and hash), so a chain may start after seq 1 exactly
where an anchor says it does. Cutting records off the end of a chain is not visible here: that
needs a witness outside the store (the sink's tail, a published chain head).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Literal

from proxy.audit.keys import AuditKeys
from proxy.audit.record import AuditRecord, canonical_bytes, canonical_json

GENESIS_HASH = "0" * 64

ProblemKind = Literal["altered", "removed", "reordered"]


@dataclass(frozen=True)
class ChainTail:
    """Where a chain ends: the last record's seq and hash (seq 0 and GENESIS_HASH if empty)."""

    seq: int = 0
    hash: str = GENESIS_HASH


@dataclass(frozen=True)
class Anchor:
    """Written when retention drops records: the last dropped record of an instance, signed."""

    instance: str
    seq: int
    hash: str
    signature: str

    def message(self) -> str:
        return anchor_message(self.instance, self.seq, self.hash)


def anchor_message(instance: str, seq: int, hash_: str) -> str:
    return f"palata-audit-anchor\x1f{instance}\x1f{seq}\x1f{hash_}"


def sign_anchor(keys: AuditKeys, instance: str, seq: int, hash_: str) -> Anchor:
    return Anchor(instance, seq, hash_, keys.sign(anchor_message(instance, seq, hash_)))


def record_hash(record: AuditRecord) -> str:
    """The hash a record should carry, given its seq and prev_hash."""
    return hashlib.sha256(record.prev_hash.encode() + canonical_bytes(record)).hexdigest()


class Chain:
    """Assigns seq, prev_hash, hash and signature to one instance's records in arrival order."""

    def __init__(self, instance: str, keys: AuditKeys, tail: ChainTail = ChainTail()) -> None:
        self.instance = instance
        self._keys = keys
        self.tail = tail

    def append(self, record: AuditRecord) -> AuditRecord:
        return self.link(record).record

    def link(self, record: AuditRecord) -> Linked:
        """The record as the chain's next link, with the stored JSON made on the way (the
        canonical bytes with `hash` and `signature` added: the record is serialised once)."""
        if record.instance != self.instance:
            raise ValueError("the record belongs to another instance's chain")
        if record.at.tzinfo is None:
            raise ValueError("an audit record's time must carry its time zone")
        # the store answers in UTC; hashing UTC makes a record read back hash the same
        at = record.at.astimezone(UTC)
        seq, prev_hash = self.tail.seq + 1, self.tail.hash
        data = record.to_json()  # what `record_hash` would hash, without building the record
        data.update(at=at.isoformat(), seq=seq, prev_hash=prev_hash)
        canonical = canonical_json(data)
        hash_ = hashlib.sha256(prev_hash.encode() + canonical).hexdigest()
        self.tail = ChainTail(seq, hash_)
        signature = self._keys.sign(hash_)
        chained = record.linked(at, seq, prev_hash, hash_, signature)
        # both values are hex digits: nothing to escape
        stored = canonical[:-1] + f',"hash":"{hash_}","signature":"{signature}"}}'.encode()
        return Linked(chained, stored)


@dataclass(frozen=True, slots=True)
class Linked:
    """A chained record and its stored JSON (`stored_json` of it, keys in another order)."""

    record: AuditRecord
    stored: bytes


@dataclass(frozen=True)
class ChainProblem:
    """The first thing wrong with a chain: which record, and what."""

    instance: str
    seq: int
    id: str
    kind: ProblemKind
    detail: str

    def describe(self) -> str:
        return f"instance {self.instance}: record seq {self.seq} (id {self.id}) {self.detail}"


@dataclass(frozen=True)
class ChainSummary:
    instance: str
    checked: int
    first_seq: int | None
    last_seq: int | None
    problem: ChainProblem | None


class ChainVerifier:
    """Checks one instance's records, fed in seq order, and stops at the first problem."""

    def __init__(
        self, instance: str, keys: AuditKeys, anchors: Mapping[int, Anchor] | None = None
    ) -> None:
        self.instance = instance
        self._keys = keys
        self._anchors = {
            seq: a
            for seq, a in (anchors or {}).items()
            if a.instance == instance and keys.signature_matches(a.message(), a.signature)
        }
        self._previous: AuditRecord | None = None
        self._jump: tuple[AuditRecord, ChainProblem] | None = None  # seq skipped ahead
        self._first_seq: int | None = None
        self.checked = 0
        self.problem: ChainProblem | None = None

    def check(self, record: AuditRecord) -> ChainProblem | None:
        if self.problem is not None:
            return self.problem
        if self._jump is not None:  # the record after a skip tells removed from reordered
            self.problem = self._reordered_or_removed(record, *self._jump)
            return self.problem
        self.problem = self._integrity(record) or self._linkage(record)
        if self.problem is not None and self.problem.detail.endswith("were removed"):
            self._jump, self.problem = (record, self.problem), None
        if self.problem is None:
            self._first_seq = self._first_seq or record.seq
            self._previous = record
            self.checked += 1
        return self.problem

    def _reordered_or_removed(
        self, record: AuditRecord, jumped: AuditRecord, removed: ChainProblem
    ) -> ChainProblem:
        if record.seq < jumped.seq:
            detail = f"is out of order: it comes before seq {record.seq}"
            return self._problem(jumped, "reordered", detail)
        return removed

    def summary(self) -> ChainSummary:
        if self.problem is None and self._jump is not None:
            self.problem = self._jump[1]
        last = self._previous.seq if self._previous is not None else None
        return ChainSummary(self.instance, self.checked, self._first_seq, last, self.problem)

    def _integrity(self, record: AuditRecord) -> ChainProblem | None:
        if record.instance != self.instance:
            return self._problem(record, "altered", "names another instance")
        if record_hash(record) != record.hash:
            return self._problem(record, "altered", "was altered: its hash does not match it")
        if not self._keys.signature_matches(record.hash, record.signature):
            detail = "was altered: its signature does not match (forged, or another key)"
            return self._problem(record, "altered", detail)
        return None

    def _linkage(self, record: AuditRecord) -> ChainProblem | None:
        previous = self._previous
        if previous is None:
            return self._start(record)
        if record.seq <= previous.seq:
            detail = f"is out of order: it comes after seq {previous.seq}"
            return self._problem(record, "reordered", detail)
        if record.seq != previous.seq + 1:
            missing = _seq_range(previous.seq + 1, record.seq - 1)
            detail = f"follows seq {previous.seq}: record(s) {missing} were removed"
            return self._problem(record, "removed", detail)
        if record.prev_hash != previous.hash:
            detail = f"does not link to seq {previous.seq}: a record was removed or replaced"
            return self._problem(record, "removed", detail)
        return None

    def _start(self, record: AuditRecord) -> ChainProblem | None:
        if record.seq == 1:
            if record.prev_hash == GENESIS_HASH:
                return None
            return self._problem(record, "altered", "is the first record but links to another")
        anchor = self._anchors.get(record.seq - 1)
        if anchor is not None and anchor.hash == record.prev_hash:
            return None
        missing = _seq_range(1, record.seq - 1)
        detail = f"starts the chain, but no retention anchor covers record(s) {missing}: removed"
        return self._problem(record, "removed", detail)

    def _problem(self, record: AuditRecord, kind: ProblemKind, detail: str) -> ChainProblem:
        return ChainProblem(self.instance, record.seq, record.id, kind, detail)


def verify_chain(
    instance: str,
    records: Iterable[AuditRecord],
    keys: AuditKeys,
    anchors: Mapping[int, Anchor] | None = None,
) -> ChainSummary:
    """Verify one instance's records in the order given; the summary names the first problem."""
    verifier = ChainVerifier(instance, keys, anchors)
    for record in records:
        if verifier.check(record) is not None:
            break
    return verifier.summary()


def _seq_range(first: int, last: int) -> str:
    return f"seq {first}" if first == last else f"seq {first}..{last}"
