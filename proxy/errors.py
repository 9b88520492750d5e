"""Project errors: every failure inside the proxy is one of these.

Each error carries the SQLSTATE a PostgreSQL client would see and the HTTP status the HTTP door
answers with, so both doors turn any failure into the same refusal. Foreign exceptions are
converted once, at the boundary that meets them. Messages are written for a person who must act
on them and never contain personal data.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote


class ProxyError(Exception):
    """Base of every error the proxy raises on purpose."""

    sqlstate = "XX000"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.audit_id: str | None = None  # the audit record of the refused statement, once written


class ConfigError(ProxyError):
    """The configuration is missing, malformed or inconsistent; raised before anything starts."""

    sqlstate = "F0000"  # config_file_error


class BadRequest(ProxyError):
    """The request itself is malformed (not JSON, wrong field types)."""

    sqlstate = "08P01"  # protocol_violation
    http_status = 400


class RequestTooLarge(ProxyError):
    """The request is larger than a configured bound."""

    sqlstate = "54000"  # program_limit_exceeded
    http_status = 413


class AuthenticationFailed(ProxyError):
    """No credentials, or credentials that identify no principal."""

    sqlstate = "28000"  # invalid_authorization_specification
    http_status = 401


class AccessDenied(ProxyError):
    """A policy decision refused the request; the message names the rule."""

    sqlstate = "42501"  # insufficient_privilege
    http_status = 403
    # schema.table of each table the refused statement named, when the analysis got that far
    # (the audit record keeps them: table names are not personal data)
    tables: tuple[str, ...] = ()


class PrincipalSuspended(AccessDenied):
    """The principal is suspended (a detection rule's measure, or a security officer's): every
    statement is refused until a security role lifts the suspension."""

    def __init__(
        self,
        principal: str,
        since: datetime,
        alert_id: str | None = None,
        rule: str | None = None,
        suspension_id: str | None = None,
    ) -> None:
        by = f" by alert {alert_id}" if alert_id else ""
        by += f" (rule {rule})" if rule else ""
        super().__init__(
            f"principal '{principal}' is suspended since {since.isoformat()}{by}; every "
            "statement is refused until a security officer lifts it with "
            f"POST /v1/suspensions/{quote(principal, safe='')}/lift"
        )
        self.suspension_id = suspension_id


class UpstreamUnavailable(ProxyError):
    """A database (the upstream, or the embedded one) cannot be reached or started."""

    sqlstate = "08006"  # connection_failure
    http_status = 503


def error_kind(exc: BaseException) -> str:
    """Kind and SQLSTATE of any error, never its message (which could quote data): for logs."""
    sqlstate = exc.sqlstate if isinstance(exc, ProxyError) else getattr(exc, "sqlstate", None)
    return f"{type(exc).__name__}, SQLSTATE {sqlstate}" if sqlstate else type(exc).__name__
