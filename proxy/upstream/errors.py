"""Errors from the database, converted once into project errors.

The SQLSTATE is kept, so clients can act on it. For principals that see masked data the message
is scrubbed: DETAIL, HINT and CONTEXT are dropped, and for the classes whose MESSAGE can quote
row values (data exceptions, integrity violations, raised exceptions, internal errors) the
message is replaced by a generic one for its class, because `invalid input syntax for type date:
"<name>"` or `Key (iin)=(...) already exists` would otherwise carry personal data out.
"""

from __future__ import annotations

import asyncpg

from proxy.errors import ProxyError

# SQLSTATE classes whose MESSAGE may quote values from rows
VALUE_BEARING_CLASSES = {
    "22": "a data exception occurred while evaluating the statement",
    "23": "the statement violates an integrity constraint",
    "P0": "the statement raised an exception",
    "XX": "the database reported an internal error",
    "44": "the statement violates a check option",
}

HTTP_STATUS_BY_CLASS = {
    "0A": 400,
    "21": 400,
    "22": 400,
    "23": 409,
    "2B": 400,
    "34": 400,
    "3D": 400,
    "3F": 400,
    "40": 409,
    "42": 400,
    "44": 409,
    "53": 503,
    "54": 400,
    "55": 409,
    "57": 503,
    "08": 503,
}


class UpstreamError(ProxyError):
    """The database refused or failed the statement; carries the database's SQLSTATE."""

    def __init__(self, message: str, sqlstate: str, http_status: int) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.http_status = http_status


class StatementTimeout(ProxyError):
    sqlstate = "57014"  # query_canceled
    http_status = 504


def status_for(sqlstate: str) -> int:
    """The HTTP status of a database error: what the audit tells refusals from failures by."""
    return 403 if sqlstate == "42501" else HTTP_STATUS_BY_CLASS.get(sqlstate[:2], 502)


def scrubbed_message(sqlstate: str, message: str) -> str:
    """The message, or its class's generic one where a message can quote a row's value."""
    return VALUE_BEARING_CLASSES.get(sqlstate[:2], message)


def from_postgres_error(exc: asyncpg.PostgresError, *, scrub: bool) -> UpstreamError:
    sqlstate = str(getattr(exc, "sqlstate", None) or "XX000")
    status = status_for(sqlstate)
    message = str(getattr(exc, "message", None) or type(exc).__name__)
    if scrub:
        message = scrubbed_message(sqlstate, message)
    else:
        detail = getattr(exc, "detail", None)
        message = f"{message} ({detail})" if detail else message
    return UpstreamError(f"database error: {message}", sqlstate, status)
