"""Simulated working days of the Chamber's staff with known incidents, and their replay through
the real pipeline under a clock the test controls (issue 7: recall and false alerts).

`generate` is pure and seeded: from the facts of a synthetic Palata database (`World`: regions,
case assignments, employees) and a working calendar it plans each principal's days in
Asia/Almaty — arrival 08:45-09:30, casework one assigned debtor at a time as a collection app
asks for it (the card, the loans, the payments, sometimes the contact history), a lunch gap,
sometimes overtime until about 19:40, 0-3 mistyped statements a day that are refused — and
injects the incidents the rules must catch, each with its actor, its span and the rules
expected to fire. `replaying` builds the stack the statements go through: the dataset
(`proxy.synth`), the demo policy with the scenario's principals, provisioned database roles,
the audit trail, and the `Pipeline` stamping records with the scenario's clock.
"""

from __future__ import annotations

import random
import secrets
import shutil
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from proxy.audit.trail import open_trail
from proxy.config import Settings, load_settings
from proxy.errors import ProxyError
from proxy.identity.principals import Principal
from proxy.pipeline import Pipeline
from proxy.pipeline.request import QueryRequest
from proxy.provision import apply_grants, compute_grants
from proxy.upstream.pool import open_upstream
from proxy.watch.config import Calendar
from tests.support import REPO

ZONE = ZoneInfo("Asia/Almaty")
POLICIES = REPO / "policies"
MODEL = REPO / "models.conf"
AUDIT_KEY = "scenario-audit-key-not-a-secret-0123456789abcdef"  # a test's key, public

# --- what the generator is given and what it makes ------------------------------------------


@dataclass(frozen=True)
class World:
    """The facts of the synthetic database the plan is made from (read by `read_world`)."""

    region_debtors: Mapping[str, tuple[int, ...]]  # region -> debtor ids
    assigned: Mapping[int, tuple[int, ...]]  # employee id -> actively assigned debtor ids
    employees: Mapping[int, tuple[str, str]]  # employee id -> (position, region)


@dataclass(frozen=True)
class Actor:
    """A scenario principal, as principals.toml declares it, with where it works from."""

    name: str
    role: str
    purposes: tuple[str, ...]
    attributes: Mapping[str, str | int]
    client: str
    app: str

    @property
    def principal(self) -> Principal:
        return Principal(self.name, (self.role,), self.purposes, self.purposes[0], self.attributes)


@dataclass(frozen=True)
class Event:
    at: datetime  # UTC
    principal: str
    purpose: str
    sql: str
    params: tuple[object, ...]
    client: str
    app: str
    served: bool  # what the policy is expected to do with it (a typo or an attempt: refused)


@dataclass(frozen=True)
class Incident:
    name: str
    actor: str
    start: datetime
    end: datetime
    rules: tuple[str, ...]  # an alert of any of these for `actor` in the span catches it


@dataclass(frozen=True)
class Scenario:
    actors: tuple[Actor, ...]
    events: tuple[Event, ...]  # in time order
    incidents: tuple[Incident, ...]
    setup: tuple[tuple[str, tuple[object, ...]], ...]  # statements run on the database first
    working_days: int  # principal-days worked (the false-alert rate's denominator)
    start: datetime
    end: datetime


# --- the statements a collection app, an HR app and the DPO's desk send ------------------------

