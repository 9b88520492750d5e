"""The rules that need context beyond counts — watch lists, assignments, a role's remit,
novelty — on a real PostgreSQL: records (and facts) in, findings out, one table row per case.
Novelty runs over two evaluations (history, then the span judged), inside transactions like
the engine's; a replay's rollback leaves what it learned behind it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from proxy.watch.config import Calendar, RuleBuilder, RuleContext
from proxy.watch.evaluate import evaluate
from proxy.watch.model import Finding, Rule, TimeRange
from proxy.watch.rules import assignment, novelty, watch_list
from proxy.watch.rules.common import RECORD_IDS_MAX
from tests.watch.records import (
    RecordRow,
    insert_records,
    subjects,
)

BUILDERS: Mapping[str, RuleBuilder] = {
    "novelty": novelty.build,
    "watch_list": watch_list.build,
    **assignment.BUILDERS,
}
CONTEXT = RuleContext(ZoneInfo("Asia/Almaty"), Calendar())
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # the start of a one-hour cooldown period
SPAN = TimeRange(T0, T0 + timedelta(minutes=10))
M = timedelta(minutes=1)
RATIONALE = "a rationale long enough for the loader's minimum"
STAFF, VIP, PLAIN = subjects(3, 0), subjects(2, 100), subjects(5, 200)
ASSIGNED, UNASSIGNED = subjects(4, 300), subjects(5, 400)


def rule(kind: str, **settings: Any) -> Rule:
    return BUILDERS[kind](kind, {"rationale": RATIONALE, **settings}, CONTEXT)


async def judged(conn: asyncpg.Connection, judge: Rule, span: TimeRange = SPAN) -> list[Finding]:
    """The rule's findings over `span`, evaluated in a transaction as the engine does."""
    async with conn.transaction():
        found = await evaluate(conn, [judge], span)
    for finding in found:
        assert finding.rule == judge.name
        assert 0 < len(finding.record_ids) <= RECORD_IDS_MAX
        assert finding.window_start <= finding.window_end
        assert not any(s in finding.summary for s in (*STAFF, *VIP, *UNASSIGNED))
    return found


def measures(found: list[Finding]) -> list[tuple[str, dict[str, Any]]]:
    return [(f.actor, dict(f.measure)) for f in found]


# --- watch lists ---------------------------------------------------------------------------


async def watch(conn: asyncpg.Connection) -> None:
    rows = [("staff", s, ["hr_officer"]) for s in STAFF] + [("vip", s, []) for s in VIP]
    await conn.executemany(
        "INSERT INTO palata_audit.watch_subjects (list, subject, allowed_roles) "
        "VALUES ($1, $2, $3)",
        rows,
    )


