"""Audit records as lines for other systems: JSON lines, and syslog (RFC 5424) for a SIEM.

Pure: records in, text out. A JSON line is exactly `AuditRecord.to_json()` with sorted keys, so
an exported trail can be verified record by record. A syslog line carries the who, what and how
it ended as structured data under the SD-ID `palata@32473` and a short summary as its message;
it holds nothing the record does not (subjects only as their count).

    <85>1 2026-03-01T09:15:02.123456Z host palata-proxy - served [palata@32473 instance="..."
        seq="12" principal="collector" purpose="debt_collection" kind="select" outcome="served"
        rows="2" subjects="2"] collector (collector) select served: 2 rows, 2 subjects
"""

from __future__ import annotations

import json
import re
import socket
import unicodedata
from collections.abc import Iterable
from datetime import UTC
from typing import Literal

from proxy.audit.record import AuditRecord

Facility = Literal["authpriv", "local0"]
ExportFormat = Literal["jsonl", "syslog"]
FACILITIES: dict[str, int] = {"authpriv": 10, "local0": 16}
SEVERITIES = {"served": 5, "denied": 4, "failed": 3}  # notice, warning, error
APP_NAME = "palata-proxy"
SD_ID = "palata@32473"  # 32473: the enterprise number RFC 5612 reserves for documentation
NILVALUE = "-"
MAX_HOSTNAME = 255
_NOT_PRINTUSASCII = re.compile(r"[^\x21-\x7e]")


def jsonl_line(record: AuditRecord) -> str:
    """One JSON object, sorted keys, UTF-8 text (no ASCII escapes), no newline."""
    return json.dumps(record.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def syslog_line(record: AuditRecord, hostname: str, facility: Facility = "authpriv") -> str:
    """One RFC 5424 message (without framing): header, one SD-ELEMENT, a summary."""
    pri = FACILITIES[facility] * 8 + SEVERITIES.get(record.outcome, 3)
    header = " ".join(
        (
            f"<{pri}>1",
            syslog_timestamp(record),
            header_field(hostname, MAX_HOSTNAME),
            APP_NAME,
            NILVALUE,  # PROCID: the instance is in the structured data
            header_field(record.outcome, 32),
        )
    )
    return f"{header} {structured_data(record)} {summary(record)}"


def syslog_timestamp(record: AuditRecord) -> str:
    """RFC 3339 in UTC with microseconds (the RFC allows at most six fraction digits)."""
    moment = record.at.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds") + "Z"


def header_field(value: str, limit: int) -> str:
    """A header field: printable US-ASCII only, bounded, NILVALUE when nothing is left."""
    cleaned = _NOT_PRINTUSASCII.sub("", value)[:limit]
    return cleaned or NILVALUE


def structured_data(record: AuditRecord) -> str:
    params = {
        "id": record.id,
        "instance": record.instance,
        "seq": str(record.seq),
        "door": record.door,
        "principal": record.principal,
        "purpose": record.purpose,
        "kind": record.kind,
        "outcome": record.outcome,
        "sqlstate": record.sqlstate,
        "rows": None if record.rows is None else str(record.rows),
        "subjects": _subject_count(record),
    }
    pairs = [f'{name}="{param_value(value)}"' for name, value in params.items() if value]
    return f"[{SD_ID} {' '.join(pairs)}]"


def param_value(value: str) -> str:
    """RFC 5424 section 6.3.3: `"`, `\\` and `]` escaped with a backslash; control characters
    (which would break a line-oriented transport) replaced by a space."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")
    return without_controls(escaped)


def summary(record: AuditRecord) -> str:
    """A line a person reads in the SIEM: who, as what, did what, how it ended."""
    roles = ",".join(record.roles) or "no role"
    counted = [] if record.rows is None else [f"{record.rows} rows"]
    counted.append(f"{_subject_count(record)} subjects")
    tables = sorted({access.table for access in record.access})
    if tables:
        counted.append("tables " + ", ".join(tables))
    text = f"{record.principal} ({roles}) {record.kind} {record.outcome}: {'; '.join(counted)}"
    if record.sqlstate:
        text += f" [{record.sqlstate}]"
    return without_controls(text)


def _subject_count(record: AuditRecord) -> str:
    """The number of distinct subjects, or `unknown` when the statement's shape hid them."""
    return "unknown" if record.subject_count is None else str(record.subject_count)


def without_controls(text: str) -> str:
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)


def local_hostname() -> str:
    return header_field(socket.gethostname(), MAX_HOSTNAME)


def export_lines(records: Iterable[AuditRecord], fmt: ExportFormat, hostname: str) -> Iterable[str]:
    """Each record as one line of `fmt`, newline included."""
    for record in records:
        line = jsonl_line(record) if fmt == "jsonl" else syslog_line(record, hostname)
        yield line + "\n"
