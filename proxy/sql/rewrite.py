"""The rewrite primitive: splice replacement subqueries in place of protected table references.

Sits after the policy decision and before the statement goes upstream: the policy layer says
which catalogue tables to replace and with what (a masking subquery carrying its own row filter
and `OFFSET 0` fence); this module finds the references that resolve to those tables (never a
CTE of the same name: only `BaseRef`s the analysis found qualify), swaps each for a sub-select
under the user's alias, and deparses the result. The client's text is never forwarded. A replaced
table under TABLESAMPLE is refused: a subquery cannot be sampled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pglast
from pglast import ast
from pglast.stream import RawStream

from proxy.sql.errors import StatementDenied
from proxy.sql.model import BaseRef, StatementAnalysis

# given the alias the reference must keep, the replacement: a RangeSubselect or SELECT text
Replacement = Callable[[str], "ast.RangeSubselect | str"]


def rewrite(
    stmt: Any,
    analysis: StatementAnalysis,
    replacements: Mapping[tuple[str, str], Replacement],
) -> str:
    """The SQL text of `stmt` with each analysed reference to a replaced table swapped.

    The tree is changed in place and restored before returning (copying it costs more than the
    analysis); no await happens in between, so a cached tree is never seen half rewritten."""
    targets = {
        ref.location: ref for ref in analysis.base_refs if (ref.schema, ref.table) in replacements
    }
    undo: list[tuple[Any, str, Any]] = []
    try:
        found = _replace_in(stmt, _Splice(targets, replacements, undo))
        if found != set(targets):
            # a reference the analysis saw but the walk did not reach: never forward it as is
            raise StatementDenied("could not rewrite every reference to a protected table")
        return str(RawStream()(stmt))
    finally:
        for node, name, value in reversed(undo):
            setattr(node, name, value)


@dataclass(frozen=True, slots=True)
class _Splice:
    targets: Mapping[int, BaseRef]
    replacements: Mapping[tuple[str, str], Replacement]
    undo: list[tuple[Any, str, Any]]


def _replace_in(node: Any, splice: _Splice) -> set[int]:
    found: set[int] = set()
    for name in _fields(node):
        value = getattr(node, name)
        new = _swap(value, splice, found)
        if new is not value:
            splice.undo.append((node, name, value))
            setattr(node, name, new)
    return found


def _swap(value: Any, splice: _Splice, found: set[int]) -> Any:
    if isinstance(value, ast.RangeTableSample):
        _refuse_sampled(value, splice)
    ref = splice.targets.get(_location(value)) if isinstance(value, ast.RangeVar) else None
    if ref is not None:
        found.add(ref.location)
        return _subselect(value, ref, splice.replacements[(ref.schema, ref.table)])
    if isinstance(value, ast.Node):
        found |= _replace_in(value, splice)
    elif isinstance(value, tuple):  # node lists, and lists of lists (VALUES rows, functions)
        items = tuple(_swap(item, splice, found) for item in value)
        if any(new is not old for new, old in zip(items, value, strict=True)):
            return items
    return value


def _refuse_sampled(sample: Any, splice: _Splice) -> None:
    # a masking subquery cannot carry TABLESAMPLE, and sampling the table under it would skip
    # the masks: a sampled table must be one the principal sees whole and in clear
    relation = sample.relation
    ref = splice.targets.get(_location(relation)) if isinstance(relation, ast.RangeVar) else None
    if ref is not None:
        raise StatementDenied(
            f"TABLESAMPLE is not allowed on {ref.schema}.{ref.table}: this principal sees it "
            "through masks or a row filter, and a sample cannot be taken through them; query "
            "the table without TABLESAMPLE"
        )


def _subselect(ref_node: Any, ref: BaseRef, replacement: Replacement) -> Any:
    made = replacement(ref.alias)
    if not isinstance(made, str):
        return made
    colnames = ref_node.alias.colnames if ref_node.alias is not None else None
    alias = ast.Alias(aliasname=ref.alias, colnames=colnames)
    return ast.RangeSubselect(lateral=False, subquery=_parse_select(made), alias=alias)


@lru_cache(maxsize=1024)
def _parse_select(text: str) -> Any:
    # replacement texts repeat (one per role and table); the parsed node is only ever read
    parsed = pglast.parse_sql(text)
    if len(parsed) != 1 or not isinstance(parsed[0].stmt, ast.SelectStmt):
        raise StatementDenied("a replacement must be exactly one SELECT")
    return parsed[0].stmt


def _location(node: Any) -> int:
    return -1 if node.location is None else int(node.location)


def _fields(node: Any) -> tuple[str, ...]:
    return tuple(getattr(type(node), "__slots__", ()))
