"""Guarded parsing: the first step of analysis, before any statement is looked at.

`pglast.parse_sql` builds Python objects recursively and kills the process with a segmentation
fault on expressions of ~24,000 terms; `parse_sql_json` fails cleanly (stack depth) on those. So
the text is bounded in length, parsed to JSON first, the JSON tree is measured iteratively, and
only a tree within bounds is parsed again into the AST that analysis and rewriting use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pglast
from pglast.parser import ParseError, fingerprint, parse_sql_json

from proxy.sql.errors import SqlSyntaxError, StatementTooComplex, StatementTooLong


@dataclass(frozen=True, slots=True)
class SqlLimits:
    """Bounds on what is parsed; analysis recursion stays far below Python's limit within them."""

    max_length: int = 100_000
    max_nodes: int = 50_000
    max_depth: int = 100


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """One statement of the request: its AST and its own text span in the request."""

    stmt: Any
    text: str  # the client's text: may hold personal data, never log it
    fingerprint: str  # pglast's fingerprint: equal for statements differing only in literals


def parse_statements(sql: str, limits: SqlLimits) -> tuple[ParsedStatement, ...]:
    """Parse `sql` into its statements, refusing text that is too long, too big or invalid."""
    if len(sql) > limits.max_length:
        raise StatementTooLong(
            f"statement is {len(sql)} characters long; the limit is {limits.max_length}"
        )
    tree = _parse_json(sql)
    _check_shape(tree, limits)
    try:
        raw = pglast.parse_sql(sql)
    except ParseError as exc:  # the JSON parse accepted it, so this is not expected
        raise SqlSyntaxError(str(exc.args[0])) from None
    return tuple(_statement(sql, stmt) for stmt in raw)


def _parse_json(sql: str) -> Any:
    try:
        text = parse_sql_json(sql)
    except ParseError as exc:
        message = str(exc.args[0]) if exc.args else "could not parse the statement"
        if "stack depth" in message:
            raise StatementTooComplex("statement is nested too deeply to analyse") from None
        raise SqlSyntaxError(message) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise StatementTooComplex("statement is nested too deeply to analyse") from None


def _check_shape(tree: Any, limits: SqlLimits) -> None:
    """Count parse nodes and their nesting without recursion (the tree may be very deep)."""
    nodes = 0
    stack: list[tuple[Any, int]] = [(tree, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, list):
            stack.extend((item, depth) for item in value)
            continue
        if not isinstance(value, dict):
            continue
        if _is_node(value):
            nodes += 1
            depth += 1
            if depth > limits.max_depth:
                raise StatementTooComplex(f"statement nests deeper than {limits.max_depth} levels")
            if nodes > limits.max_nodes:
                raise StatementTooComplex(f"statement has more than {limits.max_nodes} parts")
        stack.extend((item, depth) for item in value.values())


def _is_node(value: dict[str, Any]) -> bool:
    # libpg_query's JSON wraps every node as {"NodeName": {...fields...}}
    if len(value) != 1:
        return False
    key = next(iter(value))
    return key[:1].isupper()


def _statement(sql: str, raw: Any) -> ParsedStatement:
    # pglast reports statement offsets in characters of the Python string
    start = raw.stmt_location or 0
    end = start + raw.stmt_len if raw.stmt_len else len(sql)
    text = sql[start:end].strip()
    return ParsedStatement(stmt=raw.stmt, text=text, fingerprint=fingerprint(text))
