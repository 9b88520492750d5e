"""Privileges as comparable values: what a RoleGrants asks for, and what a database role holds.

Shared by `apply` (to report what it changed) and `check` (to find excess and missing grants).
What a role holds is read with `has_table_privilege`/`has_column_privilege`, i.e. its effective
privileges: direct grants, grants to PUBLIC and to roles it is a member of (and pg_read_all_data)
all count, because through any of them the role can read. Relations: every table, view,
materialised view and foreign table outside pg_catalog, information_schema and the temporary
and TOAST schemas (the proxy's own schemas included: a proxy role has no business there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from proxy.provision.grants import RoleGrants

COLUMN_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "REFERENCES")
TABLE_PRIVILEGES = ("DELETE", "TRUNCATE", "TRIGGER")


@dataclass(frozen=True, order=True)
class Privilege:
    """One privilege on a table (`column` None) or on one column of it."""

    kind: str
    table: str  # schema.table
    column: str | None = None

    def describe(self) -> str:
        target = self.table if self.column is None else f"{self.table}.{self.column}"
        return f"{self.kind} on {target}"


def expected(grants: RoleGrants) -> frozenset[Privilege]:
    """The privileges `grants` asks for."""
    found = {Privilege("DELETE", table) for table in grants.delete}
    for kind, tables in (("SELECT", grants.select), ("INSERT", grants.insert)):
        found |= {Privilege(kind, t, c) for t, cols in tables.items() for c in cols}
    found |= {Privilege("UPDATE", t, c) for t, cols in grants.update.items() for c in cols}
    return frozenset(found)


_HELD = """
SELECT n.nspname || '.' || c.relname AS tab, a.attname AS col,
       has_column_privilege($1::name, c.oid, a.attnum, 'SELECT') AS "SELECT",
       has_column_privilege($1::name, c.oid, a.attnum, 'INSERT') AS "INSERT",
       has_column_privilege($1::name, c.oid, a.attnum, 'UPDATE') AS "UPDATE",
       has_column_privilege($1::name, c.oid, a.attnum, 'REFERENCES') AS "REFERENCES",
       has_table_privilege($1::name, c.oid, 'DELETE') AS "DELETE",
       has_table_privilege($1::name, c.oid, 'TRUNCATE') AS "TRUNCATE",
       has_table_privilege($1::name, c.oid, 'TRIGGER') AS "TRIGGER"
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
"""

_ATTRIBUTES = """
SELECT rolsuper, rolbypassrls, rolcanlogin, rolinherit, rolcreaterole, rolcreatedb,
       rolreplication
FROM pg_roles WHERE rolname = $1
"""


async def role_attributes(conn: Any, role: str) -> dict[str, bool] | None:
    """The role's attribute flags, or None if it does not exist."""
    row = await conn.fetchrow(_ATTRIBUTES, role)
    return None if row is None else {key: bool(value) for key, value in row.items()}


async def held(conn: Any, role: str) -> frozenset[Privilege]:
    """Every privilege `role` holds, effectively, on the relations described above."""
    found: set[Privilege] = set()
    for row in await conn.fetch(_HELD, role):
        for kind in COLUMN_PRIVILEGES:
            if row[kind]:
                found.add(Privilege(kind, row["tab"], row["col"]))
        for kind in TABLE_PRIVILEGES:
            if row[kind]:
                found.add(Privilege(kind, row["tab"]))
    return frozenset(found)
