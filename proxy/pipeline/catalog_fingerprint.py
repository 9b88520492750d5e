"""A digest of the catalogue as the snapshot sees it, computed by the database in one query.

Beside the data path: the catalogue watch compares it periodically with the digest taken when
the snapshot was loaded, so a schema change is noticed even on a database without the DDL event
trigger. It covers what `proxy.sql.catalog_load` reads (relations and their kinds, columns with
their numbers, names, types and modifiers, inheritance, and the names of functions, operators
and types), so it differs exactly when a reload could give another snapshot; only 32 hex
characters cross the network.
"""

from __future__ import annotations

from typing import Any

_NOT_TEMP = "n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'"

CATALOG_FINGERPRINT = f"""
SELECT md5(concat_ws('|',
  (SELECT string_agg(concat_ws(',', n.nspname, c.relname, c.relkind, a.attnum, a.attname,
                               a.atttypid, a.atttypmod), ';'
                     ORDER BY n.nspname, c.relname, a.attnum)
   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname <> 'pg_toast' AND {_NOT_TEMP}),
  (SELECT string_agg(concat_ws(',', inhrelid, inhparent, inhseqno), ';'
                     ORDER BY inhrelid, inhseqno)
   FROM pg_inherits),
  (SELECT string_agg(DISTINCT concat_ws(',', n.nspname, p.proname), ';')
   FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace),
  (SELECT string_agg(DISTINCT concat_ws(',', n.nspname, o.oprname), ';')
   FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
   WHERE n.nspname <> 'pg_catalog'),
  (SELECT string_agg(DISTINCT concat_ws(',', n.nspname, t.typname), ';')
   FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND {_NOT_TEMP})
))
"""


async def catalog_fingerprint(conn: Any) -> str:
    """The digest of the catalogue as `conn` (asyncpg) sees it now."""
    return str(await conn.fetchval(CATALOG_FINGERPRINT))
