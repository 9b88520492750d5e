"""The statement allowlist: which kinds of statement reach resolution at all.

Checked right after parsing and before any name is resolved. Queries and writes go on to
resolution; SET/RESET/SHOW pass only for allowlisted settings (`search_path`, `role` and
`standard_conforming_strings` change how the proxy's analysis would read later statements, so
they are refused); transaction control and the resets connection pools send pass as they are.
Everything else is refused with a reason naming the construct (research §2.5.6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pglast import ast
from pglast.enums import TransactionStmtKind, VariableSetKind

from proxy.sql.errors import StatementDenied
from proxy.sql.model import Kind

# settings a client may change: they affect formatting and time limits, not name resolution
SETTABLE = frozenset(
    {
        "application_name",
        "datestyle",
        "extra_float_digits",
        "idle_in_transaction_session_timeout",
        "intervalstyle",
        "jit",
        "lock_timeout",
        "statement_timeout",
        "timezone",
        "bytea_output",
    }
)
# settings a client may read (drivers ask for some of these)
SHOWABLE = SETTABLE | {
    "client_encoding",
    "server_encoding",
    "server_version",
    "server_version_num",
    "standard_conforming_strings",
    "integer_datetimes",
    "transaction_isolation",
    "transaction isolation level",
    "default_transaction_isolation",
    "default_transaction_read_only",
    "transaction_read_only",
    "max_identifier_length",
}

_QUERY_KINDS: dict[type, Kind] = {
    ast.SelectStmt: Kind.SELECT,
    ast.InsertStmt: Kind.INSERT,
    ast.UpdateStmt: Kind.UPDATE,
    ast.DeleteStmt: Kind.DELETE,
}

_TRANSACTION_KINDS = frozenset(
    {
        TransactionStmtKind.TRANS_STMT_BEGIN,
        TransactionStmtKind.TRANS_STMT_START,
        TransactionStmtKind.TRANS_STMT_COMMIT,
        TransactionStmtKind.TRANS_STMT_ROLLBACK,
        TransactionStmtKind.TRANS_STMT_SAVEPOINT,
        TransactionStmtKind.TRANS_STMT_RELEASE,
        TransactionStmtKind.TRANS_STMT_ROLLBACK_TO,
    }
)

_DDL_PREFIXES = ("Create", "Alter", "Drop", "Rename", "Define", "Reassign", "View", "Index", "Rule")

_NAMES = {
    "DoStmt": "DO",
    "CopyStmt": "COPY",
    "ExplainStmt": "EXPLAIN",
    "CreateTableAsStmt": "CREATE TABLE AS / SELECT INTO",
    "ListenStmt": "LISTEN",
    "NotifyStmt": "NOTIFY",
    "PrepareStmt": "PREPARE (prepared statements arrive through the wire protocol)",
    "ExecuteStmt": "EXECUTE",
    "DeallocateStmt": "DEALLOCATE",
    "DeclareCursorStmt": "DECLARE (cursors are not supported)",
    "FetchStmt": "FETCH (cursors are not supported)",
    "CallStmt": "CALL",
    "LockStmt": "LOCK",
    "VacuumStmt": "VACUUM/ANALYZE",
    "GrantStmt": "GRANT/REVOKE",
    "GrantRoleStmt": "GRANT/REVOKE of roles",
    "MergeStmt": "MERGE",
    "TruncateStmt": "TRUNCATE",
    "AlterSystemStmt": "ALTER SYSTEM",
    "LoadStmt": "LOAD",
    "DiscardStmt": "DISCARD",
    "SecLabelStmt": "SECURITY LABEL",
    "CommentStmt": "COMMENT",
}


@dataclass(frozen=True, slots=True)
class Classified:
    """An allowed statement's kind, and the setting a SET/RESET/SHOW names."""

    kind: Kind
    setting: str | None = None


def classify(stmt: Any) -> Classified:
    """The kind of an allowed statement; every other statement is denied with a reason."""
    if type(stmt) in _QUERY_KINDS:
        return Classified(_QUERY_KINDS[type(stmt)])
    if isinstance(stmt, ast.VariableSetStmt):
        return _set(stmt)
    if isinstance(stmt, ast.VariableShowStmt):
        return _show(stmt)
    if isinstance(stmt, ast.TransactionStmt) and stmt.kind in _TRANSACTION_KINDS:
        return Classified(Kind.TRANSACTION)
    if isinstance(stmt, ast.UnlistenStmt) and stmt.conditionname is None:
        return Classified(Kind.SESSION)  # UNLISTEN *: part of a pool's connection reset
    if isinstance(stmt, ast.ClosePortalStmt) and stmt.portalname is None:
        return Classified(Kind.SESSION)  # CLOSE ALL: likewise
    raise StatementDenied(f"{_describe(stmt)} is not allowed")


def _set(stmt: Any) -> Classified:
    if stmt.kind == VariableSetKind.VAR_RESET_ALL:
        return Classified(Kind.SESSION, "all")
    name = (stmt.name or "").lower()
    if stmt.kind == VariableSetKind.VAR_SET_MULTI:
        if name == "transaction":  # SET TRANSACTION ISOLATION LEVEL / READ ONLY
            return Classified(Kind.TRANSACTION, name)
        raise StatementDenied(f"SET {name.upper()} is not allowed")
    if name in ("role", "session_authorization"):
        raise StatementDenied(f"SET {name.upper()} is not allowed: it changes the database role")
    if name not in SETTABLE:
        raise StatementDenied(f"SET {name} is not allowed: the setting is not on the allowlist")
    return Classified(Kind.SET, name)


def _show(stmt: Any) -> Classified:
    name = str(stmt.name).lower()
    if name not in SHOWABLE:
        raise StatementDenied(f"SHOW {name} is not allowed: the setting is not on the allowlist")
    return Classified(Kind.SHOW, name)


def _describe(stmt: Any) -> str:
    name = type(stmt).__name__
    if name in _NAMES:
        return _NAMES[name]
    if isinstance(stmt, ast.TransactionStmt):
        return f"transaction command {stmt.kind}"
    if name.startswith(_DDL_PREFIXES):
        return f"DDL ({name.removesuffix('Stmt')})"
    return f"the statement {name.removesuffix('Stmt')}"
