"""The red-team corpus: cases, canaries and the outcome rules of shared/redteam/README.md."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support import REPO

SHARED = REPO.parent / "shared" / "redteam"
OWN_CASES = REPO / "tests" / "redteam" / "cases_own.jsonl"
SECRETS = {
    "collector": "collector-secret",
    "dpo": "dpo-secret",
    "intern": "intern-secret",
    "collector_b": "collector-b-secret",  # detection tests only (tests/redteam/test_detection.py)
}


@dataclass(frozen=True)
class Case:
    id: str
    principal: str
    expect: str
    sql: str
    params: list[Any] = field(default_factory=list)
    purpose: str | None = None
    forbid_sql: str | None = None
    forbid_state: str | None = None


def load_cases(*paths: Path) -> list[Case]:
    cases = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                raw = json.loads(line)
                raw.pop("public", None)
                cases.append(Case(**raw))
    return cases


def corpus() -> list[Case]:
    paths = [SHARED / "cases_public.jsonl"]
    if OWN_CASES.exists():
        paths.append(OWN_CASES)
    return load_cases(*paths)


def canaries() -> list[str]:
    return [str(c) for c in json.loads((SHARED / "canaries.json").read_text(encoding="utf-8"))]


def leaked(text: str, case: Case, forbidden: list[str]) -> list[str]:
    """What in `text` is a leak: canaries and forbidden values the query text does not itself
    contain, and any LEAK_ marker (it appears only when a predicate matched real data)."""
    found = [c for c in forbidden if c and c in text and c not in case.sql]
    if "LEAK_" in text:
        found.append("a LEAK_ marker")
    return found


async def load_fixture_schema(conn: Any) -> None:
    """shared/redteam/schema.sql into the database of `conn` (an asyncpg connection)."""
    await conn.execute((SHARED / "schema.sql").read_text(encoding="utf-8"))
