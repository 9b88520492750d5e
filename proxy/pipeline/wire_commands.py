"""SQL that names prepared statements and cursors, which only the wire door serves (pure).

`DECLARE … CURSOR FOR q` and `PREPARE … AS q` hold a query: `q` is planned like any statement
and the command is written again around its rewritten text, so a cursor or a prepared statement
never runs unanalysed SQL (PostgreSQL Anonymizer's cursor bypass, fixed in its 2.2). `FETCH`,
`MOVE`, `CLOSE`, `EXECUTE` and `DEALLOCATE` only name what was planned before: the session looks
the name up (`WireCommand`) and refuses a name it does not know. `EXECUTE`'s parameters must be
constants, since they are expressions the server evaluates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from pglast import ast
from pglast.stream import RawStream

from proxy.errors import AccessDenied
from proxy.pipeline.plan import StatementPlan, plain_plan
from proxy.sql.guard import ParsedStatement
from proxy.sql.quoting import quote_ident

Verb = Literal["declare", "prepare", "fetch", "move", "close", "execute", "deallocate"]
COMMAND_TYPES = (
    ast.DeclareCursorStmt,
    ast.PrepareStmt,
    ast.FetchStmt,
    ast.ClosePortalStmt,
    ast.ExecuteStmt,
    ast.DeallocateStmt,
)
# DECLARE's option bits (PostgreSQL's parsenodes.h), in the order the grammar writes them
CURSOR_BINARY, CURSOR_SCROLL, CURSOR_NO_SCROLL, CURSOR_INSENSITIVE = 0x1, 0x2, 0x4, 0x8
CURSOR_HOLD = 0x20
CONSTANTS = (ast.A_Const, ast.ParamRef)


@dataclass(frozen=True)
class WireCommand:
    verb: Verb
    name: str | None  # None: ALL
    binary: bool = False  # DECLARE BINARY: the cursor's rows come in binary
    holdable: bool = False  # DECLARE … WITH HOLD: the cursor outlives its transaction
    held: str | None = None  # the held query's text (what the audit names its runs by)


@dataclass(frozen=True)
class PlannedCommand:
    command: WireCommand
    plan: StatementPlan  # of the held query (DECLARE, PREPARE), or the command's own


PlanQuery = Callable[[ParsedStatement], StatementPlan]
CheckType = Callable[[Any], None]  # refuses a type name that is not a built-in type


def plan_command(
    parsed: ParsedStatement, plan_query: PlanQuery, check_type: CheckType
) -> PlannedCommand:
    """The command with its SQL to relay; `plan_query` plans a held query, `check_type`
    refuses a PREPARE parameter type that is not built in (its input function would run)."""
    stmt = parsed.stmt
    if isinstance(stmt, ast.DeclareCursorStmt):
        return _declare(parsed, stmt, plan_query)
    if isinstance(stmt, ast.PrepareStmt):
        for type_name in stmt.argtypes or ():
            check_type(type_name)
        return _prepare(parsed, stmt, plan_query)
    if isinstance(stmt, ast.FetchStmt):
        verb: Verb = "move" if stmt.ismove else "fetch"
        return _named(WireCommand(verb, stmt.portalname), stmt)
    if isinstance(stmt, ast.ClosePortalStmt):
        return _named(WireCommand("close", stmt.portalname), stmt)
    if isinstance(stmt, ast.ExecuteStmt):
        if any(not isinstance(p, CONSTANTS) for p in stmt.params or ()):
            raise AccessDenied("EXECUTE takes constants or parameters only, not expressions")
        return _named(WireCommand("execute", stmt.name), stmt)
    if isinstance(stmt, ast.DeallocateStmt):
        return _named(WireCommand("deallocate", None if stmt.isall else stmt.name), stmt)
    raise AccessDenied(f"{type(stmt).__name__} is not a wire command")


def _declare(parsed: ParsedStatement, stmt: Any, plan_query: PlanQuery) -> PlannedCommand:
    if not isinstance(stmt.query, ast.SelectStmt):
        raise AccessDenied("a cursor is declared for a SELECT only")
    plan = plan_query(ParsedStatement(stmt.query, parsed.text, parsed.fingerprint))
    options = stmt.options or 0
    words = [f"DECLARE {quote_ident(stmt.portalname)}"]
    words += [w for bit, w in _CURSOR_WORDS if options & bit]
    words.append("CURSOR WITH HOLD FOR" if options & CURSOR_HOLD else "CURSOR FOR")
    binary, holdable = bool(options & CURSOR_BINARY), bool(options & CURSOR_HOLD)
    command = WireCommand("declare", stmt.portalname, binary, holdable, RawStream()(stmt.query))
    return PlannedCommand(command, _around(plan, " ".join(words) + " " + plan.sql))


_CURSOR_WORDS = (
    (CURSOR_BINARY, "BINARY"),
    (CURSOR_INSENSITIVE, "INSENSITIVE"),
    (CURSOR_NO_SCROLL, "NO SCROLL"),
    (CURSOR_SCROLL, "SCROLL"),
)


def _prepare(parsed: ParsedStatement, stmt: Any, plan_query: PlanQuery) -> PlannedCommand:
    plan = plan_query(ParsedStatement(stmt.query, parsed.text, parsed.fingerprint))
    types = ", ".join(RawStream()(t) for t in stmt.argtypes or ())
    head = f"PREPARE {quote_ident(stmt.name)}" + (f" ({types})" if types else "")
    command = WireCommand("prepare", stmt.name, held=RawStream()(stmt.query))
    return PlannedCommand(command, _around(plan, f"{head} AS {plan.sql}"))


def _around(plan: StatementPlan, sql: str) -> StatementPlan:
    """The held query's plan, with the command's text to relay (it returns no rows itself)."""
    return replace(plan, sql=sql, is_query=False, row_bounded=False)


def _named(command: WireCommand, stmt: Any) -> PlannedCommand:
    plan = plain_plan(RawStream()(stmt), command.verb, is_query=command.verb == "fetch")
    return PlannedCommand(command, plan)
