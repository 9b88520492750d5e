"""Suspensions: kept in `palata_audit.suspensions`, enforced from memory by every instance.

A rule with `action = "suspend"` (through the engine) or a security officer suspends a
principal (`suspend`); a security officer lifts it (`lift`). Each does `pg_notify` on
`SUSPENSIONS_CHANNEL` in its own transaction, so the notice leaves only once the change is
committed. Each proxy instance keeps the active set in a `SuspensionBook`, which the pipeline
asks before planning any statement (the `SuspensionGate`); `watching_suspensions` keeps the
book current: it reloads on each notification (a dedicated LISTEN connection, reconnected with
back-off as the catalogue watch does) and every `poll_s` in any case.

When the store cannot be read, the book keeps the last set it knew and retries; at start that
set is empty, said loudly in the log. Failing closed here would refuse every principal's
statements whenever the audit store blinks (the records themselves ride out an outage in the
spool), and a suspension is a measure taken after the fact, minutes behind the reads it
answers: the availability of the service weighs more than the seconds of enforcement lost.

`measure_record` is the audit record of a measure (suspend, lift, acknowledge) written by the
watch or the HTTP door through `TrailAccess.write`; a lift's note stays in the table, never in
the record.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg

from proxy.audit.record import AuditRecord
from proxy.errors import UpstreamUnavailable, error_kind
from proxy.upstream.errors import from_postgres_error
from proxy.upstream.listen import listen_forever, listening
from proxy.watch.model import Suspension
from proxy.watch.schema import SUSPENSIONS_CHANNEL

log = logging.getLogger(__name__)

APPLICATION_NAME = "palata-proxy suspension watch"
CONNECT_TIMEOUT_S = 10.0
TABLE = "palata_audit.suspensions"
COLUMNS = "id, principal, since, reason, alert_id, rule, lifted_at, lifted_by"
StoreConnect = Callable[[], AbstractAsyncContextManager[Any]]  # an asyncpg connection


async def suspend(
    conn: Any,
    principal: str,
    reason: str,
    alert_id: str | None,
    rule: str | None,
    at: datetime,
) -> Suspension | None:
    """Suspend `principal` from `at`; None when it already has an active suspension."""
    sql = (
        f"INSERT INTO {TABLE} (id, principal, since, reason, alert_id, rule) "
        "VALUES ($1, $2, $3, $4, $5::uuid, $6) "
        f"ON CONFLICT (principal) WHERE lifted_at IS NULL DO NOTHING RETURNING {COLUMNS}"
    )
    args = (uuid.uuid4(), principal, at, reason, alert_id, rule)
    return await _changed_and_notified(conn, sql, args)


async def lift(conn: Any, principal: str, by: str, note: str, at: datetime) -> Suspension | None:
    """Lift `principal`'s active suspension (`note` is kept in the table only); None when the
    principal is not suspended."""
    sql = (
        f"UPDATE {TABLE} SET lifted_at = $2, lifted_by = $3, lift_note = $4 "
        f"WHERE principal = $1 AND lifted_at IS NULL RETURNING {COLUMNS}"
    )
    return await _changed_and_notified(conn, sql, (principal, at, by, note))


async def last_lift(conn: Any, principal: str) -> datetime | None:
    """When `principal`'s latest suspension was lifted; None when none ever was."""
    value = await _converted(
        conn.fetchval(f"SELECT max(lifted_at) FROM {TABLE} WHERE principal = $1", principal)
    )
    return value if isinstance(value, datetime) else None


async def active_suspensions(conn: Any) -> list[Suspension]:
    """Every suspension not lifted, oldest first."""
    sql = f"SELECT {COLUMNS} FROM {TABLE} WHERE lifted_at IS NULL ORDER BY since, principal"
    rows = await _converted(conn.fetch(sql))
    return [suspension_of_row(row) for row in rows]


async def _changed_and_notified(conn: Any, sql: str, args: tuple[object, ...]) -> Suspension | None:
    async def change() -> Any:
        async with conn.transaction():  # a savepoint inside a caller's transaction
            row = await conn.fetchrow(sql, *args)
            if row is not None:
                await conn.execute("SELECT pg_notify($1, '')", SUSPENSIONS_CHANNEL)
            return row

    row = await _converted(change())
    return None if row is None else suspension_of_row(row)


async def _converted(work: Any) -> Any:
    """Await `work` on the store; its failures as the project's errors."""
    try:
        return await work
    except asyncpg.PostgresError as exc:
        raise from_postgres_error(exc, scrub=True) from None
    except (OSError, asyncpg.InterfaceError) as exc:
        raise UpstreamUnavailable(f"the audit store is unreachable: {type(exc).__name__}") from None