DEBTOR_CARD = (
    "SELECT id, last_name, first_name, patronymic, iin, phone, region, city, debt_amount "
    "FROM debtors WHERE id = $1"
)
DEBTOR_LOANS = (
    "SELECT id, contract_number, product, outstanding, days_past_due, status "
    "FROM loans WHERE debtor_id = $1 ORDER BY contract_date"
)
DEBTOR_PAYMENTS = (
    "SELECT paid_on, amount, method FROM payments WHERE debtor_id = $1 "
    "ORDER BY paid_on DESC LIMIT 10"
)
DEBTOR_CONTACTS = (
    "SELECT occurred_at, channel, direction, outcome, note FROM contact_events "
    "WHERE debtor_id = $1 ORDER BY occurred_at DESC LIMIT 5"
)
WORKLIST = (
    "SELECT debtor_id, assigned_at FROM case_assignments "
    "WHERE employee_id = $1 AND is_active ORDER BY assigned_at LIMIT 20 OFFSET $2"
)
PAID_TODAY = "SELECT count(*), sum(amount) FROM payments WHERE paid_on >= $1"
EMPLOYEE_CARD = (
    "SELECT id, last_name, first_name, position, department, region, hire_date "
    "FROM employees WHERE id = $1"
)
EMPLOYEE_CONSENTS = (
    "SELECT id, purpose, method, given_at, withdrawn_at FROM consents WHERE employee_id = $1"
)
WORKLOAD = (
    "SELECT employee_id, count(*) FROM case_assignments WHERE is_active "
    "GROUP BY employee_id ORDER BY employee_id"
)
COMPLAINTS_OPEN = (
    "SELECT id, debtor_id, received_at, channel, status FROM complaints "
    "ORDER BY received_at DESC LIMIT 10"
)
REGION_EXPORT = (
    "SELECT id, last_name, first_name, patronymic, iin, phone, address, debt_amount "
    "FROM debtors WHERE region = $1 ORDER BY id LIMIT 50 OFFSET $2"
)
HR_DEBTOR_LOOKUP = "SELECT id, last_name, first_name, debt_amount FROM debtors WHERE id = $1"
HR_REGION_CASES = (
    "SELECT debtor_id, employee_id, assigned_at FROM case_assignments "
    "WHERE region = $1 ORDER BY debtor_id LIMIT 25 OFFSET $2"
)
TYPOS = (  # what slips through a hurried search box, on the principal's own table: refused
    "SELEC id, {column} FROM {table} WHERE id = $1",
    "SELECT id, {column} FROM {table}x WHERE id = $1",
    "SELECT id, {column}x FROM {table} WHERE id = $1",
    "SELECT id FROM {table} WHERE id = $1 AND",
)
OWN_TABLE = {"hr_officer": ("employees", "position")}  # the others mistype on debtors
# bypass attempts against the demo tables, adapted from shared/redteam DENY cases
PROBES = (
    "SELECT * FROM employees",
    "SELECT d.id FROM debtors d JOIN employees e ON e.iin = d.iin",
    "UPDATE debtors SET debt_amount = 0 WHERE id = 7",
    "INSERT INTO debtors (id, iin, last_name) VALUES (999999, '000000000000', 'x')",
    "SELECT * FROM ts_stat('SELECT to_tsvector(''simple'', last_name) FROM debtors')",
    "SELECT query_to_xml('SELECT iin FROM debtors', true, false, '')",
    "SELECT pg_notify('c', iin) FROM debtors",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT attname, most_common_vals::text FROM pg_stats WHERE tablename = 'debtors'",
    "SELECT query FROM pg_stat_activity",
    "COPY debtors FROM PROGRAM 'id'",
    "EXPLAIN ANALYZE SELECT 1 FROM debtors WHERE iin LIKE '5806%'",
    "SET ROLE postgres",
    "SELECT set_config('role', 'postgres', false)",
    "SET standard_conforming_strings = off",
    "DO $$BEGIN RAISE NOTICE '%', (SELECT iin FROM debtors WHERE id = 7); END$$",
    "SELECT * INTO TEMP t FROM debtors",
    "WITH u AS (UPDATE debtors SET email = email WHERE id = 7 RETURNING iin) SELECT * FROM u",
    "SELECT pg_advisory_lock(hashtext(iin)) FROM debtors",
    "GRANT SELECT ON debtors TO PUBLIC",
    "DROP TABLE payments",
    "SELECT * FROM relatives",
    "SELECT salary FROM employees WHERE id = 1",
    "SELECT iin FROM counterparty_contacts",
    "SELECT * FROM tax_arrears",
    "SELECT lo_import('/etc/passwd')",
    "SELECT id FROM debtors; SELECT * FROM employees",
    "SELECT dblink_connect('host=127.0.0.1')",
    "CREATE TABLE x AS SELECT iin FROM debtors",
    "SELECT * FROM applications",
)


