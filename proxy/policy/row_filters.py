"""Row filters: which rows of a table a role may see, from the principal's attributes.

Part of the decide step. `row_filters.toml` gives, per role and table, SQL boolean expressions
over the table's columns in which `principal('name')` stands for an attribute of the requesting
principal. Each is parsed with pglast when the engine is built; at decision time `render` puts
the attribute values in as A_Const literal nodes (never by pasting text), and the SQL rewriter
places the result inside the masking subquery, before its `OFFSET 0` fence.

    [collector."public.debtors"]
    any = ["region = principal('region')",
           "id IN (SELECT ca.debtor_id FROM public.case_assignments AS ca
                   WHERE ca.employee_id = principal('employee_id') AND ca.is_active)"]

`filter = "..."` is one expression; `any = [...]` is their OR. A branch whose attributes the
principal lacks is left out (leaving out an OR branch only narrows the rows); if none remains,
the table is denied with a message naming the missing attributes — never an empty or always-true
filter. Columns inside subqueries should be qualified: an unqualified name there resolves to the
subquery's table first.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import BoolExprType
from pglast.parser import ParseError
from pglast.stream import RawStream
from pglast.visitors import Visitor

from proxy.errors import AccessDenied, ConfigError
from proxy.policy.files import NAME, read_toml, require_name, require_table, table_name
from proxy.policy.literals import AttributeValue, literal

ROW_FILTERS_FILE = "row_filters.toml"
PLACEHOLDER = "principal"
MAX_FILTER_CHARS = 4000


@dataclass(frozen=True)
class FilterBranch:
    text: str
    node: Any  # pglast.ast expression node holding principal('…') placeholders; never mutated
    attributes: frozenset[str]


@dataclass(frozen=True)
class RowFilter:
    """The rows `role` may see of `table`: the OR of the branches the principal can fill."""

    role: str
    table: str
    branches: tuple[FilterBranch, ...]

    def render(self, attributes: Mapping[str, AttributeValue]) -> Any:
        """A pglast expression node with the attribute values as literals; AccessDenied if the
        principal lacks what every branch needs."""
        usable = [branch for branch in self.branches if branch.attributes <= attributes.keys()]
        if not usable:
            missing = sorted(
                set().union(*(b.attributes for b in self.branches)) - attributes.keys()
            )
            raise AccessDenied(
                f"the row filter of role '{self.role}' on {self.table} needs the principal "
                f"attribute(s) {', '.join(missing)}, which this principal lacks"
            )
        nodes = [_fill(branch.node, attributes) for branch in usable]
        if len(nodes) == 1:
            return nodes[0]
        return ast.BoolExpr(boolop=BoolExprType.OR_EXPR, args=tuple(nodes))

    def render_sql(self, attributes: Mapping[str, AttributeValue]) -> str:
        """The rendered filter as SQL text (deparsed from the node, so literals stay literals)."""
        return str(RawStream()(self.render(attributes)))


@dataclass(frozen=True)
class RowFilters:
    filters: Mapping[tuple[str, str], RowFilter]

    def get(self, role: str, table: str) -> RowFilter | None:
        return self.filters.get((role, table))

    @classmethod
    def load(cls, path: Path) -> RowFilters:
        raw = read_toml(path)
        found: dict[tuple[str, str], RowFilter] = {}
        for role, tables in raw.items():
            require_name(path, f"role '{role}'", role)
            for table, spec in require_table(path, role, tables).items():
                key = f"{role}.{table}"
                table_name(path, key, table)
                found[(role, table)] = RowFilter(role, table, _branches(path, key, table, spec))
        return cls(found)


def _branches(path: Path, key: str, table: str, spec: object) -> tuple[FilterBranch, ...]:
    entry = require_table(path, key, spec)
    if set(entry) == {"filter"}:
        texts: object = [entry["filter"]]
    elif set(entry) == {"any"}:
        texts = entry["any"]
    else:
        raise ConfigError(f"policy file {path}: {key} needs exactly one of filter or any")
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise ConfigError(f"policy file {path}: {key}: filters must be non-empty strings")
    return tuple(_branch(path, f"{key}[{i}]", table, text) for i, text in enumerate(texts))


def _branch(path: Path, key: str, table: str, text: str) -> FilterBranch:
    where = f"policy file {path}: {key}"
    if not text.strip() or len(text) > MAX_FILTER_CHARS:
        raise ConfigError(f"{where}: a filter is 1 to {MAX_FILTER_CHARS} characters of SQL")
    node = _parse(where, table, text)
    finder = _Placeholders(where)
    finder(node)
    if not finder.columns:
        raise ConfigError(f"{where}: a filter must test the table's columns, not only constants")
    return FilterBranch(text, node, frozenset(finder.attributes))


def _parse(where: str, table: str, text: str) -> Any:
    wrapped = f"SELECT 1 FROM {table} WHERE (\n{text}\n)"
    try:
        statements = parse_sql(wrapped)
    except ParseError as exc:
        raise ConfigError(f"{where}: not a valid SQL expression: {exc}") from None
    statement = statements[0].stmt if len(statements) == 1 else None
    if not isinstance(statement, ast.SelectStmt) or statement.whereClause is None:
        raise ConfigError(f"{where}: must be one boolean expression")
    # Anything smuggled past the closing parenthesis (UNION, ORDER BY, …) changes the deparse.
    bare = ast.SelectStmt(
        targetList=statement.targetList,
        fromClause=statement.fromClause,
        whereClause=statement.whereClause,
    )
    if RawStream()(bare) != RawStream()(statement):
        raise ConfigError(f"{where}: must be one boolean expression and nothing after it")
    return statement.whereClause


class _Placeholders(Visitor):
    """Collects the attributes named by `principal('…')` and refuses other uses of the name."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.attributes: set[str] = set()
        self.columns = 0

    def visit_ColumnRef(self, ancestors: Any, node: Any) -> None:
        self.columns += 1

    def visit_FuncCall(self, ancestors: Any, node: Any) -> None:
        if node.funcname[-1].sval != PLACEHOLDER:
            return
        name = _attribute_name(node)
        if name is None:
            raise ConfigError(f"{self.where}: write principal('<attribute name>') and nothing else")
        self.attributes.add(name)


def _attribute_name(node: Any) -> str | None:
    args: tuple[Any, ...] = tuple(node.args or ())
    plain = len(node.funcname) == 1 and len(args) == 1 and node.over is None
    plain = plain and not (node.agg_star or node.agg_distinct or node.func_variadic)
    if not plain or not isinstance(args[0], ast.A_Const):
        return None
    value = args[0].val
    if not isinstance(value, ast.String) or not NAME.fullmatch(value.sval or ""):
        return None
    return str(value.sval)


class _Filler(Visitor):
    def __init__(self, attributes: Mapping[str, AttributeValue]) -> None:
        self.values = attributes

    def visit_FuncCall(self, ancestors: Any, node: Any) -> Any:
        if node.funcname[-1].sval != PLACEHOLDER:
            return None
        name = _attribute_name(node)
        assert name is not None  # checked at load
        return literal(name, self.values[name])


def _fill(template: Any, attributes: Mapping[str, AttributeValue]) -> Any:
    node = copy.deepcopy(template)
    _Filler(attributes)(node)
    return node
