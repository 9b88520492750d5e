"""Helpers for the provisioning tests: the red-team fixture, its policy, and role clean-up.

Roles are cluster-wide, so each test module provisions under a prefix of its own (`t_<hex>_`)
and drops every role with that prefix at the end, leaving nothing on the shared server.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg

from proxy.policy import PolicyEngine
from proxy.sql.quoting import quote_ident
from tests.redteam.corpus import SHARED
from tests.support import REPO

REDTEAM_POLICIES = REPO / "tests" / "redteam" / "policies"
MODEL = REPO / "models.conf"


def unique_prefix() -> str:
    return f"t_{uuid.uuid4().hex[:8]}_"


def redteam_engine() -> PolicyEngine:
    return PolicyEngine.load(REDTEAM_POLICIES, MODEL)


def load_schema(dsn: str, schema: Path = SHARED / "schema.sql") -> None:
    asyncio.run(_execute(dsn, schema.read_text(encoding="utf-8")))


def drop_roles(dsn: str, prefix: str) -> None:
    """Drop every role named `<prefix>…`, with its privileges in the database of `dsn`."""
    asyncio.run(_drop_roles(dsn, prefix))


async def _execute(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _drop_roles(dsn: str, prefix: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        names = await conn.fetch(
            "SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)", prefix
        )
        for row in names:
            quoted = quote_ident(row["rolname"])
            await conn.execute(f"DROP OWNED BY {quoted}")
            await conn.execute(f"DROP ROLE {quoted}")
    finally:
        await conn.close()
