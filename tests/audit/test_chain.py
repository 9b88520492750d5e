"""The chain: records linked and signed in order; verify names the first altered, removed or
reordered record, and accepts a chain that starts at a signed retention anchor."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta, timezone

import pytest

from proxy.audit.chain import GENESIS_HASH, Chain, ChainTail, sign_anchor, verify_chain
from proxy.audit.keys import AuditKeys
from proxy.audit.record import AuditRecord, stored_json
from tests.audit.support import KEYS, awkward_record, make_record

Records = list[AuditRecord]


def chained(count: int, tail: ChainTail = ChainTail()) -> Records:  # noqa: B008
    chain = Chain("test-1", KEYS, tail)
    return [chain.append(make_record(n)) for n in range(tail.seq + 1, tail.seq + count + 1)]


def test_records_are_numbered_and_linked_from_the_tail() -> None:
    records = chained(3)
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == GENESIS_HASH
    assert [r.prev_hash for r in records[1:]] == [r.hash for r in records[:-1]]
    assert verify_chain("test-1", records, KEYS).problem is None


@pytest.mark.parametrize("make", [make_record, awkward_record], ids=["plain", "awkward"])
def test_the_stored_form_is_the_records_json(make: Callable[[int], AuditRecord]) -> None:
    linked = Chain("test-1", KEYS).link(make(1))
    assert json.loads(linked.stored) == json.loads(stored_json(linked.record))
    assert verify_chain("test-1", [linked.record], KEYS).problem is None


def test_the_time_is_hashed_in_utc() -> None:
    almaty = timezone(timedelta(hours=5))
    record = make_record(1)
    record = replace(record, at=record.at.astimezone(almaty))
    assert Chain("test-1", KEYS).append(record).at.utcoffset() == timedelta(0)


def _alter_rows(records: Records) -> Records:
    records[2] = replace(records[2], rows=(records[2].rows or 0) + 1)
    return records


def _alter_and_rehash(records: Records) -> Records:
    from proxy.audit.chain import record_hash

    altered = replace(records[2], principal="dpo")
    records[2] = replace(altered, hash=record_hash(altered))
    return records


def _swap(records: Records) -> Records:
    records[2], records[3] = records[3], records[2]
    return records


def _replace_with_foreign(records: Records) -> Records:
    foreign = Chain("test-1", KEYS, ChainTail(2, "f" * 64)).append(make_record(3))
    records[2] = foreign
    return records


CASES: list[tuple[str, Callable[[Records], Records], int, str, str]] = [
    ("field altered", _alter_rows, 3, "altered", "hash does not match"),
    ("altered, hash recomputed", _alter_and_rehash, 3, "altered", "signature"),
    ("record removed", lambda rs: rs[:2] + rs[3:], 4, "removed", "seq 3 were removed"),
    ("two removed", lambda rs: rs[:1] + rs[3:], 4, "removed", "seq 2..3 were removed"),
    ("reordered", _swap, 4, "reordered", "comes before seq 3"),
    ("last removed", lambda rs: rs[:4] + rs[5:], 6, "removed", "seq 5 were removed"),
    ("first removed", lambda rs: rs[1:], 2, "removed", "no retention anchor"),
    ("replaced by a foreign link", _replace_with_foreign, 3, "removed", "does not link"),
]


@pytest.mark.parametrize(
    ("name", "tamper", "seq", "kind", "detail"), CASES, ids=[c[0] for c in CASES]
)
def test_verify_names_the_first_bad_record(
    name: str, tamper: Callable[[Records], Records], seq: int, kind: str, detail: str
) -> None:
    summary = verify_chain("test-1", tamper(chained(6)), KEYS)
    assert summary.problem is not None
    assert (summary.problem.seq, summary.problem.kind) == (seq, kind)
    assert detail in summary.problem.detail
    assert f"record seq {seq}" in summary.problem.describe()


def test_another_key_fails_on_the_first_record() -> None:
    other = AuditKeys(b"another-audit-key-0123456789abcdef-xyz")
    summary = verify_chain("test-1", chained(3), other)
    assert summary.problem is not None and summary.problem.seq == 1
    assert "signature" in summary.problem.detail


@pytest.mark.parametrize(
    ("anchor_key", "anchor_seq", "ok"),
    [(KEYS, 10, True), (AuditKeys(b"forged-anchor-key-0123456789abcdef-xyz"), 10, False),
     (KEYS, 9, False)],
    ids=["signed anchor", "forged anchor", "anchor elsewhere"],
)  # fmt: skip
def test_a_chain_may_start_at_a_signed_anchor(
    anchor_key: AuditKeys, anchor_seq: int, ok: bool
) -> None:
    everything = chained(15)
    kept = everything[10:]  # seq 11..15; seq 1..10 dropped by retention
    dropped = everything[anchor_seq - 1]
    anchor = sign_anchor(anchor_key, "test-1", dropped.seq, dropped.hash)
    summary = verify_chain("test-1", kept, KEYS, {anchor.seq: anchor})
    assert (summary.problem is None) == ok
    if ok:
        assert (summary.checked, summary.first_seq, summary.last_seq) == (5, 11, 15)


def test_a_record_of_another_instance_is_refused() -> None:
    with pytest.raises(ValueError, match="another instance"):
        Chain("test-2", KEYS).append(make_record(1))
