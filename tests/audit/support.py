"""Records and keys for the audit tests (no personal data: synthetic names and fingerprints)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from proxy.audit.keys import AuditKeys
from proxy.audit.record import AuditRecord, ColumnAccess, GapFinding

KEY = b"audit-test-key-0123456789abcdef-0123456789"
KEYS = AuditKeys(KEY)
START = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def make_record(n: int, instance: str = "test-1", at: datetime | None = None) -> AuditRecord:
    """The n-th statement of a synthetic workload, unchained."""
    return AuditRecord(
        id=f"{instance}-{n:06d}",
        instance=instance,
        at=at or START + timedelta(milliseconds=n),
        door="http",
        principal="collector",
        app="collection-app" if n % 2 else None,
        roles=("collector",),
        purpose="debt_collection",
        client="10.0.0.7",
        kind="select",
        sql="SELECT id, iin FROM debtors WHERE id = $1",
        fingerprint="a1b2c3",
        params=(KEYS.param_fingerprint(n),),
        access=(
            ColumnAccess("public.debtors", "id", "clear"),
            ColumnAccess("public.debtors", "iin", "masked", "partial"),
        ),
        row_filters=("public.debtors",),
        rows=n % 3,
        duration_ms=0.25 + n / 1000,
        outcome="served",
        sqlstate=None,
        reason=None,
        subjects=(KEYS.subject_hmac("public.debtors", str(n)),),
        subject_count=1,
        gaps=(GapFinding("public.debtors.note", "PHONE_NUMBER", 1),) if n % 5 == 0 else (),
        extra={"n": n},
    )


def awkward_record(n: int, instance: str = "test-1") -> AuditRecord:
    """A record whose text needs escaping and whose optional fields vary: what a real refusal
    with a Russian reason, a multi-line statement and nested extras looks like."""
    return replace(
        make_record(n, instance),
        app=None,
        purpose=None,
        client=None,
        sql="SELECT \"ФИО\", 'a\\b' FROM t\nWHERE x = $1 -- \u2028",
        reason='отказано: столбец "iin" скрыт\tдля роли\r\n«коллектор»',
        sqlstate="42501",
        outcome="denied",
        rows=None,
        subject_count=None,
        duration_ms=0.1 + 0.2,
        extra={"nested": {"list": [1, 2.5, None, "ё"]}, "big": 2**53},
    )
