"""The detector on a real PostgreSQL, with a clock the test sets: alerts once per dedup key,
restarts that neither re-alert nor skip, instances sharing one store, a failing rule that
waits for the next tick, the settle delay, outputs, suspensions, the dry-run replay, and the
background task that ticks through outages."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from proxy.audit.schema import CREATE_SCHEMA, create_partition
from proxy.audit.store import AUDIT_APPLICATION
from proxy.watch.config import Calendar, RuleContext
from proxy.watch.engine import Detector
from proxy.watch.evaluate import replay
from proxy.watch.model import Action, Alert, Finding, RuleQuery, TimeRange
from proxy.watch.rules import bulk_read
from proxy.watch.running import backoff, running_detector
from proxy.watch.schema import WATCH_LOCK_KEY
from proxy.watch.store import ensure_watch_schema, evaluated_to, stored_to
from proxy.watch.suspensions import lift, suspend
from tests.watch.records import RecordRow, subjects
from tests.watch.records import insert_records as insert_rows

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SETTLE = timedelta(seconds=5)
WATCH_TABLES = ("alerts", "detector_state", "principal_seen", "suspensions")
_seq = itertools.count(1)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float) -> Clock:
        self.now = T0 + timedelta(seconds=seconds)
        return self


# what novelty does: note each principal's purposes as the query reads the records
SEEN = (
    "INSERT INTO palata_audit.principal_seen SELECT principal, 'purpose', "
    "coalesce(purpose, '-'), min(at), max(at) FROM palata_audit.records "
    "WHERE at > $1 AND at <= $2 GROUP BY 1, 3 ON CONFLICT DO NOTHING RETURNING 1"
)


@dataclass
class ServedCount:
    """A test rule: at least `threshold` served records by one principal in the span; one
    alert per principal and hour. It keeps the spans it was asked for; the flags make it fail
    in the ways a rule can."""

    name: str = "served_count"
    threshold: int = 3
    action: Action = "alert"
    records_seen: bool = False  # SEEN as well
    broken: bool = False
    crash: bool = False
    slow: bool = False  # sleeps past the tick's statement timeout
    terminate: bool = False  # ends its own connection, as a store going away would
    runs_every: timedelta = timedelta(0)
    spans: list[TimeRange] = field(default_factory=list)

    @property
    def every(self) -> timedelta:
        return self.runs_every

    @property
    def lookback(self) -> timedelta:
        return timedelta(0)

    def query(self, span: TimeRange) -> RuleQuery:
        self.spans.append(span)
        table = "palata_audit.no_such_table" if self.broken else "palata_audit.records"
        side = [  # run once, joined to the count
            *(["SELECT pg_sleep(5)"] if self.slow else []),
            *(["SELECT pg_terminate_backend(pg_backend_pid())"] if self.terminate else []),
        ]
        ctes = [f"seen AS ({SEEN})"] if self.records_seen else []
        ctes += [f"side{i} AS MATERIALIZED ({q})" for i, q in enumerate(side)]
        joined = "".join(f", side{i}" for i in range(len(side)))
        sql = (
            (f"WITH {', '.join(ctes)} " if ctes else "")
            + "SELECT principal, count(*) AS n, min(at) AS first_at, max(at) AS last_at, "
            f"array_agg(id ORDER BY at) AS ids FROM {table} r{joined} "
            "WHERE at > $1 AND at <= $2 AND outcome = 'served' GROUP BY principal "
            "HAVING count(*) >= $3 ORDER BY principal"
        )
        return RuleQuery(sql, (span.start, span.end, self.threshold))

    def findings(self, rows: Sequence[Mapping[str, Any]]) -> list[Finding]:
        if self.crash:
            raise ValueError("a bug in the rule")
        return [self._finding(row) for row in rows]

    def _finding(self, row: Mapping[str, Any]) -> Finding:
        return Finding(
            rule=self.name,
            severity="high",
            action=self.action,
            actor=row["principal"],
            window_start=row["first_at"],
            window_end=row["last_at"],
            bucket=row["last_at"].replace(minute=0, second=0, microsecond=0),
            measure={"records": row["n"], "threshold": self.threshold},
            record_ids=tuple(row["ids"][:50]),
            summary=f"{row['n']} served records (threshold {self.threshold})",
        )


async def insert_records(conn: Any, principal: str, at_s: float, n: int = 3) -> None:
    """`n` served records by `principal`, `at_s` seconds after T0 (a millisecond apart)."""
    for i in range(n):
        seq = next(_seq)
        await conn.execute(
            "INSERT INTO palata_audit.records (instance, seq, id, at, door, principal, roles, "
            "kind, params, access, row_filters, duration_ms, outcome, subjects, gaps, extra, "
            "prev_hash, hash, signature) VALUES ('test-1', $1, $2, $3, 'http', $4, "
            "'{collector}', 'select', '{}', '[]', '{}', 1, 'served', '{}', '[]', '{}', '', '', '')",
            seq,
            f"rec-{seq}",
            T0 + timedelta(seconds=at_s, milliseconds=i),
            principal,
        )


async def snapshot(conn: Any) -> dict[str, list[str]]:
    return {
        table: sorted(
            r["row"] for r in await conn.fetch(f"SELECT t::text AS row FROM palata_audit.{table} t")
        )
        for table in WATCH_TABLES
    }


async def alert_keys(conn: Any) -> list[str]:
    return [r["dedup_key"] for r in await conn.fetch("SELECT dedup_key FROM palata_audit.alerts")]


@pytest.fixture
async def conn(fresh_dsn: str) -> AsyncIterator[Any]:
    connection = await asyncpg.connect(fresh_dsn)
    await connection.execute(CREATE_SCHEMA + create_partition(date(2026, 11, 1)))
    await ensure_watch_schema(connection)
    tables = ", ".join(f"palata_audit.{t}" for t in ("records", *WATCH_TABLES))
    await connection.execute(f"TRUNCATE {tables} CASCADE")
    try:
        yield connection
    finally:
        await connection.close()


def detector(*rules: ServedCount, clock: Clock, **options: Any) -> Detector:
    return Detector(rules or [ServedCount()], "proxy-1", clock, SETTLE, **options)


# --- scenarios: steps of records and ticks, and the actors each tick newly alerts on ---------


@dataclass(frozen=True)
class Insert:
    principal: str
    at_s: float


@dataclass(frozen=True)
class Tick:
    at_s: float
    expect: tuple[str, ...] = ()
    restart: bool = False  # a new Detector on the same store, as after a restart


SCENARIOS = [
    pytest.param(
        [Tick(0), Insert("alice", 1), Tick(10, ("alice",)), Insert("alice", 11), Tick(20)],
        id="once-per-key-across-two-ticks",
    ),
    pytest.param(
        [Tick(0), Insert("alice", 1), Tick(10, ("alice",)), Insert("alice", 3601),
         Tick(3610, ("alice",))],
        id="again-in-the-next-cooldown-bucket",
    ),
    pytest.param(
        [Insert("alice", -60), Tick(0), Tick(10), Insert("bob", 11), Tick(20, ("bob",))],
        id="first-run-does-not-alert-on-history",
    ),
    pytest.param(
        [Tick(0), Insert("alice", 1), Tick(10, ("alice",)), Insert("bob", 12),
         Tick(30, ("bob",), restart=True), Tick(40, restart=True)],
        id="restart-neither-re-alerts-nor-skips",
    ),
    pytest.param(
        [Tick(0), Insert("alice", 8), Tick(10), Tick(12), Tick(14, ("alice",))],
        id="records-younger-than-settle-wait",
    ),
    pytest.param(
        [Tick(0), Insert("alice", 4.998), Tick(10, ("alice",))],
        id="a-record-at-the-end-of-the-span-is-in-it",
    ),
]  # fmt: skip


@pytest.mark.parametrize("steps", SCENARIOS)
async def test_ticks_alert_on_new_records_once(conn: Any, steps: list[Insert | Tick]) -> None:
    clock, rule = Clock(), ServedCount()
    unbounded = timedelta(days=1)  # each tick looks at all that is new (catching up: below)
    current = detector(rule, clock=clock, max_span=unbounded)
    for step in steps:
        if isinstance(step, Insert):
            await insert_records(conn, step.principal, step.at_s)
            continue
        current = detector(rule, clock=clock, max_span=unbounded) if step.restart else current
        clock.at(step.at_s)
        alerts = await current.tick(conn)
        assert tuple(a.finding.actor for a in alerts) == step.expect, step
    # the spans evaluated tile the time without a gap or an overlap
    assert all(a.end == b.start for a, b in itertools.pairwise(rule.spans))


async def test_records_arriving_after_their_time_was_evaluated_are_looked_at(conn: Any) -> None:
    clock, rule = Clock(), ServedCount()
    current = detector(rule, clock=clock.at(0))
    await current.tick(conn)
    assert await current.tick(conn) == []  # (T0 - settle, T0 + 5 s] evaluated, nothing there
    clock.at(60)
    assert await current.tick(conn) == []
    # a long statement (or the spool after an outage): its records land now, `at` long past
    await conn.execute("UPDATE palata_audit.detector_state SET stored_to = now() - interval '1m'")
    await insert_records(conn, "alice", 2)
    await conn.execute("UPDATE palata_audit.records SET stored_at = now() - interval '10s'")
    alerts = await current.tick(conn)
    assert [a.finding.actor for a in alerts] == ["alice"]
    assert rule.spans[-1].start < T0 + timedelta(seconds=2) <= rule.spans[-1].end
    assert await current.tick(conn) == []  # looked at once


async def test_a_rule_that_runs_less_often_waits_for_its_range_to_grow(conn: Any) -> None:
    clock, rule = Clock(), ServedCount(runs_every=timedelta(minutes=1))
    current = detector(rule, clock=clock.at(0))
    await current.tick(conn)
    await insert_records(conn, "alice", 1)
    ran = []
    for seconds in (10, 20, 30, 40, 50, 60, 70):
        alerts = await current.tick(conn) if clock.at(seconds) else []
        ran.append((seconds, [a.finding.actor for a in alerts]))
    assert ran[:5] == [(s, []) for s in (10, 20, 30, 40, 50)]
    assert ran[5] == (60, ["alice"]) and len(rule.spans) == 1
    assert rule.spans[0] == TimeRange(T0 - SETTLE, T0 + timedelta(seconds=55))


async def test_a_rule_that_runs_less_often_than_the_step_still_runs(conn: Any) -> None:
    clock, rule = Clock(), ServedCount(runs_every=timedelta(hours=1))
    current = detector(rule, clock=clock.at(0), max_span=timedelta(minutes=15))
    await current.tick(conn)
    for minutes in range(10, 190, 10):
        await current.tick(conn) if clock.at(minutes * 60) else None
    assert [span.end - span.start for span in rule.spans] == [timedelta(hours=1)] * 3


@pytest.mark.parametrize("writes_first", [True, False], ids=["written-then-held", "read-first"])
async def test_an_audit_writers_transaction_open_across_a_tick_is_looked_at(
    conn: Any, fresh_dsn: str, writes_first: bool
) -> None:
    clock, rule = Clock(), ServedCount()
    current = Detector([rule], "proxy-1", clock.at(0), timedelta(0))  # settle on the store too
    await current.tick(conn)
    clock.at(60)
    writer = await asyncpg.connect(
        fresh_dsn, server_settings={"application_name": AUDIT_APPLICATION}
    )
    try:
        async with writer.transaction():  # the spool replaying: its records not yet visible
            if writes_first:
                await insert_records(writer, "alice", 1)
            else:  # it reads what the store holds first, then inserts
                await writer.fetchval("SELECT count(*) FROM palata_audit.records")
            await asyncio.sleep(0.05)
            assert await current.tick(conn) == []
            if not writes_first:
                await insert_records(writer, "alice", 1)
        late = await current.tick(conn)  # committed now, `at` long evaluated
    finally:
        await writer.close()
    assert [a.finding.actor for a in late] == ["alice"]


async def test_another_sessions_open_transaction_does_not_hold_the_watermark(
    conn: Any, fresh_dsn: str
) -> None:
    current = Detector([ServedCount()], "proxy-1", Clock().at(0), timedelta(0))
    other = await asyncpg.connect(fresh_dsn)  # say, an administrator's psql left in a write
    try:
        async with other.transaction():
            await other.fetchval("SELECT txid_current()")  # it has written: it holds an xid
            began = await other.fetchval("SELECT now()")
            await asyncio.sleep(0.05)
            await current.tick(conn)
            held = await stored_to(conn, "served_count")
    finally:
        await other.close()
    assert held is not None and held > began


async def test_records_arriving_days_late_are_evaluated_a_step_at_a_time(conn: Any) -> None:
    clock, rule = Clock(), ServedCount()
    step = timedelta(minutes=15)
    current = detector(rule, clock=clock.at(0), max_span=step)
    await current.tick(conn)
    clock.at(3600)
    for _ in range(4):
        await current.tick(conn)
    await conn.execute("UPDATE palata_audit.detector_state SET stored_to = now() - interval '1m'")
    await insert_records(conn, "alice", -2 * 24 * 3600)  # two days before T0
    await conn.execute("UPDATE palata_audit.records SET stored_at = now() - interval '10s'")
    rule.spans.clear()
    alerts = await current.tick(conn)
    assert [a.finding.actor for a in alerts] == ["alice"]
    assert max(span.end - span.start for span in rule.spans) <= step
    assert all(a.end == b.start for a, b in itertools.pairwise(rule.spans))


async def test_a_rule_behind_catches_up_one_max_span_a_tick(conn: Any) -> None:
    clock, rule = Clock(), ServedCount()
    current = detector(rule, clock=clock.at(0), max_span=timedelta(minutes=15))
    await current.tick(conn)
    await insert_records(conn, "alice", 1800)  # half an hour after the watermark
    clock.at(3600)  # the store was away for an hour: the rule catches up 15 minutes a tick
    alerts = [tuple(a.finding.actor for a in await current.tick(conn)) for _ in range(3)]
    assert alerts == [(), (), ("alice",)]
    assert [(b.end - b.start) for b in rule.spans][-3:] == [timedelta(minutes=15)] * 3


async def test_the_first_run_starts_at_now_minus_settle(conn: Any) -> None:
    await detector(clock=Clock().at(0)).tick(conn)
    assert await evaluated_to(conn, "served_count") == T0 - SETTLE


# --- several instances on one store ----------------------------------------------------------


async def test_an_instance_skips_the_tick_while_another_holds_the_lock(
    conn: Any, fresh_dsn: str
) -> None:
    clock = Clock().at(0)
    await detector(clock=clock).tick(conn)
    await insert_records(conn, "alice", 1)
    other = await asyncpg.connect(fresh_dsn)
    try:
        async with other.transaction():
            await other.execute("SELECT pg_advisory_xact_lock($1)", WATCH_LOCK_KEY)
            assert await detector(clock=clock.at(10)).tick(conn) == []
            assert await evaluated_to(conn, "served_count") == T0 - SETTLE
        alerts = await detector(clock=clock).tick(conn)
    finally:
        await other.close()
    assert [a.finding.actor for a in alerts] == ["alice"]


@pytest.mark.parametrize("instances", [2, 5])
async def test_instances_ticking_together_alert_once(
    conn: Any, fresh_dsn: str, instances: int
) -> None:
    clock = Clock().at(0)
    await detector(clock=clock).tick(conn)
    for principal in ("alice", "bob", "carol"):
        await insert_records(conn, principal, 1)
    clock.at(10)
    conns = [await asyncpg.connect(fresh_dsn) for _ in range(instances)]
    try:
        detectors = [
            Detector([ServedCount()], f"proxy-{i}", clock, SETTLE) for i in range(instances)
        ]
        results = await asyncio.gather(*(d.tick(c) for d, c in zip(detectors, conns, strict=True)))
    finally:
        for c in conns:
            await c.close()
    raised = sorted(a.finding.actor for alerts in results for a in alerts)
    assert raised == ["alice", "bob", "carol"]
    assert sorted(await alert_keys(conn)) == sorted(a.finding.dedup_key for r in results for a in r)


# --- a failing rule ---------------------------------------------------------------------------


@pytest.mark.parametrize("failing_first", [True, False], ids=["failing-first", "failing-last"])
@pytest.mark.parametrize(
    "failure", ["broken", "crash", "slow"], ids=["sql-error", "python-error", "timeout"]
)
async def test_a_failing_rule_keeps_its_watermark_and_others_go_on(
    conn: Any, failure: str, failing_first: bool
) -> None:
    flaky, steady = ServedCount(name="flaky"), ServedCount(name="steady")
    rules = (flaky, steady) if failing_first else (steady, flaky)
    clock, timeout = Clock().at(0), timedelta(milliseconds=200)
    await detector(*rules, clock=clock).tick(conn)
    await insert_records(conn, "alice", 1)
    setattr(flaky, failure, True)
    alerts = await detector(*rules, clock=clock.at(10), statement_timeout=timeout).tick(conn)
    assert [(a.finding.rule, a.finding.actor) for a in alerts] == [("steady", "alice")]
    assert await evaluated_to(conn, "flaky") == T0 - SETTLE
    assert await evaluated_to(conn, "steady") == T0 + timedelta(seconds=5)
    setattr(flaky, failure, False)
    await insert_records(conn, "bob", 11)
    alerts = await detector(*rules, clock=clock.at(20)).tick(conn)
    found = sorted((a.finding.rule, a.finding.actor) for a in alerts)
    assert found == [("flaky", "alice"), ("flaky", "bob"), ("steady", "bob")]
    assert flaky.spans[-1] == TimeRange(T0 - SETTLE, T0 + timedelta(seconds=15))


async def test_a_store_going_away_fails_the_whole_tick(conn: Any, fresh_dsn: str) -> None:
    steady, dying = ServedCount(name="steady"), ServedCount(name="dying")
    clock = Clock().at(0)
    await detector(steady, dying, clock=clock).tick(conn)
    await insert_records(conn, "alice", 1)
    dying.terminate = True
    lost = await asyncpg.connect(fresh_dsn)
    with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError)):
        await detector(steady, dying, clock=clock.at(10)).tick(lost)
    assert lost.is_closed()
    assert await alert_keys(conn) == []  # steady's alert went with the transaction
    assert await evaluated_to(conn, "steady") == T0 - SETTLE
    dying.terminate = False
    alerts = await detector(steady, dying, clock=clock).tick(conn)
    assert sorted(a.finding.rule for a in alerts) == ["dying", "steady"]


# --- outputs and suspensions ------------------------------------------------------------------


class Outputs:
    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.calls: list[list[str]] = []

    def raised(self, alerts: Sequence[Alert]) -> None:
        self.calls.append([a.finding.actor for a in alerts])
        if self.fail:
            raise RuntimeError("webhook queue exploded")


@pytest.mark.parametrize("fail", [False, True], ids=["outputs-ok", "outputs-raise"])
async def test_outputs_hear_of_new_alerts_only(conn: Any, fail: bool) -> None:
    outputs, clock = Outputs(fail), Clock().at(0)
    run = detector(clock=clock, outputs=outputs)
    await run.tick(conn)
    await insert_records(conn, "alice", 1)
    assert [a.finding.actor for a in await run.tick(conn)] == []  # clock still at 0
    assert [
        a.finding.actor for a in await detector(clock=clock.at(10), outputs=outputs).tick(conn)
    ] == ["alice"]
    await insert_records(conn, "alice", 11)
    await insert_records(conn, "bob", 12)
    assert [a.finding.actor for a in await run.tick(conn)] == []  # clock unchanged: nothing
    clock.at(20)
    assert [a.finding.actor for a in await run.tick(conn)] == ["bob"]
    assert outputs.calls == [["alice"], ["bob"]]
    assert await evaluated_to(conn, "served_count") == T0 + timedelta(seconds=15)


@pytest.mark.parametrize(
    ("suspend_fails", "alerts_after_first", "suspended"),
    [
        pytest.param(False, ["alice"], ["alice"], id="suspended-with-its-alert"),
        pytest.param(True, [], [], id="failed-suspension-rolls-back-the-alert"),
    ],
)
async def test_a_suspending_rule_suspends_in_the_same_transaction(
    conn: Any, suspend_fails: bool, alerts_after_first: list[str], suspended: list[str]
) -> None:
    seen: list[tuple[str, str]] = []

    async def on_suspend(tx: Any, finding: Finding, alert: Alert) -> None:
        seen.append((finding.actor, alert.id))
        await tx.execute(
            "INSERT INTO palata_audit.suspensions (id, principal, since, reason, alert_id, rule) "
            "VALUES (gen_random_uuid(), $1, $2, 'test', $3::uuid, $4)",
            finding.actor,
            alert.created_at,
            alert.id,
            finding.rule,
        )
        if suspend_fails:
            raise RuntimeError("suspension refused")

    clock = Clock().at(0)
    run = detector(ServedCount(action="suspend"), clock=clock, on_suspend=on_suspend)
    await run.tick(conn)
    await insert_records(conn, "alice", 1)
    clock.at(10)
    alerts = await run.tick(conn)
    assert [a.finding.actor for a in alerts] == alerts_after_first
    assert seen and seen[0][0] == "alice"
    rows = await conn.fetch("SELECT principal FROM palata_audit.suspensions")
    assert [r["principal"] for r in rows] == suspended
    watermark = await evaluated_to(conn, "served_count")
    assert watermark == (T0 - SETTLE if suspend_fails else T0 + timedelta(seconds=5))


async def test_after_a_lift_new_reads_in_the_same_period_suspend_again(conn: Any) -> None:
    async def on_suspend(tx: Any, finding: Finding, alert: Alert) -> None:
        await suspend(tx, finding.actor, "test", alert.id, finding.rule, alert.created_at)

    clock = Clock().at(0)
    run = detector(ServedCount(action="suspend"), clock=clock, on_suspend=on_suspend)
    await run.tick(conn)
    await insert_records(conn, "alice", 1)
    clock.at(10)
    first = await run.tick(conn)
    await insert_records(conn, "alice", 15)  # more reads before the lift, not yet evaluated
    await lift(conn, "alice", "dpo", "agreed", T0 + timedelta(seconds=20))
    clock.at(30)
    assert await run.tick(conn) == [], "reads from before the lift do not suspend again"
    await insert_records(conn, "alice", 40)  # a new export, within the same hour
    clock.at(50)
    again = await run.tick(conn)
    assert [a.finding.actor for a in first] == ["alice"]
    assert [a.finding.actor for a in again] == ["alice"]
    assert again[0].finding.bucket == T0 + timedelta(seconds=20)  # a period begins at the lift
    active = await conn.fetch(
        "SELECT principal FROM palata_audit.suspensions WHERE lifted_at IS NULL"
    )
    assert [r["principal"] for r in active] == ["alice"]


async def test_a_late_record_does_not_hide_a_new_export_after_a_lift(conn: Any) -> None:
    async def on_suspend(tx: Any, finding: Finding, alert: Alert) -> None:
        await suspend(tx, finding.actor, "test", alert.id, finding.rule, alert.created_at)

    settings = {"roles": ["collector"], "window": "1m", "distinct_subjects": 50}
    rule = bulk_read.build("bulk_read", {**settings, "action": "suspend", "rationale": "x" * 20},
                           RuleContext(ZoneInfo("Asia/Almaty"), Calendar()))  # fmt: skip
    clock = Clock()
    run = detector(rule, clock=clock.at(0), on_suspend=on_suspend)  # type: ignore[arg-type]
    await run.tick(conn)
    await insert_rows(conn, [RecordRow(T0 + timedelta(seconds=1), subjects=subjects(200))])
    first = await run.tick(conn) if clock.at(10) else []
    minutes = timedelta(minutes=1)
    await lift(conn, "collector", "dpo", "agreed", T0 + 10 * minutes)
    for _ in range(2):
        await run.tick(conn) if clock.at(20 * 60) else None
    # a new export at 12 minutes, and a record of the first one, both land late: one range
    # (T0, T0 + 15 min] now holds the export the officer judged and the new one
    await conn.execute("UPDATE palata_audit.detector_state SET stored_to = now() - interval '1m'")
    await insert_rows(conn, [RecordRow(T0 + 12 * minutes, subjects=subjects(60, 500))])
    await insert_rows(conn, [RecordRow(T0 + timedelta(seconds=2), subjects=subjects(1, 900))])
    await conn.execute("UPDATE palata_audit.records SET stored_at = now() - interval '10s'")
    again = await run.tick(conn) if clock.at(21 * 60) else []
    assert [a.finding.actor for a in first] == ["collector"]
    assert [(a.finding.actor, a.finding.measure["distinct_subjects"]) for a in again] == [
        ("collector", 60)
    ]


# --- replay -----------------------------------------------------------------------------------


async def test_replay_finds_once_per_key_and_leaves_no_trace(conn: Any) -> None:
    clock = Clock().at(0)
    await detector(clock=clock).tick(conn)
    await insert_records(conn, "alice", 1)
    await detector(clock=clock.at(10)).tick(conn)
    for principal, at_s in (("bob", -30), ("bob", 20), ("carol", 3700)):
        await insert_records(conn, principal, at_s)
    before = await snapshot(conn)
    twice = ServedCount(records_seen=True)
    span = TimeRange(T0 - timedelta(hours=1), T0 + timedelta(hours=2))
    findings = await replay(conn, [twice, twice], span)
    assert sorted(f.dedup_key.split("|")[1] for f in findings) == ["alice", "bob", "carol"]
    assert await snapshot(conn) == before
    assert await conn.fetchval("SELECT count(*) FROM palata_audit.principal_seen") == 0


# --- running in the background ----------------------------------------------------------------


class CountingTicks:
    def __init__(self, block: asyncio.Event | None = None) -> None:
        self.ticks = 0
        self.enough = asyncio.Event()
        self.block = block

    async def tick(self, conn: Any) -> list[Alert]:
        if self.block is not None:
            await self.block.wait()
        self.ticks += 1
        if self.ticks >= 3:
            self.enough.set()
        return []


def flaky_connect(failures: int) -> Any:
    attempts = itertools.count()

    @asynccontextmanager
    async def connect() -> AsyncIterator[Any]:
        if next(attempts) < failures:
            raise OSError("connection refused")
        yield object()

    return connect


@pytest.mark.parametrize(
    ("store_failures", "before_tick_fails"),
    [
        pytest.param(0, False, id="healthy"),
        pytest.param(3, False, id="store-down-for-three-ticks"),
        pytest.param(0, True, id="before-tick-fails"),
    ],
)
async def test_the_background_task_ticks_through_failures(
    store_failures: int, before_tick_fails: bool
) -> None:
    ticking, prepared = CountingTicks(), []

    async def before_tick() -> None:
        prepared.append(1)
        if before_tick_fails:
            raise RuntimeError("facts unavailable")

    connect = flaky_connect(store_failures)
    async with running_detector(ticking, connect, 0.001, before_tick) as task:
        await asyncio.wait_for(ticking.enough.wait(), timeout=5)
        assert task.get_name() == "palata-detector"
    assert task.done()
    assert len(prepared) >= 3 + store_failures


async def test_leaving_the_block_cancels_a_tick_in_progress() -> None:
    ticking = CountingTicks(block=asyncio.Event())
    async with running_detector(ticking, flaky_connect(0), 0.001) as task:
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    assert task.cancelled() and ticking.ticks == 0


@pytest.mark.parametrize(
    ("interval", "failures", "wait"),
    [
        (10.0, 0, 10.0),
        (10.0, 1, 20.0),
        (10.0, 2, 40.0),
        (10.0, 3, 60.0),
        (10.0, 9, 60.0),
        (120.0, 2, 120.0),
        (1.0, 4, 16.0),
    ],
)
def test_backoff_doubles_up_to_a_minute(interval: float, failures: int, wait: float) -> None:
    assert backoff(interval, failures) == wait


async def test_the_background_task_raises_alerts_from_the_store(conn: Any, fresh_dsn: str) -> None:
    clock = Clock().at(0)
    outputs = Outputs(fail=False)
    run = detector(clock=clock, outputs=outputs)
    await run.tick(conn)
    await insert_records(conn, "alice", 1)
    clock.at(10)
    pool = await asyncpg.create_pool(fresh_dsn, min_size=1, max_size=2)
    try:
        async with running_detector(run, pool.acquire, 0.01):
            for _ in range(500):
                if outputs.calls:
                    break
                await asyncio.sleep(0.01)
    finally:
        await pool.close()
    assert outputs.calls == [["alice"]]


async def test_a_failure_looking_for_late_records_fails_that_rule_alone(
    conn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def times_out(*args: Any) -> None:
        await conn.execute("SELECT pg_sleep(0.1)")
        raise asyncpg.QueryCanceledError("canceling statement due to statement timeout")

    failed: list[str] = []
    clock = Clock().at(0)
    current = detector(ServedCount(), clock=clock, on_rule_failure=failed.append)
    await current.tick(conn)
    await insert_records(conn, "alice", 1)
    monkeypatch.setattr("proxy.watch.engine.first_late", times_out)
    assert await current.tick(conn) == [] if clock.at(10) else False
    assert failed == ["served_count"]
    assert await evaluated_to(conn, "served_count") == T0 - SETTLE
    monkeypatch.undo()
    assert [a.finding.actor for a in await current.tick(conn)] == ["alice"]
