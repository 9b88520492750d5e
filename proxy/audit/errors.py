"""Errors of the audit path: the statement is refused when its record cannot be made durable."""

from __future__ import annotations

from proxy.errors import ProxyError, UpstreamUnavailable


class AuditUnavailable(ProxyError):
    """Neither the audit store nor the local spool could take a statement's record, so the
    statement is refused (fail closed): nothing is served unaudited."""

    sqlstate = "58030"  # io_error
    http_status = 503

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "the statement was refused because it could not be audited: the audit store "
            "and the local audit spool are both unavailable"
        )


class AuditStoreUnavailable(UpstreamUnavailable):
    """The audit store (schema `palata_audit`) did not take a write or a read; the sink falls
    back to the spool. The message names the error type only, never a value."""


class AuditSpoolCorrupt(ProxyError):
    """The local spool holds a damaged line before its end: acknowledged records cannot be
    replayed, so the audit path refuses to start until an operator looks at the file."""

    sqlstate = "XX001"  # data_corrupted
