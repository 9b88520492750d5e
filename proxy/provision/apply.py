"""Creating or updating the database roles so they hold exactly their computed grants.

The second step of `palata-proxy provision`, on an administrative asyncpg connection, in one
transaction: nothing is half-applied. Idempotent: each role is created NOLOGIN NOINHERIT if
missing (and stripped of other attributes if present), loses every privilege on every relation
and sequence of the user schemas, then gets exactly its grants, column by column, USAGE on the
schemas of its tables and on the sequences behind the columns it may INSERT; the proxy's login
becomes a member so it can `SET LOCAL ROLE` per statement. The report compares effective
privileges before and after, so a second run reports no change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from proxy.provision.grants import RoleGrants
from proxy.provision.names import quote_table
from proxy.provision.privileges import held, owned_sequences, role_attributes
from proxy.sql.quoting import quote_ident

_ATTRIBUTES = "NOLOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
_WANTED = {"rolinherit": False, "rolcanlogin": False, "rolsuper": False, "rolcreatedb": False}
_WANTED |= {"rolcreaterole": False, "rolreplication": False, "rolbypassrls": False}

_SCHEMAS = """
SELECT nspname FROM pg_namespace
WHERE nspname NOT IN ('pg_catalog', 'information_schema')
  AND nspname NOT LIKE 'pg_toast%' AND nspname NOT LIKE 'pg_temp%'
ORDER BY nspname
"""


@dataclass(frozen=True)
class RoleChanges:
    """What provisioning changed for one database role (readable lines, sorted)."""

    db_role_name: str
    changes: tuple[str, ...]


@dataclass(frozen=True)
class ApplyReport:
    proxy_login: str
    roles: tuple[RoleChanges, ...]

    @property
    def changed(self) -> bool:
        return any(role.changes for role in self.roles)


async def apply_grants(
    conn: Any, grants: Iterable[RoleGrants], proxy_login: str | None = None
) -> ApplyReport:
    """Make every database role hold exactly its grants; `proxy_login` (default: the connection's
    current_user) becomes a member of each."""
    login = proxy_login or str(await conn.fetchval("SELECT current_user"))
    version = int(await conn.fetchval("SELECT current_setting('server_version_num')::int"))
    results = []
    async with conn.transaction():
        schemas = [r["nspname"] for r in await conn.fetch(_SCHEMAS)]
        for role in grants:
            results.append(await _apply_role(conn, role, login, schemas, version))
    return ApplyReport(login, tuple(results))


async def _apply_role(
    conn: Any, role: RoleGrants, login: str, schemas: list[str], version: int
) -> RoleChanges:
    name, changes = role.db_role_name, []
    attributes = await role_attributes(conn, name)
    if attributes is None:
        await conn.execute(f"CREATE ROLE {quote_ident(name)} {_ATTRIBUTES}")
        changes.append("created the role (NOLOGIN NOINHERIT)")
    elif any(attributes[key] != want for key, want in _WANTED.items()):
        await conn.execute(f"ALTER ROLE {quote_ident(name)} {_ATTRIBUTES}")
        changes.append("reset its attributes to NOLOGIN NOINHERIT")
    before = await held(conn, name)  # a new role already holds what PUBLIC holds
    sequences = await owned_sequences(conn, role)
    for statement in _statements(role, schemas, sequences):
        await conn.execute(statement)
    after = await held(conn, name)
    changes += [f"granted {p.describe()}" for p in sorted(after - before)]
    changes += [f"revoked {p.describe()}" for p in sorted(before - after)]
    if await _grant_membership(conn, name, login, version):
        changes.append(f"granted the role to {login}")
    return RoleChanges(name, tuple(changes))


def _statements(role: RoleGrants, schemas: list[str], sequences: frozenset[str]) -> list[str]:
    """REVOKE everything, then GRANT exactly the computed privileges."""
    who = quote_ident(role.db_role_name)
    statements = []
    for schema in schemas:
        statements.append(f"REVOKE ALL ON ALL TABLES IN SCHEMA {quote_ident(schema)} FROM {who}")
        statements.append(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {quote_ident(schema)} FROM {who}")
        statements.append(f"REVOKE ALL ON SCHEMA {quote_ident(schema)} FROM {who}")
    needed = sorted({key.partition(".")[0] for key in (*role.tables, *sequences)})
    statements += [f"GRANT USAGE ON SCHEMA {quote_ident(s)} TO {who}" for s in needed]
    statements += _column_grants("SELECT", role.select, who)
    statements += _column_grants("INSERT", role.insert, who)
    statements += _column_grants("UPDATE", role.update, who)
    statements += [f"GRANT DELETE ON {quote_table(t)} TO {who}" for t in sorted(role.delete)]
    statements += [f"GRANT USAGE ON SEQUENCE {quote_table(s)} TO {who}" for s in sorted(sequences)]
    return statements


def _column_grants(kind: str, tables: Mapping[str, frozenset[str]], who: str) -> list[str]:
    return [
        f"GRANT {kind} ({', '.join(quote_ident(c) for c in sorted(cols))}) "
        f"ON {quote_table(table)} TO {who}"
        for table, cols in tables.items()
    ]


async def _grant_membership(conn: Any, role: str, login: str, version: int) -> bool:
    """Let `login` SET ROLE to `role` (without inheriting it where the server can say so)."""
    member = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = $1 AND u.rolname = $2)",
        role,
        login,
    )
    if member:
        return False
    options = " WITH INHERIT FALSE, SET TRUE" if version >= 160000 else ""
    await conn.execute(f"GRANT {quote_ident(role)} TO {quote_ident(login)}{options}")
    return True
