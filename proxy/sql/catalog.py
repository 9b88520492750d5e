"""The catalogue snapshot: the database's relations, columns and functions, as one value.

Analysis resolves names against this snapshot instead of asking the database, so a decision
costs no round trip and every decision made under one snapshot agrees. The loader reads it with
asyncpg (`load_catalog_snapshot`); tests build small snapshots by hand. `version` is a digest of
the content, part of every cache key, so a schema change invalidates cached decisions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema"})


@dataclass(frozen=True, slots=True)
class Column:
    """A column as `pg_attribute` describes it."""

    name: str
    attnum: int
    type_oid: int
    typmod: int
    type_name: str  # format_type(atttypid, atttypmod), e.g. "character(12)"


@dataclass(frozen=True, slots=True)
class Relation:
    """A table, view, materialised view, partitioned or foreign table, with ordered columns."""

    schema: str
    name: str
    relkind: str  # r, p, v, m, f
    columns: tuple[Column, ...]
    # parent tables (pg_inherits): a partition or child reads the parent's rows under another name
    parents: tuple[tuple[str, str], ...] = ()

    def column(self, name: str) -> Column | None:
        """The column called `name`, if any."""
        for col in self.columns:
            if col.name == name:
                return col
        return None


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    """Relations by (schema, name), function and operator names, and user-defined type names."""

    database: str
    relations: Mapping[tuple[str, str], Relation] = field(hash=False)  # `version` stands in
    functions: frozenset[tuple[str, str]] = frozenset()  # (schema, name), all schemas
    operators: frozenset[tuple[str, str]] = frozenset()  # (schema, name) outside pg_catalog
    types: frozenset[tuple[str, str]] = frozenset()  # (schema, name) outside the system schemas
    version: str = field(default="")

    def relation(self, schema: str, name: str) -> Relation | None:
        """The relation `schema.name`, if the snapshot has it."""
        return self.relations.get((schema, name))

    def user_functions_named(self, name: str) -> tuple[str, ...]:
        """Schemas outside pg_catalog holding a function called `name` (possible shadows)."""
        return tuple(sorted(s for s, n in self.functions if n == name and s not in SYSTEM_SCHEMAS))

    def user_operator(self, name: str) -> bool:
        """Whether an operator called `name` exists outside pg_catalog."""
        return any(n == name for _, n in self.operators)

    def user_type(self, name: str) -> bool:
        """Whether a type called `name` exists outside the system schemas."""
        return any(n == name for _, n in self.types)


def build_snapshot(
    database: str,
    relations: Iterable[Relation],
    functions: Iterable[tuple[str, str]] = (),
    operators: Iterable[tuple[str, str]] = (),
    types: Iterable[tuple[str, str]] = (),
) -> CatalogSnapshot:
    """A snapshot with its version digest computed from the content."""
    rels = {(r.schema, r.name): r for r in relations}
    funcs, ops, typs = frozenset(functions), frozenset(operators), frozenset(types)
    digest = hashlib.sha256()
    for key in sorted(rels):
        digest.update(repr(rels[key]).encode())
    for part in (funcs, ops, typs):
        digest.update(repr(sorted(part)).encode())
    return CatalogSnapshot(
        database=database,
        relations=rels,
        functions=funcs,
        operators=ops,
        types=typs,
        version=digest.hexdigest()[:16],
    )
