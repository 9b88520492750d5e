"""Privileges as comparable values: what a RoleGrants asks for, and what a database role holds.

Shared by `apply` (to report what it changed) and `check` (to find excess and missing grants).
What a role holds is read with `has_table_privilege`/`has_column_privilege`, i.e. its effective
privileges: direct grants, grants to PUBLIC and to roles it is a member of (and pg_read_all_data)
all count, because through any of them the role can read. Relations: every table, view,
materialised view and foreign table outside pg_catalog, information_schema and the temporary
and TOAST schemas (the proxy's own schemas included: a proxy role has no business there), and
every sequence there: USAGE only on the sequences behind columns the role may INSERT (their
defaults call nextval), nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from proxy.provision.grants import RoleGrants

COLUMN_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "REFERENCES")
TABLE_PRIVILEGES = ("DELETE", "TRUNCATE", "TRIGGER")
SEQUENCE_PRIVILEGES = ("USAGE", "SELECT", "UPDATE")


@dataclass(frozen=True, order=True)
class Privilege:
    """One privilege on a table (`column` None) or on one column of it."""

    kind: str
    table: str  # schema.table
    column: str | None = None

    def describe(self) -> str:
        target = self.table if self.column is None else f"{self.table}.{self.column}"
        return f"{self.kind} on {target}"


def expected(grants: RoleGrants, sequences: frozenset[str] = frozenset()) -> frozenset[Privilege]:
    """The privileges `grants` asks for, with USAGE on `sequences` (see `owned_sequences`)."""
    found = {Privilege("DELETE", table) for table in grants.delete}
    for kind, tables in (("SELECT", grants.select), ("INSERT", grants.insert)):
        found |= {Privilege(kind, t, c) for t, cols in tables.items() for c in cols}
    found |= {Privilege("UPDATE", t, c) for t, cols in grants.update.items() for c in cols}
    found |= {Privilege("USAGE", sequence) for sequence in sequences}
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

_SEQUENCES = """
SELECT n.nspname || '.' || s.relname AS seq,
       has_sequence_privilege($1::name, s.oid, 'USAGE') AS "USAGE",
       has_sequence_privilege($1::name, s.oid, 'SELECT') AS "SELECT",
       has_sequence_privilege($1::name, s.oid, 'UPDATE') AS "UPDATE"
FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
WHERE s.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
"""

# serial ('a') and identity ('i') sequences, by the column that owns them
_OWNED = """
SELECT DISTINCT sn.nspname || '.' || s.relname AS seq
FROM pg_depend d
JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_namespace sn ON sn.oid = s.relnamespace
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
  AND d.deptype IN ('a', 'i')
  AND (tn.nspname || '.' || t.relname, a.attname::text)
      IN (SELECT * FROM unnest($1::text[], $2::text[]))
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
    for row in await conn.fetch(_SEQUENCES, role):
        found |= {Privilege(kind, row["seq"]) for kind in SEQUENCE_PRIVILEGES if row[kind]}
    return frozenset(found)


async def owned_sequences(conn: Any, grants: RoleGrants) -> frozenset[str]:
    """`schema.sequence` keys of the sequences behind the columns `grants` may INSERT."""
    pairs = [(t, c) for t, cols in grants.insert.items() for c in cols]
    if not pairs:
        return frozenset()
    rows = await conn.fetch(_OWNED, [t for t, _ in pairs], [c for _, c in pairs])
    return frozenset(str(row["seq"]) for row in rows)
