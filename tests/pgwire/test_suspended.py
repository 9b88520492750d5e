"""A suspended principal at the wire door (in process, on the red-team fixture, asyncpg as the
client): every statement is refused with 42501 and audited, whether it comes in a Query, a
Parse, or the Bind/Execute of a statement prepared before the suspension; the transaction ends
in the state PostgreSQL itself would leave it in, and a lift lets the session go on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from proxy.config import load_settings
from proxy.identity.principals import PrincipalDirectory
from proxy.pgwire.server import serving_pgwire
from proxy.pipeline import Pipeline
from proxy.pipeline.audit_entry import AuditEntries, AuditTrail
from proxy.upstream.pool import open_upstream
from proxy.watch.suspensions import SuspensionBook
from tests.pipeline.fixture_db import KEYS, RecordingSink, dsn, suspension
from tests.policy.support import MODEL, REDTEAM
from tests.redteam.corpus import SECRETS
from tests.support import unused_port

__all__ = ["dsn"]  # fixtures

SUSPENDED = suspension(alert_id=None)


@dataclass
class Door:
    port: int
    book: SuspensionBook
    sink: RecordingSink

    async def client(self) -> Any:
        return await asyncpg.connect(
            host="127.0.0.1",
            port=self.port,
            user="collector",
            password=SECRETS["collector"],
            database="redteam",
            ssl=False,
        )


@pytest.fixture
async def door(dsn: str) -> AsyncIterator[Door]:
    port = unused_port()
    flags = {
        "upstream.dsn": dsn,
        "policies.dir": REDTEAM,
        "policies.model": MODEL,
        "pgwire.port": port,
        "pgwire.database": "redteam",
    }
    settings = load_settings(None, {}, flags)
    principals = PrincipalDirectory.from_policies(REDTEAM)
    sink = RecordingSink()
    book = SuspensionBook()
    trail = AuditTrail(AuditEntries("test", KEYS, 100), sink)
    async with open_upstream(dsn, settings.upstream) as upstream:
        pipeline = await Pipeline.build(settings, upstream, trail, gate=book)
        async with serving_pgwire(settings, pipeline, principals):
            yield Door(port, book, sink)


# Each case: what the session did before the suspension, what it sends while suspended (to be
# refused), whether the transaction is left aborted, and what it sends after the lift.
Step = Callable[[Any, dict[str, Any]], Awaitable[object]]


async def nothing(conn: Any, held: dict[str, Any]) -> None:
    return None


async def begin_and_prepare(conn: Any, held: dict[str, Any]) -> None:
    await conn.execute("BEGIN")
    held["stmt"] = await conn.prepare("SELECT count(*) FROM payments")


async def prepare(conn: Any, held: dict[str, Any]) -> None:
    held["stmt"] = await conn.prepare("SELECT count(*) FROM payments")


async def begin_and_declare(conn: Any, held: dict[str, Any]) -> None:
    await conn.execute("BEGIN")
    await conn.execute("DECLARE c CURSOR FOR SELECT id FROM payments")


async def simple_query(conn: Any, held: dict[str, Any]) -> object:
    return await conn.execute("SELECT 1")  # no arguments: the simple query protocol


async def parse(conn: Any, held: dict[str, Any]) -> object:
    return await conn.prepare("SELECT count(*) FROM payments")


async def execute_prepared(conn: Any, held: dict[str, Any]) -> object:
    return await held["stmt"].fetchval()  # Bind, Execute, Sync of a name parsed before


async def fetch_cursor(conn: Any, held: dict[str, Any]) -> object:
    return await conn.execute("FETCH 1 FROM c")


async def rollback(conn: Any, held: dict[str, Any]) -> object:
    return await conn.execute("ROLLBACK")


@pytest.mark.parametrize(
    ("before", "refused", "aborted"),
    [
        pytest.param(nothing, simple_query, False, id="query"),
        pytest.param(nothing, parse, False, id="parse"),
        pytest.param(prepare, execute_prepared, False, id="prepared-before-idle"),
        pytest.param(begin_and_prepare, execute_prepared, True, id="prepared-before-in-tx"),
        pytest.param(begin_and_declare, fetch_cursor, True, id="cursor-declared-before"),
        pytest.param(begin_and_declare, rollback, True, id="even-rollback"),
    ],
)
async def test_a_suspended_principal_is_refused_at_the_wire_door(
    door: Door, before: Step, refused: Step, aborted: bool
) -> None:
    conn = await door.client()
    try:
        held: dict[str, Any] = {}
        await before(conn, held)
        door.book.replace([SUSPENDED])
        audited = len(door.sink.records)
        with pytest.raises(asyncpg.InsufficientPrivilegeError) as error:
            await refused(conn, held)
        assert "principal 'collector' is suspended since 2026-03-02T03:00:00+00:00" in str(
            error.value
        )
        assert "(rule bulk_read)" in str(error.value)
        [record] = door.sink.records[audited:]
        assert (record.outcome, record.sqlstate, record.door) == ("denied", "42501", "pgwire")
        assert conn.is_in_transaction() is aborted
        door.book.replace([])  # lifted
        if aborted:  # the server's own transaction failed, as for any error
            with pytest.raises(asyncpg.InFailedSQLTransactionError):
                await conn.fetchval("SELECT 1")
            await conn.execute("ROLLBACK")
        assert await conn.fetchval("SELECT count(*) FROM payments") > 0
        if "stmt" in held and not aborted:
            assert await held["stmt"].fetchval() > 0  # the prepared statement still stands
        assert not conn.is_in_transaction()
    finally:
        await conn.close()


async def test_a_login_is_allowed_while_suspended(door: Door) -> None:
    door.book.replace([SUSPENDED])
    conn = await door.client()
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetchval("SELECT 1")
    finally:
        await conn.close()
