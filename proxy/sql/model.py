"""The values SQL analysis hands to the policy layer and to the rewriter.

Analysis turns one parsed statement into a `StatementAnalysis`: what kind of statement it is,
which relations, columns and functions it touches and how, and where each output column's value
comes from. The policy decides on these values alone; the rewriter uses `base_refs` to find the
table references it must replace. Everything here is immutable and free of personal data (no
literals from the SQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    """What a statement does to a relation."""

    SELECT = "select"
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"


class Kind(StrEnum):
    """The allowlisted statement kinds; anything else is refused before analysis."""

    SELECT = "select"
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"
    SET = "set"  # SET/RESET of an allowlisted setting
    SHOW = "show"
    TRANSACTION = "transaction"  # BEGIN, COMMIT, ROLLBACK, SAVEPOINT, SET TRANSACTION
    SESSION = "session"  # connection-pool resets: RESET ALL, UNLISTEN *, CLOSE ALL


class Usage(StrEnum):
    """How a column's value is used, from the safest to the most revealing for free text."""

    PROJECTED = "projected"  # reaches an output column unchanged (through derived tables too)
    EXPRESSION = "expression"  # reaches an output inside an expression, cast, aggregate, record
    IMPLICIT = "implicit"  # decides rows or order: WHERE, JOIN, GROUP, ORDER, CASE WHEN, DISTINCT
    WRITTEN = "written"  # target column of INSERT or UPDATE
    DISCARDED = "discarded"  # read by a derived table but reaches no output and no predicate


@dataclass(frozen=True, slots=True, order=True)
class SourceColumn:
    """A column of a catalogue relation, the unit of lineage."""

    schema: str
    table: str
    column: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.table}.{self.column}"


@dataclass(frozen=True, slots=True)
class RelationUse:
    """A catalogue relation the statement reads or writes (CTE names are not relations)."""

    schema: str
    name: str
    alias: str | None
    action: Action
    relkind: str


@dataclass(frozen=True, slots=True)
class ColumnUse:
    """One way one column is used; a column used several ways appears once per usage."""

    schema: str
    table: str
    column: str
    usage: Usage


@dataclass(frozen=True, slots=True)
class WholeRowUse:
    """A whole-row reference to a catalogue relation: `d`, `row_to_json(d)`, `to_jsonb(d.*)`."""

    schema: str
    table: str
    alias: str | None


@dataclass(frozen=True, slots=True)
class FunctionUse:
    """A function call; `schema` is None when the call was unqualified (resolves to pg_catalog)."""

    schema: str | None
    name: str


@dataclass(frozen=True, slots=True)
class OutputColumn:
    """One output column: the columns whose values flow into it, and those that select rows."""

    name: str
    direct: frozenset[SourceColumn]
    implicit: frozenset[SourceColumn]
    as_is: frozenset[SourceColumn]  # the subset of `direct` passed through unchanged


@dataclass(frozen=True, slots=True)
class BaseRef:
    """A table reference the rewriter may replace, found by its byte offset in the statement."""

    location: int
    schema: str
    table: str
    alias: str  # the user's alias, or the table name when there is none


@dataclass(frozen=True, slots=True)
class StatementAnalysis:
    """Everything the policy layer needs to decide on one statement."""

    kind: Kind
    action: Action | None
    relations: tuple[RelationUse, ...] = ()
    columns: tuple[ColumnUse, ...] = ()
    whole_rows: tuple[WholeRowUse, ...] = ()
    functions: tuple[FunctionUse, ...] = ()
    outputs: tuple[OutputColumn, ...] = ()
    base_refs: tuple[BaseRef, ...] = ()
    setting: str | None = None  # the GUC of a SET/RESET/SHOW

    def columns_with(self, usage: Usage) -> frozenset[SourceColumn]:
        """The columns used in the given way."""
        return frozenset(
            SourceColumn(c.schema, c.table, c.column) for c in self.columns if c.usage is usage
        )
