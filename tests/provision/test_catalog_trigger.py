"""Installing the DDL event trigger on a real PostgreSQL: idempotent, harmless, superuser-only.

Each test runs on this module's own database; the roles it creates carry a prefix of this
module's own and are dropped at the end.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest

from proxy.cli.provision import print_trigger_report
from proxy.provision.catalog_trigger import (
    CATALOG_CHANNEL,
    FUNCTION,
    NOT_SUPERUSER,
    TRIGGERS,
    TriggerReport,
    catalog_trigger_installed,
    install_catalog_trigger,
)
from proxy.sql.quoting import quote_ident
from tests.provision.support import drop_roles, unique_prefix


@pytest.fixture(scope="module")
def prefix(fresh_dsn: str) -> Iterator[str]:
    chosen = unique_prefix()
    yield chosen
    drop_roles(fresh_dsn, chosen)


@pytest.fixture
async def conn(fresh_dsn: str) -> AsyncIterator[Any]:
    connection = await asyncpg.connect(fresh_dsn)
    try:
        yield connection
    finally:
        await connection.close()


async def _trigger_names(conn: Any) -> list[str]:
    rows = await conn.fetch(
        "SELECT evtname FROM pg_event_trigger WHERE evtname = ANY($1::text[]) ORDER BY 1",
        list(TRIGGERS),
    )
    return [row["evtname"] for row in rows]


async def test_installing_twice_leaves_one_trigger_per_event(conn: Any) -> None:
    first = await install_catalog_trigger(conn)
    second = await install_catalog_trigger(conn)
    assert first.installed and second.installed
    assert second.changes == ()
    assert await _trigger_names(conn) == sorted(TRIGGERS)
    assert await catalog_trigger_installed(conn)


async def test_a_disabled_or_replaced_trigger_is_repaired(conn: Any) -> None:
    await install_catalog_trigger(conn)
    await conn.execute("ALTER EVENT TRIGGER palata_catalog_changed_ddl DISABLE")
    await conn.execute(
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS event_trigger "
        "LANGUAGE plpgsql AS $$ BEGIN END $$"
    )
    assert not await catalog_trigger_installed(conn)
    report = await install_catalog_trigger(conn)
    assert f"created or replaced the function {FUNCTION}()" in report.changes
    assert "recreated the event trigger palata_catalog_changed_ddl" in report.changes
    assert await catalog_trigger_installed(conn)


async def test_the_function_is_pinned_and_not_executable_by_public(conn: Any) -> None:
    await install_catalog_trigger(conn)
    row = await conn.fetchrow(
        "SELECT p.proconfig, p.prosecdef, r.rolsuper, "
        "has_function_privilege('public', p.oid, 'EXECUTE') AS public_may "
        "FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner "
        "WHERE p.oid = to_regprocedure($1)",
        f"{FUNCTION}()",
    )
    assert row["proconfig"] == ["search_path=pg_catalog, pg_temp"]
    assert not row["prosecdef"]
    assert row["rolsuper"]
    assert not row["public_may"]


async def test_ddl_by_an_ordinary_owner_succeeds_and_notifies(
    conn: Any, fresh_dsn: str, prefix: str
) -> None:
    await install_catalog_trigger(conn)
    owner = quote_ident(f"{prefix}owner")
    await conn.execute(f"CREATE ROLE {owner} NOLOGIN")
    await conn.execute(f"GRANT CREATE ON SCHEMA public TO {owner}")
    received: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(fresh_dsn)
    try:
        await listener.add_listener(CATALOG_CHANNEL, lambda *args: received.put_nowait(args[3]))
        await conn.execute(f"SET ROLE {owner}")
        await conn.execute("CREATE TABLE owned_by_someone (id int)")
        await conn.execute("ALTER TABLE owned_by_someone ADD COLUMN note text")
        await conn.execute("DROP TABLE owned_by_someone")
        await conn.execute("RESET ROLE")
        tags = [await asyncio.wait_for(received.get(), 10) for _ in range(3)]
    finally:
        await listener.close()
        await conn.execute("RESET ROLE")
        await conn.execute(f"REVOKE CREATE ON SCHEMA public FROM {owner}")
    assert tags == ["CREATE TABLE", "ALTER TABLE", "DROP TABLE"]


async def test_a_non_superuser_admin_gets_a_warning_and_no_trigger(
    conn: Any, fresh_dsn: str, prefix: str
) -> None:
    await conn.execute("DROP EVENT TRIGGER IF EXISTS palata_catalog_changed_ddl")
    await conn.execute("DROP EVENT TRIGGER IF EXISTS palata_catalog_changed_drop")
    admin = quote_ident(f"{prefix}admin")
    await conn.execute(f"CREATE ROLE {admin} NOLOGIN CREATEROLE")
    await conn.execute(f"SET ROLE {admin}")
    try:
        report = await install_catalog_trigger(conn)
    finally:
        await conn.execute("RESET ROLE")
    assert not report.installed
    assert report.warning == NOT_SUPERUSER
    assert "periodic check" in NOT_SUPERUSER
    assert await _trigger_names(conn) == []
    assert not await catalog_trigger_installed(conn)


@pytest.mark.parametrize(
    ("report", "out", "err"),
    [
        pytest.param(TriggerReport(), "Schema-change trigger: already installed\n", "", id="same"),
        pytest.param(
            TriggerReport(("created the event trigger x",)),
            "Schema-change trigger: created the event trigger x\n",
            "",
            id="created",
        ),
        pytest.param(
            TriggerReport(warning=NOT_SUPERUSER), "", f"WARNING: {NOT_SUPERUSER}\n", id="warned"
        ),
    ],
)
def test_provision_prints_what_happened_to_the_trigger(
    report: TriggerReport, out: str, err: str, capsys: pytest.CaptureFixture[str]
) -> None:
    print_trigger_report(report)
    assert capsys.readouterr() == (out, err)