def suspension_of_row(row: Mapping[str, Any]) -> Suspension:
    alert_id = row["alert_id"]
    return Suspension(
        id=str(row["id"]),
        principal=row["principal"],
        since=row["since"],
        reason=row["reason"],
        alert_id=None if alert_id is None else str(alert_id),
        rule=row["rule"],
        lifted_at=row["lifted_at"],
        lifted_by=row["lifted_by"],
    )


class SuspensionBook:
    """The active suspensions as this instance knows them (a `SuspensionGate`). A reload
    builds a new dict and swaps it in whole."""

    def __init__(self, suspensions: Iterable[Suspension] = ()) -> None:
        self._by_principal: dict[str, Suspension] = {}
        self.replace(suspensions)

    def suspension_of(self, principal: str) -> Suspension | None:
        return self._by_principal.get(principal)

    def replace(self, suspensions: Iterable[Suspension]) -> None:
        self._by_principal = {s.principal: s for s in suspensions if s.lifted_at is None}

    def principals(self) -> tuple[str, ...]:
        return tuple(sorted(self._by_principal))


class SuspensionWatch:
    """The state the watch's two tasks share: the book, and a nudge to reload it."""

    def __init__(self, book: SuspensionBook, connect: StoreConnect, poll_s: float) -> None:
        self.book = book
        self.connections = 0  # listening connections opened so far
        self.reloads = 0  # successful reloads so far
        self._connect = connect
        self._poll_s = poll_s
        self._changed = asyncio.Event()
        self._failing = False

    async def reload(self) -> bool:
        """Read the active set into the book; on failure keep the last one (False)."""
        try:
            async with self._connect() as conn:
                active = await active_suspensions(conn)
        except Exception as exc:  # the watch outlives the store's failures
            if not self._failing:
                log.warning(
                    "suspension watch: cannot read the suspensions (%s); enforcing the last "
                    "known set (%d principals) and retrying every %.0f s",
                    error_kind(exc),
                    len(self.book.principals()),
                    self._poll_s,
                )
            self._failing = True
            return False
        if self._failing:
            log.info("suspension watch: the suspensions can be read again")
        self._failing = False
        self.book.replace(active)
        self.reloads += 1
        return True

    async def reload_on_change(self) -> None:
        """Reload on each notification, and every `poll_s` whatever happens."""
        while True:
            try:
                async with asyncio.timeout(self._poll_s):
                    await self._changed.wait()
            except TimeoutError:
                pass
            self._changed.clear()  # before reading: a notice during the reload reloads again
            await self.reload()

    async def listen(self, dsn: str) -> None:
        await listen_forever(
            lambda: listening(
                dsn,
                SUSPENSIONS_CHANNEL,
                self._changed.set,  # anyone may NOTIFY the channel: it only causes a reload
                APPLICATION_NAME,
                CONNECT_TIMEOUT_S,
            ),
            self._after_connecting,
            "suspension watch",
            "suspensions",
        )

    async def _after_connecting(self, conn: Any) -> None:
        self.connections += 1
        self._changed.set()  # a change before LISTEN (or while away) went unheard


@asynccontextmanager
async def watching_suspensions(
    book: SuspensionBook,
    connect: StoreConnect,
    listen_dsn: str | None,
    poll_s: float = 5.0,
) -> AsyncIterator[SuspensionWatch]:
    """Keep `book` current for the block: loaded before it starts (or empty, with a warning,
    when the store cannot be read), reloaded on each notice when `listen_dsn` is given (the
    audit store's database) and every `poll_s`. Tasks are cancelled and awaited on the way out."""
    watch = SuspensionWatch(book, connect, poll_s)
    if not await watch.reload():
        log.warning(
            "suspension watch: starting with NO suspensions enforced until the store can be read"
        )
    tasks = [asyncio.create_task(watch.reload_on_change(), name="palata-suspensions-reload")]
    if listen_dsn is not None:
        listening = watch.listen(listen_dsn)
        tasks.append(asyncio.create_task(listening, name="palata-suspensions-listen"))
    try:
        yield watch
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def measure_record(
    instance: str,
    at: datetime,
    actor_principal: str,
    roles: tuple[str, ...],
    kind: str,
    target: str,
    alert_id: str | None,
    rule: str | None,
) -> AuditRecord:
    """The audit record of a measure: `kind` is e.g. `principal_suspended`, `suspension_lifted`
    or `alert_acknowledged`; `target` the principal (or alert) it concerns. It reads no data
    subject's rows, so it names none."""
    return AuditRecord(
        id=str(uuid.uuid4()),
        instance=instance,
        at=at,
        door="watch",
        principal=actor_principal,
        app=None,
        roles=roles,
        purpose=None,
        client=None,
        kind=kind,
        sql=None,
        fingerprint=None,
        params=(),
        access=(),
        row_filters=(),
        rows=None,
        duration_ms=0.0,
        outcome="served",
        sqlstate=None,
        reason=None,
        subjects=(),
        subject_count=0,
        extra={"target": target, "alert": alert_id, "rule": rule},
    )
