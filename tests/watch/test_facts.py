"""Facts copied from a Palata-like database into the audit store: watch lists and assignments
as the trail's subject HMACs, replaced whole on each refresh; the security team's queries must
be one SELECT and run read-only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from proxy.audit.keys import AuditKeys
from proxy.errors import ConfigError
from proxy.identity.principals import Principal, PrincipalDirectory
from proxy.watch.facts import FactCounts, FactsQueryFailed, parse_facts, refresh_facts
from tests.watch.records import connected, prepare_store

KEYS = AuditKeys(b"facts-test-audit-key-of-32-bytes!")
RATIONALE = "why the Chamber watches these subjects"

PALATA = """
CREATE TABLE public.debtors (id integer PRIMARY KEY, iin char(12) NOT NULL);
CREATE TABLE public.employees (id integer PRIMARY KEY, iin char(12) NOT NULL);
CREATE TABLE public.case_assignments (
  debtor_id integer NOT NULL, employee_id integer NOT NULL, is_active boolean NOT NULL);
CREATE SEQUENCE public.counter;
INSERT INTO public.debtors VALUES
  (1, '900101300001'), (2, '900101300002'), (3, '900101300003'), (4, '850202400004'),
  (5, '900101300005'), (6, '900101300006');
INSERT INTO public.employees VALUES (1, '800101300011'), (2, '850202400004'), (3, '800101300033');
INSERT INTO public.case_assignments VALUES
  (1, 1, true), (2, 1, true), (3, 2, true), (4, 2, false), (5, 9, true), (6, 3, true);
