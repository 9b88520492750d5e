"""Searching a real `palata_audit.records`: each filter alone, filters together, paging."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from proxy.audit.record import AuditRecord
from proxy.audit.search import SearchFilter, search_records
from tests.audit.search_support import (
    T0,
    create_records_table,
    debtor,
    insert_records,
    make_record,
    read,
)

RECORDS = [
    make_record(1, subjects=(debtor(1), debtor(2)), subject_count=2, rows=2),
    make_record(2, principal="dpo", roles=("dpo",), purpose="dpo_review", subjects=(debtor(1),)),
    make_record(
        3,
        outcome="denied",
        sqlstate="42501",
        reason="column public.debtors.notes is denied",
        access=read("public.debtors", "notes", decision="denied"),
        rows=None,
    ),
    make_record(4, access=read("public.debtors", "iin", decision="masked", mask="partial_last4")),
    make_record(5, access=read("public.payments", "amount"), roles=("collector", "auditor")),
    make_record(6, instance="palata-proxy-b", seq=1, subjects=(debtor(2),), outcome="failed"),
]


def ids(records: tuple[AuditRecord, ...]) -> list[str]:
    return [record.id for record in records]


@pytest.fixture
async def conn(fresh_dsn: str) -> AsyncIterator[Any]:
    connection = await asyncpg.connect(fresh_dsn)
    try:
        await create_records_table(connection)
        await insert_records(connection, RECORDS)
        yield connection
    finally:
        await connection.close()


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        pytest.param(
            SearchFilter(), ["rec-6", "rec-5", "rec-4", "rec-3", "rec-2", "rec-1"], id="all"
        ),
        pytest.param(SearchFilter(principal="dpo"), ["rec-2"], id="principal"),
        pytest.param(SearchFilter(role="auditor"), ["rec-5"], id="role-among-several"),
        pytest.param(SearchFilter(purpose="dpo_review"), ["rec-2"], id="purpose"),
        pytest.param(SearchFilter(table="public.payments"), ["rec-5"], id="table"),
        pytest.param(SearchFilter(column="notes"), ["rec-3"], id="column"),
        pytest.param(SearchFilter(decision="masked"), ["rec-4"], id="decision"),
        pytest.param(SearchFilter(outcome="failed"), ["rec-6"], id="outcome"),
        pytest.param(
            SearchFilter(since=T0 + timedelta(minutes=4)), ["rec-6", "rec-5", "rec-4"], id="since"
        ),
        pytest.param(
            SearchFilter(until=T0 + timedelta(minutes=2)), ["rec-1"], id="until-exclusive"
        ),
        pytest.param(SearchFilter(subjects=(debtor(2),)), ["rec-6", "rec-1"], id="subject"),
        pytest.param(
            SearchFilter(subjects=(debtor(1), debtor(2))),
            ["rec-6", "rec-2", "rec-1"],
            id="any-of-subjects",
        ),
        pytest.param(SearchFilter(subjects=()), [], id="no-subject-matches-nothing"),
        pytest.param(
            SearchFilter(table="public.debtors", column="iin", decision="clear"),
            ["rec-6", "rec-2", "rec-1"],
            id="column-and-decision-together",
        ),
        pytest.param(
            SearchFilter(column="notes", decision="clear"), [], id="same-element-or-nothing"
        ),
        pytest.param(
            SearchFilter(principal="collector", subjects=(debtor(1),)), ["rec-1"], id="combined"
        ),
        pytest.param(
            SearchFilter(principal="collector", outcome="denied", column="notes"),
            ["rec-3"],
            id="combined-denial",
        ),
        pytest.param(SearchFilter(principal="x' OR TRUE --"), [], id="injection-is-a-value"),
    ],
)
async def test_filters(conn: Any, search: SearchFilter, expected: list[str]) -> None:
    page = await search_records(conn, search)
    assert ids(page.records) == expected
    assert page.next_cursor is None


async def test_records_come_back_as_they_were_stored(conn: Any) -> None:
    page = await search_records(conn, SearchFilter())
    assert sorted(page.records, key=lambda r: r.id) == sorted(RECORDS, key=lambda r: r.id)


@pytest.mark.parametrize(
    ("oldest_first", "limit"),
    [
        pytest.param(False, 1, id="newest-first-by-1"),
        pytest.param(False, 4, id="newest-first-by-4"),
        pytest.param(True, 2, id="oldest-first-by-2"),
    ],
)
async def test_pages_cover_everything_once_in_order(
    conn: Any, oldest_first: bool, limit: int
) -> None:
    search = SearchFilter(limit=limit, oldest_first=oldest_first)
    seen: list[AuditRecord] = []
    while True:
        page = await search_records(conn, search)
        assert len(page.records) <= limit
        seen.extend(page.records)
        if page.next_cursor is None:
            break
        search = replace(search, after=page.next_cursor)
    keys = [(r.at, r.instance, r.seq) for r in seen]
    assert keys == sorted(keys, reverse=not oldest_first)
    assert len(set(keys)) == len(RECORDS)


async def test_records_in_the_same_instant_page_apart(conn: Any) -> None:
    twins = [
        make_record(10, instance="twin"),
        make_record(11, instance="twin", at=T0 + timedelta(minutes=10)),
    ]
    await insert_records(conn, twins)
    search = SearchFilter(limit=1, since=T0 + timedelta(minutes=10))
    first = await search_records(conn, search)
    assert first.next_cursor is not None
    second = await search_records(conn, replace(search, after=first.next_cursor))
    assert ids(first.records) + ids(second.records) == ["rec-11", "rec-10"]
    assert second.next_cursor is None
