"""Loading the catalogue snapshot from PostgreSQL with asyncpg.

This is the only part of SQL analysis that performs I/O: it runs a handful of catalogue queries
(research §2.5.7) on an administrative connection at start and on each schema change, and hands
the rest of the analysis an immutable `CatalogSnapshot`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from proxy.sql.catalog import CatalogSnapshot, Column, Relation, build_snapshot

# temp schemas are left out: temporary objects are never resolvable (their creation is refused)
_RELATIONS = """
SELECT n.nspname, c.relname, c.relkind::text AS relkind,
       a.attnum, a.attname, a.atttypid::int8 AS atttypid, a.atttypmod,
       format_type(a.atttypid, a.atttypmod) AS typ
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname <> 'pg_toast'
  AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'
ORDER BY n.nspname, c.relname, a.attnum
"""

_PARENTS = """
SELECT cn.nspname, c.relname, pn.nspname AS parent_schema, p.relname AS parent_name
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
ORDER BY i.inhseqno
"""

_FUNCTIONS = """
SELECT DISTINCT n.nspname, p.proname
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
"""

_OPERATORS = """
SELECT DISTINCT n.nspname, o.oprname
FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
WHERE n.nspname <> 'pg_catalog'
"""

_TYPES = """
SELECT DISTINCT n.nspname, t.typname
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'
"""


async def load_catalog_snapshot(conn: Any) -> CatalogSnapshot:
    """Read relations, columns, functions, operators and types from `conn` (asyncpg)."""
    database = str(await conn.fetchval("SELECT current_database()"))
    relations = _relations(await conn.fetch(_RELATIONS), await conn.fetch(_PARENTS))
    functions = [(r["nspname"], r["proname"]) for r in await conn.fetch(_FUNCTIONS)]
    operators = [(r["nspname"], r["oprname"]) for r in await conn.fetch(_OPERATORS)]
    types = [(r["nspname"], r["typname"]) for r in await conn.fetch(_TYPES)]
    return build_snapshot(database, relations, functions, operators, types)


def _relations(rows: list[Any], inherits: list[Any]) -> list[Relation]:
    parents: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for row in inherits:
        parents[(row["nspname"], row["relname"])].append((row["parent_schema"], row["parent_name"]))
    kinds: dict[tuple[str, str], str] = {}
    columns: dict[tuple[str, str], list[Column]] = defaultdict(list)
    for row in rows:
        key = (row["nspname"], row["relname"])
        kinds[key] = row["relkind"]
        if row["attnum"] is not None:
            columns[key].append(
                Column(
                    name=row["attname"],
                    attnum=row["attnum"],
                    type_oid=row["atttypid"],
                    typmod=row["atttypmod"],
                    type_name=row["typ"],
                )
            )
    return [
        Relation(s, n, kind, tuple(columns[(s, n)]), tuple(parents.get((s, n), ())))
        for (s, n), kind in kinds.items()
    ]
