"""Writes: INSERT and UPDATE granted per column, DELETE per table, USAGE on the serial sequence
behind an insertable column; the database refuses every other write. A small policy of its own
on a table with a serial key; roles under this module's prefix, dropped at the end."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from proxy.policy import PolicyEngine
from proxy.provision import RoleGrants, apply_grants, compare_privileges, compute_grants
from proxy.sql import load_catalog_snapshot
from tests.provision.support import MODEL, drop_roles, unique_prefix

SCHEMA = """
CREATE TABLE ledger (id serial PRIMARY KEY, memo text, amount numeric, secret text);
CREATE TABLE archive (id integer PRIMARY KEY, memo text);
"""
POLICY = """
p, clerk, public.ledger.secret, *, *, deny, deny, 1
p, clerk, public.ledger.*, select, booking, allow, allow, 100
p, clerk, public.ledger.*, insert, booking, allow, allow, 100
p, clerk, public.ledger.amount, update, booking, allow, allow, 100
p, clerk, public.ledger.*, delete, booking, allow, allow, 100
"""


@pytest.fixture(scope="module")
def clerk(fresh_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoleGrants]:
    policies = tmp_path_factory.mktemp("policies")
    for name, text in (("policy.csv", POLICY), ("catalogue.toml", ""), ("row_filters.toml", "")):
        (policies / name).write_text(text, encoding="utf-8")
    engine = PolicyEngine.load(Path(policies), MODEL)
    prefix = unique_prefix()

    async def provision(conn: Any) -> RoleGrants:
        await conn.execute(SCHEMA)
        grants = compute_grants(engine, await load_catalog_snapshot(conn), prefix)
        await apply_grants(conn, grants)
        assert (await compare_privileges(conn, grants)).excess == ()
        return next(g for g in grants if g.role == "clerk")

    yield _run(fresh_dsn, provision)
    drop_roles(fresh_dsn, prefix)


def _run(dsn: str, work: Any) -> Any:
    async def go() -> Any:
        conn = await asyncpg.connect(dsn)
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(go())


def test_computed_writes(clerk: RoleGrants) -> None:
    assert dict(clerk.select) == {"public.ledger": {"id", "memo", "amount"}}
    assert dict(clerk.insert) == {"public.ledger": {"id", "memo", "amount"}}
    assert dict(clerk.update) == {"public.ledger": {"amount"}}
    assert clerk.delete == {"public.ledger"}


@pytest.mark.parametrize(
    ("sql", "sqlstate"),
    [
        pytest.param("INSERT INTO ledger (memo, amount) VALUES ('a', 1)", None, id="insert-serial"),
        pytest.param("INSERT INTO ledger (secret) VALUES ('s')", "42501", id="insert-denied-col"),
        pytest.param("UPDATE ledger SET amount = 2 WHERE id = 1", None, id="update-granted-col"),
        pytest.param("UPDATE ledger SET memo = 'b'", "42501", id="update-other-col"),
        pytest.param("DELETE FROM ledger WHERE id = 1", None, id="delete"),
        pytest.param("DELETE FROM archive", "42501", id="delete-other-table"),
        pytest.param("TRUNCATE ledger", "42501", id="truncate"),
        pytest.param("SELECT setval('ledger_id_seq', 100)", "42501", id="setval"),
    ],
)
def test_database_enforces_writes(
    fresh_dsn: str, clerk: RoleGrants, sql: str, sqlstate: str | None
) -> None:
    async def attempt(conn: Any) -> str | None:
        try:
            async with conn.transaction():
                await conn.execute(f'SET LOCAL ROLE "{clerk.db_role_name}"')
                await conn.execute(sql)
        except asyncpg.PostgresError as exc:
            return str(exc.sqlstate)
        return None

    assert _run(fresh_dsn, attempt) == sqlstate
