"""Audit records back from their stored forms (pure): a `palata_audit.records` row read with
its columns named, and the JSON object of a spool line (`AuditRecord.to_json`); the forms
themselves are written by `record.stored_json` and `Chain.link`.

Reading back keeps every hashed value exactly, so a record read back hashes as it did when
it was chained: times are UTC, tuples come back as tuples, nested records as dataclasses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from proxy.audit.record import AuditRecord, ColumnAccess, GapFinding


def record_from_row(row: Mapping[str, Any]) -> AuditRecord:
    """A record from a row read with the columns named (jsonb columns as text)."""
    values = dict(row)
    for column in ("access", "gaps", "extra"):
        values[column] = json.loads(values[column])
    return record_from_json(values)


def record_from_json(data: Mapping[str, Any]) -> AuditRecord:
    at = data["at"]
    return AuditRecord(
        id=data["id"],
        instance=data["instance"],
        at=at if isinstance(at, datetime) else datetime.fromisoformat(at),
        door=data["door"],
        principal=data["principal"],
        app=data["app"],
        roles=_strings(data["roles"]),
        purpose=data["purpose"],
        client=data["client"],
        kind=data["kind"],
        sql=data["sql"],
        fingerprint=data["fingerprint"],
        params=_strings(data["params"]),
        access=tuple(ColumnAccess(**item) for item in data["access"]),
        row_filters=_strings(data["row_filters"]),
        rows=data["rows"],
        duration_ms=data["duration_ms"],
        outcome=data["outcome"],
        sqlstate=data["sqlstate"],
        reason=data["reason"],
        subjects=_strings(data["subjects"]),
        subject_count=data["subject_count"],
        gaps=tuple(GapFinding(**item) for item in data["gaps"]),
        seq=data["seq"],
        prev_hash=data["prev_hash"],
        hash=data["hash"],
        signature=data["signature"],
        extra=dict(data["extra"]),
    )


def _strings(values: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(values or ())