HR = {"principal": "hr", "roles": ("hr_officer",)}
WATCH_CASES = [
    ("a staff member read by a collector",
     [RecordRow(T0 + M, subjects=(STAFF[0], *PLAIN))], {},
     [("collector", {"watched_subjects": 1, "list.staff": 1})]),
    ("read by a role the list allows: nothing",
     [RecordRow(T0 + M, subjects=STAFF, **HR)], {}, []),
    ("the allowed role does not cover another list",
     [RecordRow(T0 + M, subjects=(*STAFF, VIP[0]), **HR)], {},
     [("hr", {"watched_subjects": 1, "list.vip": 1})]),
    ("refused statements read nothing",
     [RecordRow(T0 + M, outcome="denied", subjects=STAFF)], {}, []),
    ("subjects on no list",
     [RecordRow(T0 + M, subjects=PLAIN)], {}, []),
    ("two lists in one period: one finding counting each",
     [RecordRow(T0 + M, subjects=STAFF[:2]), RecordRow(T0 + 2 * M, subjects=(STAFF[0], VIP[1]))],
     {}, [("collector", {"watched_subjects": 3, "list.staff": 2, "list.vip": 1})]),
    ("a rule narrowed to one list",
     [RecordRow(T0 + M, subjects=(STAFF[0], VIP[0]))], {"lists": ["vip"]},
     [("collector", {"watched_subjects": 1, "list.vip": 1})]),
    ("the period's earlier reads count with the span's",
     [RecordRow(T0 - 30 * M, subjects=STAFF[:1]), RecordRow(T0 + M, subjects=STAFF[1:2])],
     {"cooldown": "4h"}, [("collector", {"watched_subjects": 2, "list.staff": 2})]),
    ("a period the span adds nothing to is not reported again",
     [RecordRow(T0 - 30 * M, subjects=STAFF)], {"cooldown": "4h"}, []),
    ("two principals, two findings",
     [RecordRow(T0 + M, subjects=STAFF[:1]), RecordRow(T0 + M, principal="c2", subjects=VIP)],
     {}, [("c2", {"watched_subjects": 2, "list.vip": 2}),
          ("collector", {"watched_subjects": 1, "list.staff": 1})]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "settings", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in WATCH_CASES],
)
async def test_watch_list(
    conn: asyncpg.Connection,
    rows: list[RecordRow],
    settings: dict[str, Any],
    expected: list[tuple[str, dict[str, Any]]],
) -> None:
    await watch(conn)
    await insert_records(conn, rows)
    found = await judged(conn, rule("watch_list", **settings))
    assert sorted(measures(found)) == expected


async def test_a_watch_list_finding_falls_in_its_period_and_names_no_subject(
    conn: asyncpg.Connection,
) -> None:
    await watch(conn)
    ids = await insert_records(conn, [RecordRow(T0 + 3 * M, subjects=STAFF)])
    [found] = await judged(conn, rule("watch_list", severity="high", action="suspend"))
    assert (found.bucket, found.window_start, found.record_ids) == (T0, T0 + 3 * M, tuple(ids))
    assert (found.severity, found.action) == ("high", "suspend")
    assert "staff (3)" in found.summary


# --- outside assignment --------------------------------------------------------------------

SUPERVISOR = {"principal": "sup", "roles": ("supervisor",)}
DEBTORS = ({"table": "public.debtors", "column": "id", "decision": "clear", "mask": None},)
EMPLOYEES = ({"table": "public.employees", "column": "id", "decision": "clear", "mask": None},)
ASSIGNMENT_CASES = [
    ("unassigned subjects at the threshold",
     [RecordRow(T0 + M, subjects=(*ASSIGNED, *UNASSIGNED[:3]), **SUPERVISOR)], {},
     [("sup", {"unassigned_subjects": 3, "threshold": 3})]),
    ("below the threshold",
     [RecordRow(T0 + M, subjects=(*ASSIGNED, *UNASSIGNED[:2]), **SUPERVISOR)], {}, []),
    ("assigned subjects only",
     [RecordRow(T0 + M, subjects=ASSIGNED, **SUPERVISOR)], {}, []),
    ("a principal with no assignments is not judged",
     [RecordRow(T0 + M, principal="sup2", roles=("supervisor",), subjects=UNASSIGNED)], {}, []),
    ("a role the rule does not watch",
     [RecordRow(T0 + M, principal="sup", subjects=UNASSIGNED)], {}, []),
    ("refused statements read nothing",
     [RecordRow(T0 + M, outcome="denied", subjects=UNASSIGNED, **SUPERVISOR)], {}, []),
    ("reads over the period add up",
     [RecordRow(T0 - 20 * M, subjects=UNASSIGNED[:2], **SUPERVISOR),
      RecordRow(T0 + M, subjects=UNASSIGNED[2:3], **SUPERVISOR)], {"cooldown": "4h"},
     [("sup", {"unassigned_subjects": 3, "threshold": 3})]),
    ("narrowed to debtor tables: a join with employees is left out",
     [RecordRow(T0 + M, subjects=UNASSIGNED, access=DEBTORS + EMPLOYEES, **SUPERVISOR),
      RecordRow(T0 + 2 * M, subjects=UNASSIGNED[:3], access=DEBTORS, **SUPERVISOR)],
     {"tables": ["public.debtors", "public.loans"]},
     [("sup", {"unassigned_subjects": 3, "threshold": 3})]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "settings", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in ASSIGNMENT_CASES],
)
async def test_outside_assignment(
    conn: asyncpg.Connection,
    rows: list[RecordRow],
    settings: dict[str, Any],
    expected: list[tuple[str, dict[str, Any]]],
) -> None:
    await conn.executemany(
        "INSERT INTO palata_audit.assignments (principal, subject) VALUES ($1, $2)",
        [("sup", s) for s in ASSIGNED] + [("other", s) for s in UNASSIGNED],
    )
    await insert_records(conn, rows)
    judge = rule("outside_assignment", roles=["supervisor"], min_subjects=3, **settings)
    assert measures(await judged(conn, judge)) == expected


