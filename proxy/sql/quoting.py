"""Quoting SQL identifiers that the proxy writes itself (masking subqueries, grants, SET ROLE)."""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """A double-quoted SQL identifier (quotes doubled), safe for any name."""
    return '"' + name.replace('"', '""') + '"'


def quote_qualified(schema: str, name: str) -> str:
    """`"schema"."name"`."""
    return f"{quote_ident(schema)}.{quote_ident(name)}"