def default_calendar() -> Calendar:
    """Kazakhstan's working calendar for the simulated weeks, when no detection.toml says."""
    holidays = ("2026-01-01", "2026-01-02", "2026-01-07", "2026-03-09")
    more = ("2026-03-23", "2026-03-24", "2026-03-25", "2026-05-01", "2026-05-07", "2026-05-11")
    return Calendar(holidays=tuple(date.fromisoformat(d) for d in holidays + more))


# --- the plan ---------------------------------------------------------------------------------


def cast(world: World, rng: random.Random, collectors: int = 6) -> tuple[Actor, ...]:
    """Collectors with their employee id and region (the busiest case loads, at least two
    regions), a supervisor (senior collector), two HR officers and the DPO."""
    loaded = sorted(world.assigned, key=lambda e: (-len(world.assigned[e]), e))
    workers = [e for e in loaded if "оллектор" in world.employees[e][0]]
    chosen = workers[:collectors]
    supervisor = next(e for e in workers[collectors:] if world.employees[e][0].startswith("Стар"))
    actors = [
        _actor(f"collector_{e}", "collector", ("debt_collection",), e, world, n)
        for n, e in enumerate(chosen, start=10)
    ]
    actors.append(
        _actor(
            f"supervisor_{supervisor}",
            "senior_collector",
            ("debt_collection",),
            supervisor,
            world,
            30,
        )
    )
    actors += [
        Actor(f"hr_officer_{n}", "hr_officer", ("labour_relations",), {}, f"10.20.2.{n}", "hr")
        for n in (1, 2)
    ]
    actors.append(
        Actor("dpo_1", "dpo", ("dpo_review", "complaint_handling"), {}, "10.20.3.1", "dpo-desk")
    )
    return tuple(actors)


def _actor(
    name: str, role: str, purposes: tuple[str, ...], employee: int, world: World, host: int
) -> Actor:
    attributes: dict[str, str | int] = {"region": world.employees[employee][1]}
    attributes["employee_id"] = employee
    return Actor(name, role, purposes, attributes, f"10.20.1.{host}", "collection")


def generate(world: World, calendar: Calendar, start: date, days: int, seed: int = 7) -> Scenario:
    """The scenario: every actor's working days from `start` for `days` days, and the four
    incidents of the issue, on working days in the middle of the period."""
    rng = random.Random(seed)
    actors = cast(world, rng)
    collectors = [a for a in actors if a.role == "collector"]
    colleague = _colleague_debtor(world, collectors, actors, rng)
    quiet = {colleague[2]}
    events: list[Event] = []
    worked = 0
    workdays = [start + timedelta(days=n) for n in range(days)]
    workdays = [d for d in workdays if _is_workday(d, calendar)]
    for actor in actors:
        pace = rng.uniform(0.6, 1.5)  # some read a few more than others
        for day in workdays:
            events += _day(actor, day, world, rng, pace, quiet)
            worked += 1
    incidents, injected = _incidents(world, actors, workdays, colleague, rng)
    events += injected
    events.sort(key=lambda e: e.at)
    setup = (
        (
            "UPDATE debtors SET iin = (SELECT iin FROM employees WHERE id = $1) WHERE id = $2",
            (colleague[1], colleague[2]),
        ),
    )
    begin = _at(start, clock_time(0, 0))
    return Scenario(
        actors, tuple(events), tuple(incidents), setup, worked, begin, begin + timedelta(days=days)
    )


def _is_workday(day: date, calendar: Calendar) -> bool:
    if day in calendar.holidays:
        return False
    return day.isoweekday() in calendar.workdays or day in calendar.extra_workdays


def _at(day: date, moment: clock_time) -> datetime:
    return datetime.combine(day, moment, ZONE).astimezone(UTC)


def _colleague_debtor(
    world: World, collectors: Sequence[Actor], actors: Sequence[Actor], rng: random.Random
) -> tuple[Actor, int, int]:
    """(actor, employee, debtor): a debtor of a collector's region, assigned to none of the
    scenario's principals, who will carry the IIN of a colleague of that collector (the
    synthetic data has no debtor who is also an employee, so the setup makes one)."""
    taken = {
        d
        for a in actors
        if "employee_id" in a.attributes
        for d in world.assigned.get(int(a.attributes["employee_id"]), ())
    }
    for actor in collectors:
        free = [d for d in world.region_debtors[str(actor.attributes["region"])] if d not in taken]
        if free:
            others = [e for e in world.employees if e != actor.attributes["employee_id"]]
            return actor, rng.choice(others), rng.choice(free)
    raise ValueError("every debtor of the collectors' regions is one of theirs")