# --- outside a role's remit ----------------------------------------------------------------

HR_REMIT = {"hr_officer": ["public.debtors", "public.payments"]}
PAYMENTS = ({"table": "public.payments", "column": "amount", "decision": "clear", "mask": None},)
REFUSED_ON_DEBTORS = {"tables": ["public.debtors"]}
CATEGORY_CASES = [
    ("an HR officer served debtors",
     [RecordRow(T0 + M, subjects=PLAIN[:2], access=DEBTORS, **HR)], {},
     [("hr", {"served": 1, "denied": 0, "distinct_subjects": 2, "tables": "public.debtors"})]),
    ("refused on debtors: the refused statement's tables",
     [RecordRow(T0 + M, outcome="denied", extra=REFUSED_ON_DEBTORS, **HR),
      RecordRow(T0 + 2 * M, outcome="denied", extra=REFUSED_ON_DEBTORS, **HR)], {},
     [("hr", {"served": 0, "denied": 2, "distinct_subjects": 0, "tables": "public.debtors"})]),
    ("served and refused, two tables",
     [RecordRow(T0 + M, subjects=PLAIN[:3], access=PAYMENTS, **HR),
      RecordRow(T0 + 2 * M, outcome="denied", extra=REFUSED_ON_DEBTORS, **HR)], {},
     [("hr", {"served": 1, "denied": 1, "distinct_subjects": 3,
              "tables": "public.debtors, public.payments"})]),
    ("tables within the remit",
     [RecordRow(T0 + M, subjects=STAFF, access=EMPLOYEES, **HR),
      RecordRow(T0 + M, outcome="denied", extra={"tables": ["public.consents"]}, **HR)], {}, []),
    ("another role reading the same table",
     [RecordRow(T0 + M, subjects=PLAIN, access=DEBTORS)], {}, []),
    ("below min_statements",
     [RecordRow(T0 + M, subjects=PLAIN[:1], access=DEBTORS, **HR)], {"min_statements": 2}, []),
    ("failed statements are neither served nor refused",
     [RecordRow(T0 + M, outcome="failed", access=DEBTORS, **HR)], {}, []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "settings", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in CATEGORY_CASES],
)
async def test_outside_category(
    conn: asyncpg.Connection,
    rows: list[RecordRow],
    settings: dict[str, Any],
    expected: list[tuple[str, dict[str, Any]]],
) -> None:
    await insert_records(conn, rows)
    judge = rule("outside_category", outside_remit=HR_REMIT, **settings)
    found = [(actor, {k: v for k, v in m.items() if k != "threshold"}) for actor, m in
             measures(await judged(conn, judge))]  # fmt: skip
    assert found == expected


