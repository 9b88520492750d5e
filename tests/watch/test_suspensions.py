"""Suspensions in a real store: suspend and lift, the active set, and the watch that keeps an
instance's book current (by notification, by polling, through a store outage)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from proxy.audit.chain import Chain
from proxy.audit.keys import AuditKeys
from proxy.audit.schema import CREATE_SCHEMA
from proxy.watch.model import Suspension
from proxy.watch.schema import CREATE_WATCH_SCHEMA
from proxy.watch.suspensions import (
    SuspensionBook,
    active_suspensions,
    lift,
    measure_record,
    suspend,
    watching_suspensions,
)

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(fresh_dsn: str) -> str:
    async def create() -> None:
        conn = await asyncpg.connect(fresh_dsn)
        try:
            await conn.execute(CREATE_SCHEMA)
            await conn.execute(CREATE_WATCH_SCHEMA)
        finally:
            await conn.close()

    asyncio.run(create())
    return fresh_dsn


@pytest.fixture
async def conn(store: str) -> AsyncIterator[Any]:
    connection = await asyncpg.connect(store)
    try:
        await connection.execute("TRUNCATE palata_audit.suspensions")
        yield connection
    finally:
        await connection.close()


def connector(dsn: str) -> Callable[[], AbstractAsyncContextManager[Any]]:
    @asynccontextmanager
    async def connect() -> AsyncIterator[Any]:
        connection = await asyncpg.connect(dsn)
        try:
            yield connection
        finally:
            await connection.close()

    return connect


async def an_alert(conn: Any) -> str:
    """A stored alert for a suspension to name (the table's foreign key)."""
    alert_id = str(uuid.uuid4())
    await conn.execute(
        "INSERT INTO palata_audit.alerts (id, dedup_key, rule, severity, action, actor, "
        "window_start, window_end, bucket, measure, record_ids, summary, created_at, instance) "
        "VALUES ($1::uuid, $2, 'bulk_read', 'high', 'suspend', 'collector', $3, $3, $3, "
        "'{}'::jsonb, '{}', 'test', $3, 'test')",
        alert_id,
        f"bulk_read|collector|{alert_id}",
        AT,
    )
    return alert_id


async def test_suspend_once_then_lift(conn: Any) -> None:
    alert_id = await an_alert(conn)
    first = await suspend(conn, "collector", "bulk read", alert_id, "bulk_read", AT)
    assert first is not None
    assert (first.principal, first.since, first.alert_id, first.rule) == (
        "collector",
        AT,
        alert_id,
        "bulk_read",
    )
    again = await suspend(conn, "collector", "again", None, None, AT + timedelta(minutes=1))
    assert again is None  # one active suspension per principal
    other = await suspend(conn, "intern", "by hand", None, None, AT + timedelta(minutes=2))
    assert other is not None
    assert [s.principal for s in await active_suspensions(conn)] == ["collector", "intern"]

    lifted = await lift(conn, "collector", "dpo", "checked with the team lead", AT + timedelta(1))
    assert lifted is not None and lifted.lifted_by == "dpo"
    assert lifted.lifted_at == AT + timedelta(1)
    assert await lift(conn, "collector", "dpo", "twice", AT + timedelta(2)) is None
    assert [s.principal for s in await active_suspensions(conn)] == ["intern"]
    # lifted, the principal may be suspended again
    assert await suspend(conn, "collector", "again", None, None, AT + timedelta(3)) is not None


async def test_a_lift_keeps_its_note_out_of_the_suspension(conn: Any) -> None:
    await suspend(conn, "collector", "bulk read", None, "bulk_read", AT)
    await lift(conn, "collector", "dpo", "a note", AT + timedelta(1))
    note = await conn.fetchval("SELECT lift_note FROM palata_audit.suspensions")
    assert note == "a note"


async def test_a_suspension_inside_a_rolled_back_transaction_is_not_kept(conn: Any) -> None:
    transaction = conn.transaction()
    await transaction.start()
    assert await suspend(conn, "collector", "x", None, None, AT) is not None
    await transaction.rollback()
    assert await active_suspensions(conn) == []


def suspension(principal: str, *, lifted: bool = False) -> Suspension:
    return Suspension(
        id=str(uuid.uuid4()),
        principal=principal,
        since=AT,
        reason="test",
        alert_id=None,
        rule=None,
        lifted_at=AT if lifted else None,
        lifted_by="dpo" if lifted else None,
    )


@pytest.mark.parametrize(
    ("held", "asked", "found"),
    [
        pytest.param(["collector"], "collector", True, id="suspended"),
        pytest.param(["collector"], "dpo", False, id="another-principal"),
        pytest.param([], "collector", False, id="empty"),
    ],
)
def test_the_book_answers_the_gate(held: list[str], asked: str, found: bool) -> None:
    book = SuspensionBook(suspension(p) for p in held)
    assert (book.suspension_of(asked) is not None) is found


def test_the_book_ignores_lifted_suspensions_and_replaces_whole() -> None:
    book = SuspensionBook([suspension("collector"), suspension("intern", lifted=True)])
    assert book.principals() == ("collector",)
    book.replace([suspension("dpo")])
    assert book.principals() == ("dpo",)


async def eventually(check: Callable[[], bool], within_s: float) -> float:
    """Seconds until `check()` held; fails after `within_s`."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not check():
        assert loop.time() - start < within_s, "not seen in time"
        await asyncio.sleep(0.02)
    return loop.time() - start


Change = Callable[[Any], Awaitable[object]]


async def suspend_collector(conn: Any) -> object:
    return await suspend(conn, "collector", "x", None, None, AT)


async def lift_collector(conn: Any) -> object:
    return await lift(conn, "collector", "dpo", "n", AT + timedelta(1))


@pytest.mark.parametrize(
    ("listen", "poll_s", "within_s"),
    [
        pytest.param(True, 60.0, 1.0, id="notified-within-a-second"),
        pytest.param(False, 0.2, 1.0, id="polled-without-listening"),
    ],
)
async def test_the_watch_follows_suspensions_and_lifts(
    conn: Any, store: str, listen: bool, poll_s: float, within_s: float
) -> None:
    book = SuspensionBook()
    async with watching_suspensions(book, connector(store), store if listen else None, poll_s) as w:
        if listen:
            await eventually(lambda: w.connections == 1, 5.0)
            await asyncio.sleep(0.1)  # the reload a new LISTEN asks for
        assert book.suspension_of("collector") is None
        await suspend_collector(conn)
        await eventually(lambda: book.suspension_of("collector") is not None, within_s)
        await lift_collector(conn)
        await eventually(lambda: book.suspension_of("collector") is None, within_s)


async def test_the_watch_loads_the_active_set_before_the_block(conn: Any, store: str) -> None:
    await suspend_collector(conn)
    book = SuspensionBook()
    async with watching_suspensions(book, connector(store), None, 60.0):
        assert book.principals() == ("collector",)


async def test_an_unreadable_store_keeps_the_last_known_set(
    conn: Any, store: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Starting, the set is empty with a warning; later, a failure keeps what was known."""
    broken = {"now": True}
    real = connector(store)

    @asynccontextmanager
    async def flaky() -> AsyncIterator[Any]:
        if broken["now"]:
            raise OSError("the store is down")
        async with real() as connection:
            yield connection

    book = SuspensionBook()
    await suspend_collector(conn)
    with caplog.at_level(logging.WARNING):
        async with watching_suspensions(book, flaky, None, 0.1) as watch:
            assert book.principals() == ()
            assert "NO suspensions enforced" in caplog.text
            broken["now"] = False
            await eventually(lambda: book.principals() == ("collector",), 2.0)
            broken["now"] = True
            seen = watch.reloads
            await asyncio.sleep(0.35)
            assert watch.reloads == seen  # every reload failed meanwhile
            assert book.principals() == ("collector",)  # the last known set holds


def test_a_measure_record_names_no_subject_and_chains() -> None:
    record = measure_record(
        "test", AT, "dpo", ("dpo",), "suspension_lifted", "collector", None, "bulk_read"
    )
    assert (record.door, record.kind, record.principal, record.outcome) == (
        "watch",
        "suspension_lifted",
        "dpo",
        "served",
    )
    assert record.subjects == () and record.subject_count == 0
    assert record.extra == {"target": "collector", "alert": None, "rule": "bulk_read"}
    chained = Chain("test", AuditKeys(b"a test audit key, 32 bytes or more")).append(record)
    assert chained.seq == 1 and chained.hash