def _day(
    actor: Actor, day: date, world: World, rng: random.Random, pace: float, quiet: set[int]
) -> list[Event]:
    moment = _at(day, clock_time(8, 45)) + timedelta(seconds=rng.randint(0, 45 * 60))
    lunch = _at(day, clock_time(13, 0)) + timedelta(seconds=rng.randint(-15 * 60, 20 * 60))
    leave = _at(day, clock_time(18, 0)) + timedelta(seconds=rng.randint(0, 45 * 60))
    if rng.random() < 0.15:  # overtime
        leave = _at(day, clock_time(19, 0)) + timedelta(seconds=rng.randint(0, 40 * 60))
    tasks = _tasks(actor, day, world, rng, pace, quiet)
    typos = rng.randint(0, 3)
    table, column = OWN_TABLE.get(actor.role, ("debtors", "debt_amount"))
    for _ in range(typos):
        sql = rng.choice(TYPOS).format(table=table, column=column)
        tasks.insert(rng.randint(0, len(tasks)), [(sql, (rng.randint(1, 50),), False)])
    events: list[Event] = []
    gap = (leave - moment - timedelta(hours=1)) / max(len(tasks), 1)
    for task in tasks:
        if lunch <= moment < lunch + timedelta(hours=1):
            moment = lunch + timedelta(hours=1, seconds=rng.randint(0, 600))
        for sql, params, served in task:
            events.append(_event(actor, moment, sql, params, served))
            moment += timedelta(seconds=rng.uniform(2, 25))
        moment += gap * rng.uniform(0.3, 1.7)
    return [e for e in events if e.at < leave + timedelta(minutes=10)]


Task = list[tuple[str, tuple[object, ...], bool]]


def _tasks(
    actor: Actor, day: date, world: World, rng: random.Random, pace: float, quiet: set[int]
) -> list[Task]:
    if actor.role in ("collector", "senior_collector"):
        return _casework(actor, day, world, rng, pace, quiet)
    if actor.role == "hr_officer":
        people = rng.sample(sorted(world.employees), round(rng.randint(4, 12) * pace))
        tasks: list[Task] = [[(WORKLOAD, (), True)]]
        for e in people:
            task: Task = [(EMPLOYEE_CARD, (e,), True)]
            if rng.random() < 0.4:
                task.append((EMPLOYEE_CONSENTS, (e,), True))
            tasks.append(task)
        return tasks
    tasks = [[(COMPLAINTS_OPEN, (), True)]]  # the DPO: complaints, and a few subject requests
    everyone = [d for ids in world.region_debtors.values() for d in ids if d not in quiet]
    for d in rng.sample(everyone, rng.randint(1, 4)):
        tasks.append(
            [(DEBTOR_CARD, (d,), True), (DEBTOR_LOANS, (d,), True), (DEBTOR_PAYMENTS, (d,), True)]
        )
    return tasks


