"""Running rules over the audit store: each rule's query for a time range, its findings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from proxy.watch.model import Finding, Rule, TimeRange


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
