"""An audit database reached through a login of its own, which a test can lock out (and let
back in) to take the audit store down as an outage would."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from proxy.config import Settings, load_settings
from tests.audit.support import KEY


class AuditDatabase:
    def __init__(self, admin_dsn: str, login: str) -> None:
        self.admin_dsn = admin_dsn
        self.login = login
        parts = urlsplit(admin_dsn)
        self.dsn = urlunsplit(parts._replace(netloc=f"{login}@{parts.hostname}:{parts.port}"))

    async def take_down(self) -> None:
        """No new connection for the login, and its open ones ended."""
        await self._admin(
            f'ALTER ROLE "{self.login}" NOLOGIN',
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE usename = '{self.login}'",
        )

    async def bring_back(self) -> None:
        await self._admin(f'ALTER ROLE "{self.login}" LOGIN')

    async def fetchval(self, query: str) -> object:
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            return await conn.fetchval(query)
        finally:
            await conn.close()

    async def _admin(self, *statements: str) -> None:
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    def settings(self, spool_dir: Path, **audit: object) -> Settings:
        flags = {
            "upstream.dsn": self.dsn,
            "audit.key": KEY.decode(),
            "audit.spool_dir": spool_dir,
            **{f"audit.{k}": v for k, v in audit.items()},
        }
        return load_settings(None, {}, flags)


@pytest.fixture(scope="module")
def audit_db(fresh_dsn: str) -> Iterator[AuditDatabase]:
    login = f"audit_{uuid.uuid4().hex[:8]}"
    database = urlsplit(fresh_dsn).path.lstrip("/")

    async def setup() -> None:
        conn = await asyncpg.connect(fresh_dsn)
        try:
            await conn.execute(f'CREATE ROLE "{login}" LOGIN')
            await conn.execute(f'GRANT CREATE ON DATABASE "{database}" TO "{login}"')
        finally:
            await conn.close()

    asyncio.run(setup())
    db = AuditDatabase(fresh_dsn, login)
    yield db

    async def teardown() -> None:
        await db._admin(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{login}'",
            "DROP SCHEMA IF EXISTS palata_audit CASCADE",
            f'REVOKE ALL ON DATABASE "{database}" FROM "{login}"',
            f'DROP ROLE IF EXISTS "{login}"',
        )

    asyncio.run(teardown())