"""

STAFF = {
    "name": "staff",
    "sql": "SELECT d.id::text FROM public.debtors d JOIN public.employees e USING (iin)",
    "subject_table": "public.debtors",
    "allowed_roles": ["hr_officer"],
    "rationale": RATIONALE,
}
WELL_KNOWN = {
    "name": "well_known",
    "sql": "SELECT id FROM public.debtors WHERE id IN (5, 6)",  # keys of any type, as text
    "subject_table": "public.debtors",
    "rationale": RATIONALE,
}
ASSIGNMENTS = {
    "sql": "SELECT employee_id, debtor_id FROM public.case_assignments WHERE is_active",
    "subject_table": "public.debtors",
    "principal_attribute": "employee_id",
    "rationale": RATIONALE,
}


def principal(name: str, **attributes: Any) -> tuple[str, Principal]:
    return name, Principal(name, ("collector",), (), None, attributes)


PRINCIPALS = PrincipalDirectory(
    {
        name: (f"{n:064x}", found)
        for n, (name, found) in enumerate(
            [
                principal("collector", employee_id=1),
                principal("collector2", employee_id="2"),
                principal("team", employee_id=[1, 3]),
                principal("dpo"),
            ]
        )
    }
)


def debtor(key: int) -> str:
    return KEYS.subject_hmac("public.debtors", str(key))


@pytest.fixture(scope="module")
def palata_dsn(fresh_dsn: str) -> str:
    async def prepare() -> None:
        await prepare_store(fresh_dsn)
        async with connected(fresh_dsn) as conn:
            await conn.execute(PALATA)

    asyncio.run(prepare())
    return fresh_dsn


@pytest.fixture
async def conns(palata_dsn: str) -> AsyncIterator[tuple[asyncpg.Connection, asyncpg.Connection]]:
    async with connected(palata_dsn) as palata, connected(palata_dsn) as audit:
        await audit.execute("TRUNCATE palata_audit.watch_subjects, palata_audit.assignments")
        yield palata, audit


async def stored(audit: asyncpg.Connection) -> tuple[set[Any], set[Any]]:
    watched = await audit.fetch(
        "SELECT list, subject, allowed_roles FROM palata_audit.watch_subjects"
    )
    assigned = await audit.fetch("SELECT principal, subject FROM palata_audit.assignments")
    return (
        {(r["list"], r["subject"], tuple(r["allowed_roles"])) for r in watched},
        {(r["principal"], r["subject"]) for r in assigned},
    )


async def refresh(conns: tuple[Any, Any], raw: dict[str, Any]) -> FactCounts:
    palata, audit = conns
    return await refresh_facts(palata, audit, raw, KEYS.subject_hmac, PRINCIPALS)


EVERYTHING = {"watch_lists": [STAFF, WELL_KNOWN], "assignments": ASSIGNMENTS}
WATCHED = {
    ("staff", debtor(4), ("hr_officer",)),
    ("well_known", debtor(5), ()),
    ("well_known", debtor(6), ()),
}
ASSIGNED = {
    ("collector", debtor(1)), ("collector", debtor(2)), ("collector2", debtor(3)),
    ("team", debtor(1)), ("team", debtor(2)), ("team", debtor(6)),
}  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "watched", "assigned", "counts"),
    [
        pytest.param(
            EVERYTHING, WATCHED, ASSIGNED, FactCounts({"staff": 1, "well_known": 2}, 6, 1),
            id="lists and assignments (employee 9 is no principal)",
        ),
        pytest.param(
            {"watch_lists": [STAFF]}, {w for w in WATCHED if w[0] == "staff"}, set(),
            FactCounts({"staff": 1}, 0, 0),
            id="a list dropped from the file and no assignments: both emptied",
        ),
        pytest.param({}, set(), set(), FactCounts({}, 0, 0), id="no facts configured"),
    ],
)  # fmt: skip
async def test_refresh_replaces_the_facts(
    conns: tuple[asyncpg.Connection, asyncpg.Connection],
    raw: dict[str, Any],
    watched: set[Any],
    assigned: set[Any],
    counts: FactCounts,
) -> None:
    await refresh(conns, EVERYTHING)  # what an earlier refresh left
    assert await refresh(conns, raw) == counts
    assert await stored(conns[1]) == (watched, assigned)


CHANGES = """
UPDATE public.case_assignments SET is_active = NOT is_active;
UPDATE public.employees SET iin = '800101300099' WHERE id = 2;
"""
UNDO = """
UPDATE public.case_assignments SET is_active = NOT is_active;
UPDATE public.employees SET iin = '850202400004' WHERE id = 2;
"""


async def test_a_refresh_follows_the_palata_data(
    conns: tuple[asyncpg.Connection, asyncpg.Connection],
) -> None:
    palata, audit = conns
    await refresh(conns, EVERYTHING)
    await palata.execute(CHANGES)
    try:
        counts = await refresh(conns, EVERYTHING)
        watched, assigned = await stored(audit)
    finally:
        await palata.execute(UNDO)
    assert counts == FactCounts({"staff": 0, "well_known": 2}, 1, 0)  # (4, 2) only is active
    assert watched == {w for w in WATCHED if w[0] == "well_known"}
    assert assigned == {("collector2", debtor(4))}


def test_subjects_are_the_trails_hmacs() -> None:
    """The pipeline names a debtor by the HMAC of its table and its key as text."""
    assert debtor(4) == AuditKeys(b"facts-test-audit-key-of-32-bytes!").subject_hmac(
        "public.debtors", "4"
    )
    assert len(debtor(4)) == 32 and debtor(4) != KEYS.subject_hmac("public.employees", "4")


def with_list(**changes: Any) -> dict[str, Any]:
    return {"watch_lists": [{**STAFF, **changes}]}


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (with_list(sql="DELETE FROM public.debtors"), "one SELECT expected, found DeleteStmt"),
        (with_list(sql="SELECT 1; SELECT 2"), "found 2 statements"),
        (with_list(sql="WITH d AS (DELETE FROM public.debtors RETURNING id) SELECT id FROM d"),
         "may not write"),
        (with_list(sql="SELECT id INTO copy FROM public.debtors"), "may not write"),
        (with_list(sql="SELECT id FROM public.debtors FOR UPDATE"), "may not write or lock"),
        (with_list(sql="SELEC id"), "does not parse"),
        (with_list(subject_table="debtors"), "should match pattern"),
        (with_list(rationale="because"), "at least 20 characters"),
        (with_list(colour="red"), "Extra inputs"),
        ({"watch_lists": [STAFF, STAFF]}, "named twice: staff"),
        ({"assignments": {**ASSIGNMENTS, "sql": "TRUNCATE public.debtors"}}, "TruncateStmt"),
        ({"assignments": {k: v for k, v in ASSIGNMENTS.items() if k != "principal_attribute"}},
         "principal_attribute"),
    ],
)  # fmt: skip
def test_malformed_sources_fail_at_start(raw: dict[str, Any], error: str) -> None:
    with pytest.raises(ConfigError, match=error) as raised:
        parse_facts(raw)
    assert raised.value.sqlstate == "F0000"


def test_the_sources_parse() -> None:
    sources = parse_facts({**EVERYTHING, "rules": {}, "timezone": "Asia/Almaty"})
    assert [s.name for s in sources.watch_lists] == ["staff", "well_known"]
    assert sources.assignments is not None
    assert sources.assignments.principal_attribute == "employee_id"


@pytest.mark.parametrize(
    ("raw", "error", "sqlstate"),
    [
        (with_list(sql="SELECT id, iin FROM public.debtors"), "returns 2 columns; 1 expected",
         "F0000"),
        ({"assignments": {**ASSIGNMENTS, "sql": "SELECT debtor_id FROM public.case_assignments"}},
         "returns 1 column; 2 expected", "F0000"),
        (with_list(sql="SELECT id FROM public.nowhere"), "watch list 'staff'", "42P01"),
        (with_list(sql="SELECT nextval('public.counter')"), "read-only", "25006"),
    ],
)  # fmt: skip
async def test_a_failing_query_changes_nothing(
    conns: tuple[asyncpg.Connection, asyncpg.Connection],
    raw: dict[str, Any],
    error: str,
    sqlstate: str,
) -> None:
    await refresh(conns, EVERYTHING)
    with pytest.raises((ConfigError, FactsQueryFailed), match=error) as raised:
        await refresh(conns, raw)
    assert raised.value.sqlstate == sqlstate
    assert await stored(conns[1]) == (WATCHED, ASSIGNED)