@pytest.mark.parametrize(
    ("kind", "settings", "error"),
    [
        ("outside_category", {"outside_remit": {}}, "at least 1 item"),
        ("outside_category", {"outside_remit": {"hr_officer": []}}, "names no table"),
        ("outside_category", {"outside_remit": {"hr_officer": ["debtors"]}}, "schema.table"),
        ("outside_assignment", {"roles": []}, "at least 1 item"),
        ("outside_assignment", {"roles": ["x"], "min_subjects": 0}, "greater than or equal"),
        ("novelty", {"dimensions": ["purpose", "purpose"]}, "named once"),
        ("novelty", {"dimensions": ["colour"]}, "Input should be"),
        ("novelty", {"learning": "soon"}, "not a duration"),
        ("watch_list", {"list": ["staff"]}, "Extra inputs"),
    ],
)
def test_malformed_settings_are_refused(kind: str, settings: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        rule(kind, **settings)


# --- novelty -------------------------------------------------------------------------------

DAY = timedelta(days=1)
H0 = T0 - 30 * DAY  # the history: a month before the span judged
HISTORY = TimeRange(H0 - DAY, H0 + DAY)
USUAL = {"purpose": "debt_collection", "app": "crm", "client": "10.1.2.3", "access": DEBTORS}


@dataclass(frozen=True)
class Usage:
    """A served statement with the usual purpose, app, client and table unless told."""

    at: datetime
    changes: dict[str, Any] = field(default_factory=dict)
    principal: str = "collector"

    def row(self) -> RecordRow:
        return RecordRow(self.at, principal=self.principal, **{**USUAL, **self.changes})


NOVELTY_CASES = [
    ("nothing new", [Usage(T0 + M)], {}, []),
    ("a new purpose",
     [Usage(T0 + M, {"purpose": "complaint_handling"})], {},
     [("collector", {"new_values": 1, "new_purposes": 1, "learning_days": 14})]),
    ("a new table and a new app in one period: one finding",
     [Usage(T0 + M, {"access": EMPLOYEES}), Usage(T0 + 2 * M, {"app": "export"})], {},
     [("collector", {"new_values": 2, "new_tables": 1, "new_apps": 1, "learning_days": 14})]),
    ("a new address in the same /24",
     [Usage(T0 + M, {"client": "10.1.2.200"})], {}, []),
    ("a new network",
     [Usage(T0 + M, {"client": "10.9.9.9"})], {},
     [("collector", {"new_values": 1, "new_clients": 1, "learning_days": 14})]),
    ("prefix 32: every address counts",
     [Usage(T0 + M, {"client": "10.1.2.200"})], {"client_prefix": 32},
     [("collector", {"new_values": 1, "new_clients": 1, "learning_days": 14})]),
    ("a new IPv6 network",
     [Usage(T0 + M, {"client": "2001:db8::1"})], {},
     [("collector", {"new_values": 1, "new_clients": 1, "learning_days": 14})]),
    ("only clients watched: a new network",
     [Usage(T0 + M, {"client": "10.9.9.9", "app": "export"})], {"dimensions": ["client"]},
     [("collector", {"new_values": 1, "new_clients": 1, "learning_days": 14})]),
    ("only apps watched: a new app",
     [Usage(T0 + M, {"client": "10.9.9.9", "app": "export"})], {"dimensions": ["app"]},
     [("collector", {"new_values": 1, "new_apps": 1, "learning_days": 14})]),
    ("dimensions not watched",
     [Usage(T0 + M, {"access": EMPLOYEES, "client": "10.9.9.9"})], {"dimensions": ["purpose"]},
     []),
    ("a refused statement's table is not learned",
     [Usage(T0 + M, {"access": EMPLOYEES, "outcome": "denied"})], {"dimensions": ["table"]}, []),
    ("a principal still learning",
     [Usage(T0 + M, {"purpose": "complaint_handling"}, principal="newcomer")], {}, []),
    ("a principal with little history still learning",
     [Usage(T0 + M, {"purpose": "complaint_handling"})], {"learning": "40d"}, []),
    ("roles not watched",
     [Usage(T0 + M, {"purpose": "complaint_handling"})], {"roles": ["hr_officer"]}, []),
    ("unauthenticated attempts are no principal",
     [Usage(T0 + M, {"purpose": "x", "roles": ()}, principal="(unauthenticated)")], {}, []),
]  # fmt: skip


async def learn_history(conn: asyncpg.Connection, judge: Rule) -> None:
    await insert_records(conn, [Usage(H0).row(), Usage(H0, principal="(unauthenticated)").row()])
    assert await judged(conn, judge, HISTORY) == []  # everyone is new: learning


@pytest.mark.parametrize(
    ("usages", "settings", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in NOVELTY_CASES],
)
async def test_novelty(
    conn: asyncpg.Connection,
    usages: list[Usage],
    settings: dict[str, Any],
    expected: list[tuple[str, dict[str, Any]]],
) -> None:
    judge = rule("novelty", **settings)
    await learn_history(conn, judge)
    await insert_records(conn, [usage.row() for usage in usages])
    assert measures(await judged(conn, judge)) == expected
    assert await judged(conn, judge, TimeRange(SPAN.end, SPAN.end + DAY)) == []


async def test_novelty_finds_the_same_again_over_the_same_span(conn: asyncpg.Connection) -> None:
    judge = rule("novelty")
    await learn_history(conn, judge)
    ids = await insert_records(conn, [Usage(T0 + 2 * M, {"purpose": "dpo_review"}).row()])
    first, again = await judged(conn, judge), await judged(conn, judge)
    assert first == again
    assert (first[0].record_ids, first[0].bucket, first[0].window_end) == (
        tuple(ids), T0, T0 + 2 * M,
    )  # fmt: skip
    assert "purpose dpo_review" in first[0].summary
    later = await judged(conn, judge, TimeRange(SPAN.end, SPAN.end + DAY))
    assert later == []  # learned: the next span does not find it


async def test_a_replay_rolled_back_learns_nothing(conn: asyncpg.Connection) -> None:
    judge = rule("novelty")
    await learn_history(conn, judge)
    await insert_records(conn, [Usage(T0 + M, {"purpose": "dpo_review"}).row()])
    before = await seen(conn)
    transaction = conn.transaction()
    await transaction.start()
    replayed = await evaluate(conn, [judge], SPAN)
    await transaction.rollback()
    assert measures(replayed) == [("collector", {"new_values": 1, "new_purposes": 1,
                                                 "learning_days": 14})]  # fmt: skip
    assert await seen(conn) == before
    assert len(await judged(conn, judge)) == 1  # the live run still finds it


async def test_a_replay_of_the_past_sees_what_was_new_then(conn: asyncpg.Connection) -> None:
    """History learned later (a live run) does not hide a replay's earlier first use."""
    judge = rule("novelty")
    await learn_history(conn, judge)
    await insert_records(conn, [Usage(T0 + M, {"purpose": "dpo_review"}).row()])
    assert len(await judged(conn, judge)) == 1
    earlier = Usage(T0 - 5 * DAY, {"purpose": "dpo_review"}).row()
    await insert_records(conn, [earlier])
    past = TimeRange(T0 - 6 * DAY, T0 - 4 * DAY)
    [found] = await judged(conn, judge, past)
    assert found.window_start == T0 - 5 * DAY


async def seen(conn: asyncpg.Connection) -> list[tuple[Any, ...]]:
    rows = await conn.fetch(
        "SELECT principal, dimension, value, first_at, last_at FROM palata_audit.principal_seen "
        "ORDER BY 1, 2, 3"
    )
    return [tuple(row) for row in rows]


async def test_novelty_keeps_first_and_last_use(conn: asyncpg.Connection) -> None:
    judge = rule("novelty", dimensions=["purpose", "client"])
    await learn_history(conn, judge)
    await insert_records(conn, [Usage(T0 + M).row(), Usage(T0 + 3 * M).row()])
    await judged(conn, judge)
    assert await seen(conn) == [
        ("collector", "client", "10.1.2.0/24", H0, T0 + 3 * M),
        ("collector", "purpose", "debt_collection", H0, T0 + 3 * M),
    ]