def _casework(
    actor: Actor, day: date, world: World, rng: random.Random, pace: float, quiet: set[int]
) -> list[Task]:
    """A collector's day: the worklist, then one debtor at a time (mostly assigned ones, a
    few callers from the region), and the day's payments."""
    employee = int(actor.attributes["employee_id"])
    mine = list(world.assigned[employee])
    region = [d for d in world.region_debtors[str(actor.attributes["region"])] if d not in quiet]
    count = max(5, round(rng.gauss(28, 8) * pace))
    tasks: list[Task] = [[(WORKLIST, (employee, 0), True)]]
    for _ in range(count):
        debtor = rng.choice(region) if rng.random() < 0.06 else rng.choice(mine)
        task: Task = [(DEBTOR_CARD, (debtor,), True), (DEBTOR_LOANS, (debtor,), True)]
        if rng.random() < 0.7:
            task.append((DEBTOR_PAYMENTS, (debtor,), True))
        if rng.random() < 0.4:
            task.append((DEBTOR_CONTACTS, (debtor,), True))
        tasks.append(task)
    if rng.random() < 0.5:
        tasks.insert(len(tasks) // 2, [(WORKLIST, (employee, 20), True)])
    tasks.append([(PAID_TODAY, (day.isoformat(),), True)])
    return tasks


def _event(
    actor: Actor,
    at: datetime,
    sql: str,
    params: tuple[object, ...],
    served: bool,
    purpose: str | None = None,
) -> Event:
    return Event(
        at, actor.name, purpose or actor.purposes[0], sql, params, actor.client, actor.app, served
    )


def _incidents(
    world: World,
    actors: Sequence[Actor],
    workdays: Sequence[date],
    colleague: tuple[Actor, int, int],
    rng: random.Random,
) -> tuple[list[Incident], list[Event]]:
    looker, _, debtor = colleague
    collectors = [a for a in actors if a.role == "collector" and a != looker]
    hr = next(a for a in actors if a.role == "hr_officer")
    middle = workdays[len(workdays) // 2]
    later = workdays[min(len(workdays) - 1, len(workdays) // 2 + 2)]
    made = [
        _region_export(collectors[0], middle + timedelta(days=1), world),
        _probing(collectors[1], _at(middle, clock_time(15, 10)), rng),
        _hr_browsing(hr, _at(later, clock_time(11, 5)), world, rng),
        _colleague_lookup(looker, _at(later, clock_time(11, 40)), debtor),
    ]
    return [incident for incident, _ in made], [e for _, events in made for e in events]


def _region_export(actor: Actor, night: date, world: World) -> tuple[Incident, list[Event]]:
    """02:00 local: every debtor of the collector's region, 50 a page."""
    region = str(actor.attributes["region"])
    start = _at(night, clock_time(2, 0))
    pages = range(0, len(world.region_debtors[region]) + 50, 50)
    events = [
        _event(actor, start + timedelta(seconds=4 * n), REGION_EXPORT, (region, offset), True)
        for n, offset in enumerate(pages)
    ]
    incident = Incident(
        "region export at night", actor.name, start, events[-1].at, ("bulk_read", "off_hours")
    )
    return incident, events


def _probing(actor: Actor, start: datetime, rng: random.Random) -> tuple[Incident, list[Event]]:
    """About thirty bypass attempts within a minute."""
    attempts = list(PROBES)
    rng.shuffle(attempts)
    events = [
        _event(actor, start + timedelta(seconds=2 * n), sql, (), False)
        for n, sql in enumerate(attempts)
    ]
    return Incident("probing session", actor.name, start, events[-1].at, ("probing",)), events


def _hr_browsing(
    actor: Actor, start: datetime, world: World, rng: random.Random
) -> tuple[Incident, list[Event]]:
    """An HR officer tries debtors' cards (refused) and then pages through the case
    assignments of a region, debtor by debtor."""
    region = rng.choice(sorted(world.region_debtors))
    debtors = rng.sample(world.region_debtors[region], 6)
    events = [
        _event(actor, start + timedelta(seconds=40 * n), HR_DEBTOR_LOOKUP, (d,), False)
        for n, d in enumerate(debtors)
    ]
    moment = events[-1].at
    for offset in (0, 25, 50):
        moment += timedelta(seconds=rng.randint(30, 90))
        events.append(_event(actor, moment, HR_REGION_CASES, (region, offset), True))
    return Incident(
        "HR officer browsing debtors",
        actor.name,
        start,
        moment,
        ("outside_category", "outside_assignment", "novelty"),
    ), events


def _colleague_lookup(actor: Actor, at: datetime, debtor: int) -> tuple[Incident, list[Event]]:
    events = [
        _event(actor, at + timedelta(seconds=9 * n), sql, (debtor,), True)
        for n, sql in enumerate((DEBTOR_CARD, DEBTOR_LOANS, DEBTOR_PAYMENTS))
    ]
    return Incident("colleague looked up", actor.name, at, events[-1].at, ("watch_list",)), events


# --- the database and the replay ---------------------------------------------------------------


async def read_world(conn: Any) -> World:
    regions: dict[str, list[int]] = {}
    for row in await conn.fetch("SELECT region, id FROM debtors ORDER BY id"):
        regions.setdefault(row["region"], []).append(row["id"])
    assigned: dict[int, list[int]] = {}
    rows = await conn.fetch(
        "SELECT employee_id, debtor_id FROM case_assignments WHERE is_active ORDER BY debtor_id"
    )
    for row in rows:
        assigned.setdefault(row["employee_id"], []).append(row["debtor_id"])
    employees = {
        row["id"]: (row["position"], row["region"])
        for row in await conn.fetch("SELECT id, position, region FROM employees ORDER BY id")
    }
    return World(
        {r: tuple(ids) for r, ids in regions.items()},
        {e: tuple(ids) for e, ids in assigned.items()},
        employees,
    )


def write_policies(folder: Path, actors: Sequence[Actor], detection: Path | None) -> Path:
    """The demo policy with the scenario's principals (tokens random: nobody logs in)."""
    shutil.copytree(POLICIES, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns("demo"))
    lines = []
    for actor in actors:
        digest = secrets.token_hex(32)
        attributes = ", ".join(
            f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}"
            for k, v in actor.attributes.items()
        )
        purposes = ", ".join(f'"{p}"' for p in actor.purposes)
        lines += [
            f"[{actor.name}]",
            f'roles = ["{actor.role}"]',
            f"purposes = [{purposes}]",
            f'default_purpose = "{actor.purposes[0]}"',
            f'token_sha256 = "{digest}"',
            f"attributes = {{ {attributes} }}",
            "",
        ]
    (folder / "principals.toml").write_text("\n".join(lines), encoding="utf-8")
    if detection is not None:
        shutil.copy(detection, folder / "detection.toml")
    return folder


def scenario_settings(dsn: str, policies: Path, workdir: Path, prefix: str) -> Settings:
    return load_settings(
        None,
        {},
        {
            "upstream.dsn": dsn,
            "upstream.role_prefix": prefix,
            "policies.dir": policies,
            "policies.model": MODEL,
            "audit.key": AUDIT_KEY,
            "audit.spool_dir": workdir / "audit-spool",
            "proxy.instance": "palata-proxy-scenario",
        },
    )


class ScenarioClock:
    """The pipeline's clock (`proxy.clock.Clock`): the scenario's time, set per statement.
    Durations stay real: the pipeline measures them on `perf_counter`."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Replay:
    served: int = 0
    refused: int = 0
    unexpected: list[tuple[Event, str]] = field(default_factory=list)  # outcome not as planned


@asynccontextmanager
async def replaying(settings: Settings, clock: ScenarioClock) -> AsyncIterator[Pipeline]:
    """The pipeline over the scenario's database, audited, with the roles provisioned."""
    dsn = settings.upstream_dsn
    async with (
        open_upstream(dsn, settings.upstream, settings.query.statement_timeout_s) as upstream,
        open_trail(settings) as audit,
    ):
        pipeline = await Pipeline.build(settings, upstream, audit.trail, clock=clock)
        grants = compute_grants(
            pipeline.engine, pipeline.catalog.snapshot, settings.upstream.role_prefix or ""
        )
        async with upstream.connection() as conn:
            await apply_grants(conn, grants)
        yield pipeline


async def replay(pipeline: Pipeline, scenario: Scenario, clock: ScenarioClock) -> Replay:
    """Every event through `pipeline.run` as the HTTP door sends it, at its simulated time."""
    principals = {a.name: a.principal for a in scenario.actors}
    tally = Replay()
    for event in scenario.events:
        clock.now = event.at
        request = QueryRequest(
            principals[event.principal],
            event.purpose,
            event.sql,
            event.params,
            "http",
            event.client,
        )
        try:
            await pipeline.run(request)
        except ProxyError as exc:
            tally.refused += 1
            if event.served:
                tally.unexpected.append((event, f"{exc.sqlstate}: {exc.message}"))
            continue
        tally.served += 1
        if not event.served:
            tally.unexpected.append((event, "served"))
    return tally


async def prepare_database(dsn: str, scenario: Scenario) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for sql, args in scenario.setup:
            await conn.execute(sql, *args)
    finally:
        await conn.close()
