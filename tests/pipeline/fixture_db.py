"""A pipeline on the red-team fixture with two additions, for tests of what leaves it.

`payments.memo` is a column the catalogue does not classify, holding an IIN; `analyst` reads
debtors with pseudonyms and partly masked notes, and may update payments.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from proxy.audit.keys import AuditKeys
from proxy.audit.record import AuditRecord
from proxy.config import Settings, load_settings
from proxy.identity.principals import Principal
from proxy.pipeline import Pipeline
from proxy.pipeline.request import QueryRequest
from proxy.upstream.pool import open_upstream
from proxy.watch.model import Suspension
from tests.conftest import new_database
from tests.policy.support import MODEL, REDTEAM, write_policies
from tests.redteam.corpus import load_fixture_schema

KEY = "an analyst's pseudonym key, 32 bytes or more"
KEYS = AuditKeys(b"a test audit key, 32 bytes or more")


def suspension(alert_id: str | None) -> Suspension:
    """The collector, suspended by a bulk-read alert since 2026-03-02 03:00 UTC."""
    return Suspension(
        id="0b8f0c7e-2a53-4c1e-9a63-3d3f3e9a1c01",
        principal="collector",
        since=datetime(2026, 3, 2, 3, 0, tzinfo=UTC),
        reason="bulk read",
        alert_id=alert_id,
        rule="bulk_read",
    )


class RecordingSink:
    """An audit sink that keeps what it is given: for tests of what gets recorded."""

    keys = KEYS

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    async def write(self, record: AuditRecord) -> AuditRecord:
        self.records.append(record)
        return record


MEMO_IIN = "560126405147"  # a guarantor's IIN in the fixture, valid check digit
ANALYST_RULES = """
p, analyst, public.debtors.*, select, analytics, allow, allow, 150
p, analyst, public.debtors.iin, select, analytics, allow, mask:pseudonym, 100
p, analyst, public.debtors.phone, select, analytics, allow, mask:pseudonym, 100
p, analyst, public.debtors.full_name, select, analytics, allow, mask:pseudonym, 100
p, analyst, public.debtors.notes, select, analytics, allow, mask:redact_partial, 100
p, analyst, public.payments.*, select, analytics, allow, allow, 150
p, analyst, public.payments.*, update, analytics, allow, allow, 150
"""
COLLECTOR = Principal(
    "collector", ("collector",), ("debt_collection",), "debt_collection", {"region": "Алматы"}
)
DPO = Principal("dpo", ("dpo",), ("dpo_review",), "dpo_review", {})
ANALYST = Principal("analyst", ("analyst",), ("analytics",), "analytics", {})


@pytest.fixture(scope="module")
def dsn(admin_dsn: str, request: pytest.FixtureRequest) -> Iterator[str]:
    with new_database(admin_dsn, request.module.__name__) as fresh:
        asyncio.run(_prepare(fresh))
        yield fresh


async def _prepare(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await load_fixture_schema(conn)
        await conn.execute("ALTER TABLE payments ADD COLUMN memo text")
        await conn.execute(
            "UPDATE payments SET memo = $1 WHERE id = (SELECT min(id) FROM payments)",
            f"Оплату внёс поручитель, ИИН {MEMO_IIN}",
        )
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    policy = (REDTEAM / "policy.csv").read_text(encoding="utf-8") + ANALYST_RULES
    return write_policies(
        tmp_path_factory.mktemp("policies"),
        policy,
        (REDTEAM / "catalogue.toml").read_text(encoding="utf-8"),
        (REDTEAM / "row_filters.toml").read_text(encoding="utf-8"),
    )


def settings_for(dsn: str, policies: Path, **redaction: str) -> Settings:
    flags: dict[str, object] = {
        "upstream.dsn": dsn,
        "policies.dir": policies,
        "policies.model": MODEL,
        **{f"redaction.{k}": v for k, v in redaction.items()},
    }
    return load_settings(None, {}, flags)


@pytest.fixture
async def pipeline(dsn: str, policies: Path) -> AsyncIterator[Pipeline]:
    settings = settings_for(dsn, policies, pseudonym_key=KEY)
    async with open_upstream(dsn, settings.upstream) as upstream:
        yield await Pipeline.build(settings, upstream)


async def run(pipeline: Pipeline, who: Principal, sql: str) -> Any:
    return await pipeline.run(QueryRequest(who, who.default_purpose, sql, [], "http", None))


async def direct(dsn: str, sql: str) -> list[Any]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()
