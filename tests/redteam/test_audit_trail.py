"""The audit trail of a real `palata-proxy serve` on the red-team fixture: every answer has its
record, and a debtor's IIN finds exactly the statements that returned that debtor's rows."""

from __future__ import annotations

import asyncio
import urllib.parse
import urllib.request
from typing import Any

import asyncpg
import pytest

from proxy.provision.names import db_role_name
from tests.cli.process import get_json, post_json
from tests.redteam.corpus import SECRETS

DEBTOR = 3  # its IIN is read from the fixture, never written here


def query(base: str, who: str, sql: str, params: list[Any] | None = None) -> tuple[int, Any]:
    status, body = post_json(f"{base}/v1/query", {"sql": sql, "params": params or []}, SECRETS[who])
    assert isinstance(body, dict)
    return status, body


def audit_id(body: dict[str, Any]) -> str:
    found = body["audit_id"] if "audit_id" in body else body["error"]["audit_id"]
    assert isinstance(found, str) and found, body
    return found


async def stored(dsn: str, ids: list[str]) -> dict[str, asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT id, outcome, principal, kind, sql, rows, subject_count, access::text AS access"
            " FROM palata_audit.records WHERE id = ANY($1::text[])",
            ids,
        )
        return {row["id"]: row for row in rows}
    finally:
        await conn.close()


async def iin_of(dsn: str, debtor: int) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        return str(await conn.fetchval("SELECT iin FROM debtors WHERE id = $1", debtor))
    finally:
        await conn.close()


MIXED = [
    ("collector", "SELECT id, iin, full_name FROM debtors ORDER BY id LIMIT 5", 200, "served"),
    ("collector", "SELECT notes FROM debtors WHERE id = $1", 200, "served"),
    ("collector", "SELECT salary FROM employees", 403, "denied"),
    ("collector", "UPDATE debtors SET debt_amount = 0 WHERE id = 7", 403, "denied"),
    ("collector", "SELEC broken", 400, "denied"),
    ("dpo", "SELECT iin, full_name FROM debtors WHERE id = $1", 200, "served"),
    ("intern", "SELECT * FROM debtors", 403, "denied"),
    ("collector", "SELECT count(*) FROM payments", 200, "served"),
]


def test_every_answer_has_its_record(proxy_url: str, fixture_dsn: str) -> None:
    answers = []
    for who, sql, status, outcome in MIXED:
        params = [DEBTOR] if "$1" in sql else []
        got, body = query(proxy_url, who, sql, params)
        assert got == status, body
        answers.append((audit_id(body), who, outcome))
    records = asyncio.run(stored(fixture_dsn, [a for a, _, _ in answers]))
    for (record_id, who, outcome), (_, sql, _, _) in zip(answers, MIXED, strict=True):
        record = records[record_id]
        assert (record["principal"], record["outcome"]) == (who, outcome), sql
    served = records[answers[1][0]]
    assert served["sql"] == "SELECT notes FROM debtors WHERE id = $1"
    assert '"decision": "redacted"' in served["access"]
    assert records[answers[4][0]]["sql"] is None, "what does not parse is not kept"


def test_records_hold_no_literal_of_the_statement(proxy_url: str, fixture_dsn: str) -> None:
    iin = asyncio.run(iin_of(fixture_dsn, DEBTOR))
    sql = f"SELECT id FROM debtors WHERE iin = '{iin}' /* {iin} */"
    status, body = query(proxy_url, "dpo", sql)
    assert status == 200, body
    record = asyncio.run(stored(fixture_dsn, [audit_id(body)]))[audit_id(body)]
    assert iin not in str(dict(record))
    assert record["sql"] == "SELECT id FROM debtors WHERE iin = $1"


def search(base: str, who: str, **filters: str) -> tuple[int, Any]:
    status, raw = get_json(f"{base}/v1/audit?{urllib.parse.urlencode(filters)}", SECRETS[who])
    import json

    return status, json.loads(raw)


