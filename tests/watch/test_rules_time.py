"""The rules that judge time — off hours against the working calendar in Asia/Almaty, and the
local day the day rules count in — on a real PostgreSQL, one table row per case."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from proxy.watch.config import Calendar, RuleContext
from proxy.watch.evaluate import evaluate
from proxy.watch.model import TimeRange
from proxy.watch.rules import bulk_read_baseline, off_hours
from proxy.watch.rules.common import bucket_of, day_start, local_day
from tests.watch.records import (
    RecordRow,
    insert_records,
    subjects,
)

ALMATY = ZoneInfo("Asia/Almaty")  # UTC+5
HOLIDAY = date(2026, 12, 16)  # Independence Day, a Wednesday
WORKING_SATURDAY = date(2026, 11, 28)  # a transferred working day (for the test)
CALENDAR = Calendar(
    workdays=(1, 2, 3, 4, 5),
    hours=(time(9), time(19)),
    holidays=(HOLIDAY,),
    extra_workdays=(WORKING_SATURDAY,),
)
CONTEXT = RuleContext(ALMATY, CALENDAR)
RATIONALE = "a rationale long enough for the loader's minimum"
OFF_HOURS = {"roles": ["collector"], "rationale": RATIONALE}


def almaty(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=ALMATY).astimezone(UTC)


WED = date(2026, 11, 25)
SUN = date(2026, 11, 29)


# ---- the calendar as SQL agrees with the calendar in Python ----------------------------------

MOMENTS = [
    ("wednesday 10:00", almaty(WED, 10), True),
    ("wednesday 08:59:59", almaty(WED, 8, 59, 59), False),
    ("wednesday 09:00 sharp", almaty(WED, 9), True),
    ("wednesday 18:59:59", almaty(WED, 18, 59, 59), True),
    ("wednesday 19:00 sharp", almaty(WED, 19), False),
    ("15:00 UTC on a wednesday is 20:00 in Almaty", datetime(2026, 11, 25, 15, tzinfo=UTC), False),
    ("transferred working saturday 12:00", almaty(WORKING_SATURDAY, 12), True),
    ("transferred working saturday 20:00", almaty(WORKING_SATURDAY, 20), False),
    ("saturday 09:30 Almaty is friday 04:30 UTC", datetime(2026, 11, 28, 4, 30, tzinfo=UTC), True),
    ("ordinary sunday 12:00", almaty(SUN, 12), False),
    ("holiday 12:00", almaty(HOLIDAY, 12), False),
    ("the day after the holiday 12:00", almaty(HOLIDAY + timedelta(days=1), 12), True),
]


@pytest.mark.parametrize(
    ("moment", "working"), [m[1:] for m in MOMENTS], ids=[m[0] for m in MOMENTS]
)
async def test_working_time_in_sql(
    conn: asyncpg.Connection, moment: datetime, working: bool
) -> None:
    predicate = off_hours.outside_working_time(CALENDAR, "($1::timestamptz AT TIME ZONE $2)")
    outside = await conn.fetchval(f"SELECT {predicate}", moment, "Asia/Almaty")
    assert outside is not working
    assert CALENDAR.is_working_time(moment, ALMATY) is working


async def test_an_empty_calendar_is_never_working_time(conn: asyncpg.Connection) -> None:
    calendar = Calendar(workdays=(), holidays=(), extra_workdays=())
    predicate = off_hours.outside_working_time(calendar, "($1::timestamptz AT TIME ZONE 'UTC')")
    assert await conn.fetchval(f"SELECT {predicate}", almaty(WED, 12)) is True


# ---- off hours: findings per principal and local day -----------------------------------------

READ = {"subjects": subjects(3)}

OFF_HOURS_CASES: list[tuple[str, dict[str, Any], list[RecordRow], list[tuple[str, date, int]]]] = [
    ("a read at night", {}, [RecordRow(almaty(WED, 2), **READ)], [("collector", WED, 1)]),
    ("a read in working time", {}, [RecordRow(almaty(WED, 11), **READ)], []),
    ("a denied statement at night", {}, [RecordRow(almaty(WED, 2), outcome="denied")], []),
    ("a night statement with no subjects", {}, [RecordRow(almaty(WED, 2))], []),
    (
        "a night aggregate hiding subjects",
        {},
        [RecordRow(almaty(WED, 2), subject_count=None, rows=500)],
        [],
    ),
    ("a holiday at noon", {}, [RecordRow(almaty(HOLIDAY, 12), **READ)],
     [("collector", HOLIDAY, 1)]),
    ("a transferred working saturday at noon", {},
     [RecordRow(almaty(WORKING_SATURDAY, 12), **READ)], []),
    (
        "a transferred working saturday at night",
        {},
        [RecordRow(almaty(WORKING_SATURDAY, 22), **READ)],
        [("collector", WORKING_SATURDAY, 1)],
    ),
    ("an ordinary sunday at noon", {}, [RecordRow(almaty(SUN, 12), **READ)],
     [("collector", SUN, 1)]),
    (
        "two reads in one night",
        {},
        [RecordRow(almaty(WED, 1), **READ), RecordRow(almaty(WED, 3), **READ)],
        [("collector", WED, 2)],
    ),
    (
        "one UTC day, two Almaty days: two findings",
        {},
        [RecordRow(almaty(WED, 23), **READ), RecordRow(almaty(WED + timedelta(days=1), 1), **READ)],
        [("collector", WED, 1), ("collector", WED + timedelta(days=1), 1)],
    ),
    ("other roles are ignored", {}, [RecordRow(almaty(WED, 2), roles=("dpo",), **READ)], []),
    ("no roles: everyone", {"roles": []}, [RecordRow(almaty(WED, 2), roles=("dpo",), **READ)],
     [("collector", WED, 1)]),
    ("fewer than min_subjects", {"min_subjects": 4}, [RecordRow(almaty(WED, 2), **READ)], []),
    ("exactly min_subjects", {"min_subjects": 3}, [RecordRow(almaty(WED, 2), **READ)],
     [("collector", WED, 1)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("settings", "records", "expected"),
    [c[1:] for c in OFF_HOURS_CASES],
    ids=[c[0] for c in OFF_HOURS_CASES],
)
async def test_off_hours(
    conn: asyncpg.Connection,
    settings: dict[str, Any],
    records: list[RecordRow],
    expected: list[tuple[str, date, int]],
) -> None:
    rule = off_hours.build("off_hours", {**OFF_HOURS, **settings}, CONTEXT)
    await insert_records(conn, records)
    span = TimeRange(datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))
    found = await evaluate(conn, [rule], span)
    got = [(f.actor, local_day(f.window_end, ALMATY), f.measure["statements"]) for f in found]
    assert got == expected
    for finding in found:  # one finding per principal per local day
        assert finding.bucket == day_start(local_day(finding.window_end, ALMATY), ALMATY)
        assert finding.bucket.astimezone(ALMATY).time() == time(0)
        assert finding.record_ids


async def test_the_zone_decides_what_is_off_hours(conn: asyncpg.Connection) -> None:
    """15:00 UTC on a Wednesday: working time in UTC, 20:00 in Almaty."""
    await insert_records(conn, [RecordRow(datetime(2026, 11, 25, 15, tzinfo=UTC), **READ)])
    span = TimeRange(datetime(2026, 11, 25, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC))
    in_utc = off_hours.build("off_hours", OFF_HOURS, RuleContext(ZoneInfo("UTC"), CALENDAR))
    in_almaty = off_hours.build("off_hours", OFF_HOURS, CONTEXT)
    assert await evaluate(conn, [in_utc], span) == []
    assert [f.actor for f in await evaluate(conn, [in_almaty], span)] == ["collector"]


# ---- the day rules count Almaty's day, not UTC's ---------------------------------------------

BASELINE = {"roles": ["collector"], "days": 14, "min_days": 5, "z": 3.0, "floor": 30}
BASELINE |= {"rationale": RATIONALE}


THU = WED + timedelta(days=1)


@pytest.mark.parametrize(
    ("late_read", "expected"),
    [
        (almaty(WED, 23, 59), [(WED, 110)]),  # still Wednesday in Almaty (18:59 UTC)
        (almaty(THU, 0, 1), [(WED, 50), (THU, 60)]),  # 19:01 UTC on Wednesday: Thursday here
    ],
    ids=["23:59 Almaty is the same day", "00:01 Almaty is the next day"],
)
async def test_the_baseline_day_is_almatys(
    conn: asyncpg.Connection, late_read: datetime, expected: list[tuple[date, int]]
) -> None:
    history = [
        RecordRow(almaty(WED - timedelta(days=n), 11), subjects=subjects(20, 1000 * n))
        for n in range(1, 11)
    ]
    morning = RecordRow(almaty(WED, 11), subjects=subjects(50, 90_000))
    late = RecordRow(late_read, subjects=subjects(60, 95_000))
    await insert_records(conn, [*history, morning, late])
    rule = bulk_read_baseline.build("bulk_read_baseline", BASELINE, CONTEXT)
    found = await evaluate(conn, [rule], TimeRange(almaty(WED, 12), late_read))
    got = [(local_day(f.window_end, ALMATY), f.measure["distinct_subjects"]) for f in found]
    assert got == expected
    assert [f.bucket for f in found] == [day_start(day, ALMATY) for day, _ in expected]


def test_buckets_floor_to_the_cooldown() -> None:
    moment = datetime(2026, 11, 25, 10, 59, 59, tzinfo=UTC)
    assert bucket_of(moment, timedelta(hours=1)) == datetime(2026, 11, 25, 10, tzinfo=UTC)
    assert bucket_of(moment, timedelta(minutes=15)) == datetime(2026, 11, 25, 10, 45, tzinfo=UTC)
    assert bucket_of(moment, timedelta(days=1)) == datetime(2026, 11, 25, tzinfo=UTC)
