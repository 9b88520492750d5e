"""Grant computation: the red-team policy on its fixture schema gives each role exactly the
columns its rewrite reads; names are validated; row filters add the columns they read."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from proxy.errors import ConfigError
from proxy.policy import PolicyEngine
from proxy.policy.row_filters import RowFilters
from proxy.provision import RoleGrants, compute_grants, db_role_name, policy_purposes
from proxy.provision.filters import filter_columns
from proxy.sql import CatalogSnapshot, Column, Relation, build_snapshot, load_catalog_snapshot
from tests.conftest import new_database
from tests.provision.support import load_schema, redteam_engine
from tests.support import REPO

DEBTORS_ALL = {
    "id", "iin", "full_name", "phone", "email", "address", "birth_date", "debt_amount", "notes",
    "region",
}  # fmt: skip
PAYMENTS_ALL = {"id", "debtor_id", "paid_at", "amount"}
EMPLOYEES_ALL = {"id", "iin", "full_name", "salary", "phone"}


async def _snapshot(dsn: str) -> CatalogSnapshot:
    conn = await asyncpg.connect(dsn)
    try:
        return await load_catalog_snapshot(conn)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def grants(fresh_dsn: str) -> Iterator[dict[str, RoleGrants]]:
    load_schema(fresh_dsn)
    snapshot = asyncio.run(_snapshot(fresh_dsn))
    computed = compute_grants(redteam_engine(), snapshot, "t_x_", [("dpo", "collector")])
    yield {g.role: g for g in computed}


@pytest.mark.parametrize(
    ("role", "select"),
    [
        pytest.param(
            "collector",
            {
                "public.debtors": {"id", "iin", "debt_amount", "region", "notes"},
                "public.payments": PAYMENTS_ALL,
            },
            id="collector-clear-and-value-reading-masks-only",
        ),
        pytest.param(
            "dpo",
            {
                "public.debtors": DEBTORS_ALL,
                "public.payments": PAYMENTS_ALL,
                "public.employees": EMPLOYEES_ALL,
            },
            id="dpo-everything",
        ),
        pytest.param("intern", {}, id="intern-nothing"),
        pytest.param(
            "collector+dpo",
            {"public.debtors": DEBTORS_ALL, "public.payments": PAYMENTS_ALL},
            id="role-set-decided-together-collector-deny-on-employees-wins",
        ),
        pytest.param("staff", {}, id="staff-deny-lines-only"),
    ],
)
def test_select_grants(
    grants: dict[str, RoleGrants], role: str, select: dict[str, set[str]]
) -> None:
    found = grants[role]
    assert {table: set(cols) for table, cols in found.select.items()} == select
    assert (found.insert, found.update, found.delete) == ({}, {}, frozenset())
    assert found.db_role_name == f"t_x_{role.replace('+', '__')}"


def test_null_masked_columns_are_never_granted(grants: dict[str, RoleGrants]) -> None:
    withheld = {"full_name", "phone", "email", "address", "birth_date"}
    assert not withheld & grants["collector"].select["public.debtors"]


def test_purposes_come_from_grant_lines_and_inheritance() -> None:
    assert dict(policy_purposes(redteam_engine())) == {
        "collector": {"debt_collection"},
        "dpo": {"dpo_review"},
        "intern": set(),
        "staff": set(),
    }


@pytest.mark.parametrize(
    ("roles", "prefix", "name"),
    [
        pytest.param("collector", "palata_", "palata_collector", id="default"),
        pytest.param(("a", "b"), "p_", "p_a__b", id="role-set"),
        pytest.param("dpo", "t_0a1b_", "t_0a1b_dpo", id="test-prefix"),
    ],
)
def test_db_role_name(roles: str | tuple[str, ...], prefix: str, name: str) -> None:
    assert db_role_name(roles, prefix) == name


@pytest.mark.parametrize(
    ("roles", "prefix"),
    [
        pytest.param("collector", 'x"; DROP ROLE postgres; --', id="quote-in-prefix"),
        pytest.param("Collector", "palata_", id="upper-case-role"),
        pytest.param("a" * 60, "palata_", id="too-long"),
        pytest.param((), "palata_", id="no-role"),
    ],
)
def test_db_role_name_refuses(roles: str | tuple[str, ...], prefix: str) -> None:
    with pytest.raises(ConfigError):
        db_role_name(roles, prefix)


FILTERS = """
[clerk."public.loans"]
any = [
    "debtor_id IN (SELECT d.id FROM public.debtors AS d WHERE d.region = principal('region'))",
    "debtor_id IN (SELECT ca.debtor_id FROM case_assignments AS ca WHERE ca.is_active)",
]
"""


def _relation(name: str, *columns: str) -> Relation:
    cols = tuple(Column(c, i, 25, -1, "text") for i, c in enumerate(columns, start=1))
    return Relation("public", name, "r", cols)


def test_filter_columns_follow_subqueries(tmp_path: Path) -> None:
    path = tmp_path / "row_filters.toml"
    path.write_text(FILTERS, encoding="utf-8")
    row_filter = RowFilters.load(path).get("clerk", "public.loans")
    assert row_filter is not None
    snapshot = build_snapshot(
        "db",
        [
            _relation("loans", "id", "debtor_id", "amount"),
            _relation("debtors", "id", "region", "iin"),
            _relation("case_assignments", "debtor_id", "employee_id", "is_active"),
        ],
    )
    found = {t: set(c) for t, c in filter_columns(row_filter, snapshot).items()}
    assert found == {
        "public.loans": {"id", "debtor_id"},  # `id` through the conservative name match
        "public.debtors": {"id", "region"},
        "public.case_assignments": {"debtor_id", "is_active"},
    }


def test_demo_policy_grants_the_columns_of_row_filters(admin_dsn: str) -> None:
    with new_database(admin_dsn, "provision_demo") as dsn:
        load_schema(dsn, REPO / "proxy" / "synth" / "schema.sql")
        snapshot = asyncio.run(_snapshot(dsn))
    engine = PolicyEngine.load(REPO / "policies", REPO / "models.conf")
    collector = next(g for g in compute_grants(engine, snapshot) if g.role == "collector")
    assert {"debtor_id", "employee_id", "is_active"} <= collector.select["public.case_assignments"]