def test_an_iin_finds_exactly_the_statements_that_returned_its_debtor(
    proxy_url: str, fixture_dsn: str
) -> None:
    iin = asyncio.run(iin_of(fixture_dsn, DEBTOR))
    statements = {
        "by id": ("collector", f"SELECT full_name, phone FROM debtors WHERE id = {DEBTOR}", True),
        "another": ("collector", "SELECT full_name FROM debtors WHERE id = 4", False),
        "payments": ("collector", f"SELECT amount FROM payments WHERE debtor_id = {DEBTOR}", True),
        "count": ("collector", "SELECT count(*) FROM debtors", False),
        "dpo": ("dpo", f"SELECT iin FROM debtors WHERE id = {DEBTOR}", True),
        "denied": ("collector", f"SELECT salary FROM employees WHERE id = {DEBTOR}", False),
        "join": (
            "collector",
            f"SELECT d.id, p.amount FROM debtors d JOIN payments p ON p.debtor_id = d.id "
            f"WHERE d.id IN ({DEBTOR}, 4)",
            True,
        ),
    }
    ids = {}
    for name, (who, sql, _) in statements.items():
        _, body = query(proxy_url, who, sql)
        ids[name] = audit_id(body)
    status, answer = search(proxy_url, "dpo", iin=iin, limit="1000")
    assert status == 200, answer
    found = {record["id"] for record in answer["records"]}
    expected = {ids[name] for name, (_, _, returns) in statements.items() if returns}
    assert found & set(ids.values()) == expected
    assert iin not in str(answer)


@pytest.mark.parametrize("who", ["collector", "intern"])
def test_only_security_roles_search_the_trail(proxy_url: str, who: str) -> None:
    status, answer = search(proxy_url, who, principal="dpo")
    assert status == 403 and answer["error"]["code"] == "42501"
    assert answer["error"]["audit_id"], "the refused search is itself on record"


async def _grant_iin(dsn: str, role: str, granted: bool) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        # provisioning grants by column: a column's grant is taken back alone
        verb = (
            "GRANT SELECT (iin) ON debtors TO" if granted else "REVOKE SELECT (iin) ON debtors FROM"
        )
        await conn.execute(f'{verb} "{role}"')
    finally:
        await conn.close()


def test_an_iin_is_looked_up_with_the_searchers_own_database_role(
    proxy_url: str, fixture_dsn: str, role_prefix: str
) -> None:
    """The DPO's search by IIN reads `debtors.iin` as the DPO's database role, not as the
    proxy's own login: without that grant the search is refused, and it works again with it."""
    iin = asyncio.run(iin_of(fixture_dsn, DEBTOR))
    dpo_role = db_role_name("dpo", role_prefix)
    asyncio.run(_grant_iin(fixture_dsn, dpo_role, granted=False))
    try:
        status, body = post_json(f"{proxy_url}/v1/audit/search", {"iin": iin}, SECRETS["dpo"])
    finally:
        asyncio.run(_grant_iin(fixture_dsn, dpo_role, granted=True))
    assert isinstance(body, dict)
    assert (status, body["error"]["code"]) == (403, "42501"), body
    assert iin not in str(body)
    status, body = post_json(f"{proxy_url}/v1/audit/search", {"iin": iin}, SECRETS["dpo"])
    assert status == 200, body


def test_metrics_count_the_records_written(proxy_url: str) -> None:
    def written() -> float:
        with urllib.request.urlopen(f"{proxy_url}/metrics", timeout=30) as response:
            text = response.read().decode()
        assert "palata_audit_spooling 0.0" in text, "the store answers: nothing waits"
        (line,) = [x for x in text.splitlines() if x.startswith("palata_audit_records_written")]
        return float(line.split()[-1])

    before = written()
    status, _ = query(proxy_url, "collector", "SELECT count(*) FROM payments")
    assert status == 200
    assert written() >= before + 1
