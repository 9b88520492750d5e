"""Refusals of the wire door: each carries the SQLSTATE the PostgreSQL client will see.

Raised while framing, decoding and authenticating, before any SQL reaches the pipeline; the
session turns them into an ErrorResponse and closes the connection. Messages name the message
type or the rule that failed, never bytes, SQL text or passwords from the wire.
"""

from __future__ import annotations

from proxy.errors import AuthenticationFailed, BadRequest, ProxyError


class ProtocolViolation(BadRequest):
    """A message is malformed: bad length, missing terminator, trailing bytes, invalid UTF-8."""

    sqlstate = "08P01"  # protocol_violation


class InvalidAuthorization(AuthenticationFailed):
    """The login itself is not acceptable (no user name, a replication connection)."""

    sqlstate = "28000"  # invalid_authorization_specification


class InvalidPassword(AuthenticationFailed):
    """The password exchange failed; the message never says whether the user exists."""

    sqlstate = "28P01"  # invalid_password

    def __init__(self, user: str) -> None:
        super().__init__(f'password authentication failed for user "{user}"')


class FeatureNotSupported(ProxyError):
    """A protocol feature the door refuses (FunctionCall, other encodings, old protocols)."""

    sqlstate = "0A000"  # feature_not_supported
    http_status = 400


class StatementExists(ProxyError):
    """A Parse names a statement the session holds already."""

    sqlstate = "42P05"  # duplicate_prepared_statement
    http_status = 400


class MultipleStatements(ProxyError):
    """A Parse holds several statements."""

    sqlstate = "42601"  # syntax_error, as PostgreSQL answers it
    http_status = 400


class DuplicateCursor(ProxyError):
    sqlstate = "42P03"  # duplicate_cursor
    http_status = 400


class UnknownName(ProxyError):
    """FETCH, MOVE or EXECUTE names a cursor or statement the session did not declare."""

    sqlstate = "34000"  # invalid_cursor_name
    http_status = 400


class ResultMismatch(ProxyError):
    """Rows came back in another shape than the planned statement's: fail closed."""

    sqlstate = "XX000"
