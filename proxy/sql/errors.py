"""Refusals of the SQL analysis: each carries the SQLSTATE a PostgreSQL client would see.

The analysis sits between a door and the policy: it refuses what it cannot parse, what is too big
to parse safely, names it cannot resolve and constructs it will not analyse. Messages name the
construct (a statement kind, a function, a relation) and never quote literals from the SQL, which
may hold personal data.
"""

from __future__ import annotations

from proxy.errors import ProxyError


class SqlRejected(ProxyError):
    """The statement is refused before any policy decision; the subclass says why."""

    sqlstate = "42501"  # insufficient_privilege
    http_status = 403


class StatementDenied(SqlRejected):
    """A construct outside the allowlists (statement kind, function, setting, syntax)."""


class SqlSyntaxError(SqlRejected):
    """PostgreSQL's parser rejected the text; the message is the parser's own."""

    sqlstate = "42601"  # syntax_error
    http_status = 400


class StatementTooLong(SqlRejected):
    """The text is longer than the configured bound; it is not even parsed."""

    sqlstate = "54000"  # program_limit_exceeded
    http_status = 413


class StatementTooComplex(SqlRejected):
    """The parse tree is too deep or too large to analyse without risking the process."""

    sqlstate = "54001"  # statement_too_complex
    http_status = 400


class UndefinedRelation(SqlRejected):
    """A relation that is neither in the catalogue snapshot nor a CTE in scope."""

    sqlstate = "42P01"  # undefined_table
    http_status = 400


class UndefinedColumn(SqlRejected):
    """A column reference that matches no column of any relation in scope."""

    sqlstate = "42703"  # undefined_column
    http_status = 400


class AmbiguousColumn(SqlRejected):
    """A column reference that matches columns of several relations at the same level."""

    sqlstate = "42702"  # ambiguous_column
    http_status = 400
