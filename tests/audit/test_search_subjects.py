"""Who read this person's data: an IIN becomes subject HMACs, on the red-team fixture schema and
catalogue, and the search by it finds exactly the records that returned that person's rows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest

from proxy.audit.search import SearchFilter, search_records
from proxy.audit.subjects import (
    KeyLookup,
    MalformedSubject,
    SubjectCriterion,
    SubjectKey,
    find_subjects,
    hmacs_for,
    lookups_for,
)
from proxy.policy.catalogue import Catalogue
from proxy.policy.masks import Kind
from tests.audit.search_support import (
    KEYS,
    debtor,
    employee,
    make_record,
    records_database,
)
from tests.support import REPO

CATALOGUE = Catalogue.load(REPO / "tests" / "redteam" / "policies" / "catalogue.toml")
DEBTOR_1_IIN = "570913378601"  # debtors.id 1 in shared/redteam/schema.sql (synthetic)
DEBTOR_3_IIN = "920604398793"
EMPLOYEE_1_IIN = "700319473994"
UNKNOWN_IIN = "111111111111"

RECORDS = [
    make_record(1, subjects=(debtor(1), debtor(2)), subject_count=2),
    make_record(2, subjects=(debtor(2),), subject_count=1),
    make_record(3, subjects=(debtor(1),), subject_count=1, principal="dpo"),
    make_record(4, subjects=(employee(1),), subject_count=1),
    make_record(5, subjects=(), subject_count=0),
    make_record(6, subjects=(debtor(3),), subject_count=1),
]


@pytest.fixture(scope="module")
def fixture_db(admin_dsn: str) -> Iterator[str]:
    with records_database(admin_dsn, "audit_subjects", RECORDS) as dsn:
        yield dsn


@pytest.fixture
async def conn(fixture_db: str) -> AsyncIterator[Any]:
    connection = await asyncpg.connect(fixture_db)
    try:
        yield connection
    finally:
        await connection.close()


def test_an_iin_is_looked_up_in_the_subject_tables_that_hold_one() -> None:
    assert lookups_for(CATALOGUE, Kind.IIN) == (
        KeyLookup("public.debtors", "iin", "id"),
        KeyLookup("public.employees", "iin", "id"),
    )
    assert lookups_for(CATALOGUE, Kind.BIN) == ()


@pytest.mark.parametrize(
    ("iin", "expected"),
    [
        pytest.param(DEBTOR_1_IIN, (SubjectKey("public.debtors", "1"),), id="debtor"),
        pytest.param(EMPLOYEE_1_IIN, (SubjectKey("public.employees", "1"),), id="employee"),
        pytest.param(UNKNOWN_IIN, (), id="nobody"),
    ],
)
async def test_find_subjects(conn: Any, iin: str, expected: tuple[SubjectKey, ...]) -> None:
    assert await find_subjects(conn, CATALOGUE, iin, Kind.IIN) == expected


@pytest.mark.parametrize(
    ("iin", "expected"),
    [
        pytest.param(DEBTOR_1_IIN, ["rec-3", "rec-1"], id="debtor-1"),
        pytest.param(DEBTOR_3_IIN, ["rec-6"], id="debtor-3"),
        pytest.param(EMPLOYEE_1_IIN, ["rec-4"], id="employee-1"),
        pytest.param(UNKNOWN_IIN, [], id="unknown-person-finds-nothing"),
    ],
)
async def test_a_search_by_iin_finds_exactly_the_records_naming_that_person(
    conn: Any, iin: str, expected: list[str]
) -> None:
    hmacs = await hmacs_for(SubjectCriterion(iin=iin), CATALOGUE, KEYS.subject_hmac, _on(conn))
    assert hmacs is not None
    page = await search_records(conn, SearchFilter(subjects=hmacs))
    assert [r.id for r in page.records] == expected
    assert all(set(hmacs) & set(r.subjects) for r in page.records)


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        pytest.param(SubjectCriterion(), None, id="no-subject-means-any"),
        pytest.param(SubjectCriterion(subject="public.debtors=2"), (debtor(2),), id="raw-key"),
    ],
)
async def test_subject_criteria(
    conn: Any, criterion: SubjectCriterion, expected: tuple[str, ...] | None
) -> None:
    assert await hmacs_for(criterion, CATALOGUE, KEYS.subject_hmac, _on(conn)) == expected


@pytest.mark.parametrize(
    ("criterion", "message"),
    [
        pytest.param(SubjectCriterion(iin="57091337860"), "IIN must be exactly 12", id="11"),
        pytest.param(SubjectCriterion(iin="5709133786012"), "IIN must be exactly 12", id="13"),
        pytest.param(SubjectCriterion(iin="57091337860a"), "IIN must be exactly 12", id="letter"),
        pytest.param(SubjectCriterion(iin=" 570913378601"), "IIN must be", id="space"),
        pytest.param(
            SubjectCriterion(iin="５７０９１３３７８６０１"), "IIN must be", id="fullwidth"
        ),
        pytest.param(SubjectCriterion(iin="570913378601' OR '1'='1"), "IIN must be", id="sql"),
        pytest.param(SubjectCriterion(bin="12345"), "BIN must be exactly 12", id="bin"),
        pytest.param(
            SubjectCriterion(iin=DEBTOR_1_IIN, subject="public.debtors=1"), "not several", id="two"
        ),
        pytest.param(SubjectCriterion(subject="debtors=1"), "schema.table=KEY", id="no-schema"),
        pytest.param(
            SubjectCriterion(subject="public.payments=1"), "not a subject table", id="not-subject"
        ),
    ],
)
async def test_malformed_subjects_are_refused_without_echo(
    criterion: SubjectCriterion, message: str
) -> None:
    with pytest.raises(MalformedSubject) as refused:
        await hmacs_for(criterion, CATALOGUE, KEYS.subject_hmac, _no_connection)
    assert (refused.value.sqlstate, refused.value.http_status) == ("22023", 400)
    assert message in refused.value.message
    for value in (criterion.iin, criterion.bin):
        if value:
            assert value not in refused.value.message
            assert value.strip() not in refused.value.message
    assert DEBTOR_1_IIN not in repr(criterion)


def _on(conn: Any) -> Any:
    @asynccontextmanager
    async def connect() -> AsyncIterator[Any]:
        yield conn

    return connect


def _no_connection() -> Any:
    raise AssertionError("a malformed subject must be refused before any connection")
