"""Applying grants on a real PostgreSQL: idempotent, enforced by the database, and checked.

The red-team fixture and policy; roles under a prefix of this module's own, dropped at the end.
As the collector's database role, a column the policy withholds is refused with 42501 and
pg_stats shows only granted columns; a grant beyond the policy is reported as excess.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import asyncpg
import pytest

from proxy.provision import (
    ApplyReport,
    RoleGrants,
    apply_grants,
    compare_privileges,
    compute_grants,
    excess_privileges,
)
from proxy.sql import load_catalog_snapshot
from tests.provision.support import drop_roles, load_schema, redteam_engine, unique_prefix

T = TypeVar("T")


@pytest.fixture(scope="module")
def prefix(fresh_dsn: str) -> Iterator[str]:
    load_schema(fresh_dsn)
    chosen = unique_prefix()
    yield chosen
    drop_roles(fresh_dsn, chosen)


def _run(dsn: str, work: Callable[[Any], Awaitable[T]]) -> T:
    async def go() -> T:
        conn = await asyncpg.connect(dsn)
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(go())


@pytest.fixture(scope="module")
def grants(fresh_dsn: str, prefix: str) -> tuple[RoleGrants, ...]:
    async def compute(conn: Any) -> tuple[RoleGrants, ...]:
        return compute_grants(redteam_engine(), await load_catalog_snapshot(conn), prefix)

    return _run(fresh_dsn, compute)


@pytest.fixture(scope="module")
def reports(fresh_dsn: str, grants: tuple[RoleGrants, ...]) -> tuple[ApplyReport, ApplyReport]:
    first = _run(fresh_dsn, lambda conn: apply_grants(conn, grants))
    second = _run(fresh_dsn, lambda conn: apply_grants(conn, grants))
    _run(fresh_dsn, lambda conn: conn.execute("ANALYZE"))
    return first, second


def test_first_run_creates_and_grants(
    reports: tuple[ApplyReport, ApplyReport], prefix: str
) -> None:
    changes = {role.db_role_name: role.changes for role in reports[0].roles}
    assert "created the role (NOLOGIN NOINHERIT)" in changes[f"{prefix}collector"]
    assert "granted SELECT on public.debtors.iin" in changes[f"{prefix}collector"]
    assert not any("full_name" in line for line in changes[f"{prefix}collector"])


def test_second_run_changes_nothing(reports: tuple[ApplyReport, ApplyReport]) -> None:
    assert not reports[1].changed
    assert all(role.changes == () for role in reports[1].roles)


def test_applied_roles_hold_exactly_their_grants(
    fresh_dsn: str, grants: tuple[RoleGrants, ...], reports: object
) -> None:
    diff = _run(fresh_dsn, lambda conn: compare_privileges(conn, grants))
    assert (diff.excess, diff.missing) == ((), ())


async def _as_role(conn: Any, role: str, sql: str) -> Any:
    async with conn.transaction():
        await conn.execute(f'SET LOCAL ROLE "{role}"')
        return await conn.fetch(sql)


@pytest.mark.parametrize(
    ("role", "sql", "sqlstate"),
    [
        pytest.param("collector", "SELECT full_name FROM debtors", "42501", id="withheld-column"),
        pytest.param("collector", "SELECT * FROM debtors", "42501", id="star-reads-withheld"),
        pytest.param("collector", "SELECT id FROM employees", "42501", id="denied-table"),
        pytest.param("collector", "UPDATE payments SET amount = 0", "42501", id="no-writes"),
        pytest.param("collector", "SELECT id, debt_amount FROM debtors", None, id="clear-columns"),
        pytest.param("collector", "SELECT iin, notes FROM debtors", None, id="reading-masks"),
        pytest.param("dpo", "SELECT * FROM employees", None, id="dpo-reads-all"),
        pytest.param("dpo", "DELETE FROM payments", "42501", id="dpo-no-writes"),
        pytest.param("intern", "SELECT id FROM payments", "42501", id="intern-nothing"),
    ],
)
def test_database_enforces_grants(
    fresh_dsn: str, prefix: str, reports: object, role: str, sql: str, sqlstate: str | None
) -> None:
    async def attempt(conn: Any) -> str | None:
        try:
            await _as_role(conn, prefix + role, sql)
        except asyncpg.PostgresError as exc:
            return str(exc.sqlstate)
        return None

    assert _run(fresh_dsn, attempt) == sqlstate


def test_pg_stats_shows_only_granted_columns(fresh_dsn: str, prefix: str, reports: object) -> None:
    sql = "SELECT attname FROM pg_stats WHERE tablename = 'debtors'"
    rows = _run(fresh_dsn, lambda conn: _as_role(conn, f"{prefix}collector", sql))
    assert {row["attname"] for row in rows} == {"id", "iin", "debt_amount", "region", "notes"}


def test_extra_grant_is_excess_and_reapplying_revokes_it(
    fresh_dsn: str, prefix: str, grants: tuple[RoleGrants, ...], reports: object
) -> None:
    role = f"{prefix}collector"
    _run(fresh_dsn, lambda conn: conn.execute(f'GRANT SELECT (full_name) ON debtors TO "{role}"'))
    excess = _run(fresh_dsn, lambda conn: excess_privileges(conn, grants))
    assert excess == [f"{role}: SELECT on public.debtors.full_name"]
    report = _run(fresh_dsn, lambda conn: apply_grants(conn, grants))
    changes = {r.db_role_name: r.changes for r in report.roles}
    assert changes[role] == ("revoked SELECT on public.debtors.full_name",)
    assert _run(fresh_dsn, lambda conn: excess_privileges(conn, grants)) == []


def test_public_grant_counts_as_excess(
    fresh_dsn: str, prefix: str, grants: tuple[RoleGrants, ...], reports: object
) -> None:
    _run(fresh_dsn, lambda conn: conn.execute("GRANT SELECT ON employees TO PUBLIC"))
    try:
        excess = _run(fresh_dsn, lambda conn: excess_privileges(conn, grants))
    finally:
        _run(fresh_dsn, lambda conn: conn.execute("REVOKE SELECT ON employees FROM PUBLIC"))
    assert f"{prefix}intern: SELECT on public.employees.salary" in excess
    assert f"{prefix}dpo: SELECT on public.employees.salary" not in excess


def test_missing_role_is_reported_missing(fresh_dsn: str, grants: tuple[RoleGrants, ...]) -> None:
    ghost = RoleGrants(role="ghost", db_role_name="t_never_created_ghost")
    diff = _run(fresh_dsn, lambda conn: compare_privileges(conn, [ghost]))
    assert diff == type(diff)((), ("t_never_created_ghost: the role does not exist",))
