"""The rules that count volume — bulk read (window and learned baseline), probing, breadth,
catalogue gaps — on a real PostgreSQL: records in, findings out, one table row per case."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from proxy.watch.config import Calendar, RuleContext
from proxy.watch.evaluate import evaluate
from proxy.watch.model import Finding, Rule, TimeRange
from proxy.watch.rules import breadth, bulk_read, bulk_read_baseline, catalogue_gap, probing
from proxy.watch.rules.common import RECORD_IDS_MAX, bucket_of
from tests.watch.records import (
    RecordRow,
    insert_records,
    subjects,
)

ALMATY = ZoneInfo("Asia/Almaty")
CONTEXT = RuleContext(ALMATY, Calendar())
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 15:00 in Almaty
SPAN = TimeRange(T0, T0 + timedelta(minutes=10))
RATIONALE = "a rationale long enough for the loader's minimum"
S = timedelta(seconds=1)


async def run(
    conn: asyncpg.Connection, rule: Rule, rows: list[RecordRow], span: TimeRange = SPAN
) -> list[Finding]:
    await insert_records(conn, rows)
    found = await evaluate(conn, [rule], span)
    for finding in found:
        assert finding.rule == rule.name
        assert len(finding.record_ids) <= RECORD_IDS_MAX
        assert finding.window_start <= finding.window_end
    return found


def one_each(at: datetime, count: int, step: timedelta = S, **fields: Any) -> list[RecordRow]:
    """`count` statements `step` apart from `at`, each reading one new subject."""
    return [RecordRow(at + n * step, subjects=subjects(1, n), **fields) for n in range(count)]


# ---- bulk read: distinct subjects per principal in a sliding window --------------------------

BULK = {"roles": ["collector"], "window": "1m", "distinct_subjects": 50, "rationale": RATIONALE}
M1 = T0 + timedelta(minutes=1)

BULK_CASES = [
    ("49 in a minute", one_each(M1, 49), []),
    ("exactly 50 in a minute", one_each(M1, 50), [("collector", 50, M1 + 49 * S)]),
    ("repeats count once", [RecordRow(M1 + n * S, subjects=subjects(10)) for n in range(30)], []),
    (
        "a window is (end - 1m, end]: 25 and 25 exactly a minute apart",
        [RecordRow(M1, subjects=subjects(25)), RecordRow(M1 + 60 * S, subjects=subjects(25, 25))],
        [],
    ),
    (
        "25 and 25 a hair less than a minute apart",
        [RecordRow(M1, subjects=subjects(25)), RecordRow(M1 + 59 * S, subjects=subjects(25, 25))],
        [("collector", 50, M1 + 59 * S)],
    ),
    (
        "the window straddles the span's start",
        [
            RecordRow(T0 - 30 * S, subjects=subjects(30)),
            RecordRow(T0 + S, subjects=subjects(20, 30)),
        ],
        [("collector", 50, T0 + S)],
    ),
    ("a burst wholly before the span is not this run's", one_each(T0 - 59 * S, 55), []),
    (
        "other roles are ignored",
        one_each(M1, 60, principal="hr", roles=("hr_officer",)),
        [],
    ),
    ("denied statements are not reads", one_each(M1, 60, outcome="denied"), []),
    (
        "one statement of 80 subjects",
        [RecordRow(M1, subjects=subjects(80))],
        [("collector", 80, M1)],
    ),
    (
        "one statement past the audit's subject cap counts its true count",
        [RecordRow(M1, subjects=subjects(10), subject_count=1200)],
        [("collector", 1200, M1)],
    ),
    (
        "a shape hiding its subjects counts its rows: 50",
        [RecordRow(M1, subject_count=None, rows=50)],
        [("collector", 50, M1)],
    ),
    (
        "a shape hiding its subjects counts its rows: 49",
        [RecordRow(M1, subject_count=None, rows=49)],
        [],
    ),
    (
        "rows of hidden shapes add up with the subjects seen in the window",
        [
            RecordRow(M1, subjects=subjects(30)),
            RecordRow(M1 + 30 * S, subject_count=None, rows=20),
        ],
        [("collector", 50, M1 + 30 * S)],
    ),
    (
        "and leave the window like any read",
        [
            RecordRow(M1, subject_count=None, rows=30),
            RecordRow(M1 + 60 * S, subjects=subjects(20)),
        ],
        [],
    ),
    (
        "two bursts in one cooldown hour alert once, at the strongest",
        [*one_each(M1, 50), RecordRow(M1 + 300 * S, subjects=subjects(70, 100))],
        [("collector", 70, M1 + 300 * S)],
    ),
    (
        "two principals, one finding each",
        one_each(M1, 50) + one_each(M1, 50, principal="collector2"),
        [("collector", 50, M1 + 49 * S), ("collector2", 50, M1 + 49 * S)],
    ),
]


@pytest.mark.parametrize(
    ("records", "expected"), [c[1:] for c in BULK_CASES], ids=[c[0] for c in BULK_CASES]
)
async def test_bulk_read(
    conn: asyncpg.Connection, records: list[RecordRow], expected: list[tuple[str, int, datetime]]
) -> None:
    rule = bulk_read.build("bulk_read", BULK, CONTEXT)
    found = await run(conn, rule, records)
    got = [(f.actor, _volume(f.measure), f.window_end) for f in found]
    assert got == expected
    for finding in found:
        assert finding.bucket == bucket_of(finding.window_end, timedelta(hours=1))
        assert finding.record_ids and "subjects" in finding.summary


def _volume(measure: Mapping[str, Any]) -> int:
    return int(measure.get("distinct_subjects", measure.get("rows", -1)))


async def test_bulk_read_keeps_fifty_record_ids_and_the_window(conn: asyncpg.Connection) -> None:
    rule = bulk_read.build("bulk_read", {**BULK, "severity": "high"}, CONTEXT)
    (found,) = await run(conn, rule, one_each(M1, 55, step=S / 2))
    assert len(found.record_ids) == RECORD_IDS_MAX
    assert found.window_start == found.window_end - timedelta(minutes=1)
    assert found.measure == {"distinct_subjects": 55, "threshold": 50, "window_s": 60}
    assert (found.severity, found.action, found.rule) == ("high", "alert", "bulk_read")
    assert rule.lookback == timedelta(minutes=1)


# ---- bulk read against the principal's own habit ---------------------------------------------

BASELINE = {"roles": ["collector"], "days": 14, "min_days": 5, "z": 3.0, "floor": 30}
BASELINE |= {"rationale": RATIONALE}
TODAY = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 11:00 in Almaty
TODAY_SPAN = TimeRange(datetime(2026, 11, 24, 19, 0, tzinfo=UTC), TODAY + timedelta(hours=1))


def habit(counts: list[int], first_days_ago: int = 1, **fields: Any) -> list[RecordRow]:
    """One statement a day, `counts[i]` subjects on the day `first_days_ago + i` days ago."""
    return [
        RecordRow(
            TODAY - timedelta(days=first_days_ago + i), subjects=subjects(n, 1000 * i), **fields
        )
        for i, n in enumerate(counts)
    ]


def today(count: int, **fields: Any) -> list[RecordRow]:
    return [RecordRow(TODAY, subjects=subjects(count, 99_000), **fields)]


STEADY = [20, 21, 19, 20, 22, 18, 20, 20, 21, 19]
BASELINE_CASES = [
    ("far above a steady habit", habit(STEADY) + today(100), [("collector", 100, 10)]),
    ("exactly at the floor", habit(STEADY) + today(30), [("collector", 30, 10)]),
    ("below the floor", habit(STEADY) + today(29), []),
    ("too little history", habit(STEADY[:4]) + today(100), []),
    ("history older than `days` is forgotten", habit(STEADY, first_days_ago=15) + today(100), []),
    ("within a wide habit", habit([10, 90] * 5) + today(150), []),
    ("other roles are ignored", habit(STEADY, roles=("hr",)) + today(100, roles=("hr",)), []),
]


@pytest.mark.parametrize(
    ("records", "expected"), [c[1:] for c in BASELINE_CASES], ids=[c[0] for c in BASELINE_CASES]
)
async def test_bulk_read_baseline(
    conn: asyncpg.Connection, records: list[RecordRow], expected: list[tuple[str, int, int]]
) -> None:
    rule = bulk_read_baseline.build("bulk_read_baseline", BASELINE, CONTEXT)
    found = await run(conn, rule, records, TODAY_SPAN)
    got = [(f.actor, f.measure["distinct_subjects"], f.measure["baseline_days"]) for f in found]
    assert got == expected
    for finding in found:  # one per local day: the bucket is Almaty's midnight
        assert finding.bucket == datetime(2026, 11, 24, 19, 0, tzinfo=UTC)
        assert finding.window_end == TODAY


# ---- probing: denied statements per actor in a sliding window ---------------------------------

PROBING = {"window": "1m", "denied": 20, "rationale": RATIONALE}
DENIED = {"outcome": "denied"}
SUSPENDED = T0 + timedelta(minutes=2)

PROBING_CASES = [
    ("19 denials in a minute", one_each(M1, 19, **DENIED), [], []),
    ("exactly 20 in a minute", one_each(M1, 20, **DENIED), [], [("collector", 20, M1 + 19 * S)]),
    (
        "a window is (end - 1m, end]: 10 and 10 exactly a minute apart",
        [RecordRow(M1, **DENIED)] * 10 + [RecordRow(M1 + 60 * S, **DENIED)] * 10,
        [],
        [],
    ),
    ("served statements are not denials", one_each(M1, 30), [], []),
    (
        "the window straddles the span's start",
        one_each(T0 - 10 * S, 20, **DENIED),
        [],
        [("collector", 20, T0 + 9 * S)],
    ),
    (
        "unauthenticated attempts are the client's",
        one_each(M1, 20, principal="(unauthenticated)", roles=(), client="10.9.9.9", **DENIED),
        [],
        [("client:10.9.9.9", 20, M1 + 19 * S)],
    ),
    (
        "two clients, ten each",
        one_each(M1, 10, principal="(unauthenticated)", client="10.9.9.9", **DENIED)
        + one_each(M1, 10, principal="(unauthenticated)", client="10.9.9.8", **DENIED),
        [],
        [],
    ),
    (
        "denials caused by a suspension are not probing",
        one_each(SUSPENDED, 30, **DENIED),
        [(SUSPENDED, None)],
        [],
    ),
    (
        "denials after the suspension was lifted are",
        one_each(SUSPENDED + 60 * S, 20, **DENIED),
        [(SUSPENDED, SUSPENDED + 30 * S)],
        [("collector", 20, SUSPENDED + 79 * S)],
    ),
    (
        "denials before the suspension are",
        one_each(SUSPENDED - 25 * S, 25, **DENIED),
        [(SUSPENDED, None)],
        [("collector", 25, SUSPENDED - S)],
    ),
]


@pytest.mark.parametrize(
    ("records", "suspensions", "expected"),
    [c[1:] for c in PROBING_CASES],
    ids=[c[0] for c in PROBING_CASES],
)
async def test_probing(
    conn: asyncpg.Connection,
    records: list[RecordRow],
    suspensions: list[tuple[datetime, datetime | None]],
    expected: list[tuple[str, int, datetime]],
) -> None:
    for since, lifted in suspensions:
        await conn.execute(
            "INSERT INTO palata_audit.suspensions (id, principal, since, reason, lifted_at,"
            " lifted_by) VALUES (gen_random_uuid(), 'collector', $1, 'test', $2::timestamptz,"
            " CASE WHEN $2::timestamptz IS NULL THEN NULL ELSE 'dpo' END)",
            since,
            lifted,
        )
    rule = probing.build("probing", PROBING, CONTEXT)
    found = await run(conn, rule, records)
    assert [(f.actor, f.measure["denied"], f.window_end) for f in found] == expected
    for finding in found:
        assert len(finding.record_ids) == finding.measure["denied"]


# ---- breadth: far more subjects than the role's peers ----------------------------------------

BREADTH = {"roles": ["collector"], "factor": 5.0, "min_peers": 3, "floor": 50}
BREADTH |= {"rationale": RATIONALE}


def reader(name: str, count: int, at: datetime = T0, role: str = "collector") -> RecordRow:
    return RecordRow(
        at, principal=name, roles=(role,), subjects=subjects(count, hash(name) % 10**6)
    )


PEERS = [reader("p1", 10), reader("p2", 12), reader("p3", 14)]
YESTERDAY = T0 - timedelta(days=1)

BREADTH_CASES = [
    ("five times the median", [*PEERS, reader("x", 60)], [("x", 60, 12.0)]),
    ("just under five times", [*PEERS, reader("x", 59)], []),
    ("under the floor", [reader("p1", 2), reader("p2", 2), reader("p3", 2), reader("x", 49)], []),
    ("too few peers", [*PEERS[:2], reader("x", 200)], []),
    ("other roles are no peers", [*PEERS[:2], reader("h", 1, role="hr"), reader("x", 200)], []),
    ("yesterday (local) does not count", [*PEERS, reader("x", 30, YESTERDAY), reader("x", 30)], []),
]


@pytest.mark.parametrize(
    ("records", "expected"), [c[1:] for c in BREADTH_CASES], ids=[c[0] for c in BREADTH_CASES]
)
async def test_breadth(
    conn: asyncpg.Connection, records: list[RecordRow], expected: list[tuple[str, int, float]]
) -> None:
    rule = breadth.build("breadth", BREADTH, CONTEXT)
    found = await run(conn, rule, records)
    got = [(f.actor, f.measure["distinct_subjects"], f.measure["peer_median"]) for f in found]
    assert got == expected
    for finding in found:
        assert finding.bucket == datetime(2026, 11, 24, 19, 0, tzinfo=UTC)  # Almaty midnight


# ---- catalogue gaps --------------------------------------------------------------------------

GAP = {"cooldown": "1h", "rationale": RATIONALE}


def gap(at: datetime, column: str = "public.notes.body", count: int = 3) -> RecordRow:
    return RecordRow(at, gaps=({"column": column, "entity": "iin", "count": count},))


GAP_CASES = [
    ("no gaps", [RecordRow(M1), RecordRow(M1 + S)], []),
    ("two statements, one column", [gap(M1), gap(M1 + S)], [("column:public.notes.body", 6, 2)]),
    (
        "two columns",
        [gap(M1), gap(M1, "public.notes.extra", 1)],
        [("column:public.notes.body", 3, 1), ("column:public.notes.extra", 1, 1)],
    ),
    (
        "two cooldown hours",
        [gap(T0 + S), gap(T0 + timedelta(hours=1, seconds=1))],
        [("column:public.notes.body", 3, 1), ("column:public.notes.body", 3, 1)],
    ),
]


@pytest.mark.parametrize(
    ("records", "expected"), [c[1:] for c in GAP_CASES], ids=[c[0] for c in GAP_CASES]
)
async def test_catalogue_gap(
    conn: asyncpg.Connection, records: list[RecordRow], expected: list[tuple[str, int, int]]
) -> None:
    rule = catalogue_gap.build("catalogue_gap", GAP, CONTEXT)
    span = TimeRange(T0, T0 + timedelta(hours=2))
    found = await run(conn, rule, records, span)
    got = [(f.actor, f.measure["findings"], f.measure["statements"]) for f in found]
    assert got == expected
    assert len({f.dedup_key for f in found}) == len(found)
    for finding in found:
        assert "iin" in finding.summary


async def test_breadth_over_a_rolling_period(conn: asyncpg.Connection) -> None:
    """`period = "1h"`: reads two hours before the range's end are outside it."""
    rule = breadth.build("breadth", {**BREADTH, "period": "1h"}, CONTEXT)
    early, late = T0 - timedelta(hours=2), T0 + timedelta(minutes=5)
    rows = [*PEERS, reader("x", 40, early), RecordRow(late, principal="x", subjects=subjects(60))]
    found = await run(conn, rule, rows)
    assert [(f.actor, f.measure["distinct_subjects"]) for f in found] == [("x", 60)]
    assert found[0].window_start == SPAN.end - timedelta(hours=1)


async def test_breadth_judges_every_local_day_of_a_replay(conn: asyncpg.Connection) -> None:
    rule = breadth.build("breadth", BREADTH, CONTEXT)
    days = [T0 - timedelta(days=n) for n in (2, 1, 0)]
    rows = [reader(name, count, at) for at in days for name, count in [("p1", 10), ("p2", 12)]]
    rows += [reader("p3", 14, at) for at in days] + [reader("x", 60, days[0]), reader("x", 70, T0)]
    found = await run(conn, rule, rows, TimeRange(days[0] - timedelta(hours=1), T0))
    got = [(f.actor, f.measure["distinct_subjects"], f.bucket) for f in found]
    midnight = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)  # of 2026-11-25 in Almaty
    assert got == [("x", 60, midnight - timedelta(days=2)), ("x", 70, midnight)]
