"""Small, pure helpers on PostgreSQL connection URIs (no I/O)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SECRET_PARAMETERS = {"password", "passfile", "sslpassword"}


def with_database(dsn: str, database: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


def redact_dsn(dsn: str) -> str:
    """The DSN with every password (in the user part or the query) replaced, safe to print."""
    parts = urlsplit(dsn)
    netloc = parts.netloc
    user, at, host = netloc.rpartition("@")
    if at and ":" in user:
        name, _, password = user.partition(":")
        netloc = f"{name}:***@{host}" if password else netloc
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key in SECRET_PARAMETERS for key, _ in query):
        redacted = [(k, "***" if k in SECRET_PARAMETERS else v) for k, v in query]
        return urlunsplit(parts._replace(netloc=netloc, query=urlencode(redacted, safe="/*")))
    return urlunsplit(parts._replace(netloc=netloc))
