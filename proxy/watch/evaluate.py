"""Running rules over the audit store: each rule's query for a time range, its findings; and
the dry run of them that `detect replay` prints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from proxy.errors import UpstreamUnavailable
from proxy.upstream.errors import from_postgres_error
from proxy.watch.model import Finding, Rule, TimeRange
from proxy.watch.schema import CREATE_WATCH_SCHEMA


async def evaluate(conn: Any, rules: Sequence[Rule], span: TimeRange) -> list[Finding]:
    """The findings of `rules` over the records in `span`, on `conn` (an asyncpg connection,
    inside the caller's transaction: a rule may record what it learned, as novelty does, and
    a dry run rolls that back)."""
    findings: list[Finding] = []
    for rule in rules:
        query = rule.query(span)
        rows = await conn.fetch(query.sql, *query.args)
        findings += rule.findings(rows)
    return findings


async def replay(conn: Any, rules: Sequence[Rule], span: TimeRange) -> list[Finding]:
    """What `rules` find over `span`, one finding per dedup key, ordered by window end: in a
    transaction rolled back, so nothing a rule writes (or the watch's tables, if this store
    has none yet) stays."""
    transaction = conn.transaction()
    try:
        await transaction.start()
        try:
            if await conn.fetchval("SELECT to_regclass('palata_audit.alerts')") is None:
                await conn.execute(CREATE_WATCH_SCHEMA)
            found = await evaluate(conn, rules, span)
        finally:
            await transaction.rollback()
    except asyncpg.PostgresError as exc:
        raise from_postgres_error(exc, scrub=True) from None
    except (OSError, asyncpg.InterfaceError) as exc:
        raise UpstreamUnavailable(f"the audit store is unreachable: {type(exc).__name__}") from None
    unique: dict[str, Finding] = {}
    for finding in found:
        unique.setdefault(finding.dedup_key, finding)
    return sorted(unique.values(), key=lambda f: (f.window_end, f.rule, f.actor))
