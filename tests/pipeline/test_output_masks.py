"""Masks the proxy applies on the way out, and the tripwire, on a real database.

The red-team fixture with two additions: a column the catalogue does not classify
(`payments.memo`) holding an IIN, and an `analyst` role that reads debtors with pseudonyms
and partially masked notes.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from proxy.config import Settings, load_settings
from proxy.detection.operators import Pseudonymiser
from proxy.errors import AccessDenied, ConfigError
from proxy.identity.principals import Principal
from proxy.pipeline import Pipeline
from proxy.pipeline.request import QueryRequest
from proxy.upstream.pool import open_upstream
from tests.conftest import new_database
from tests.policy.support import MODEL, REDTEAM, write_policies
from tests.redteam.corpus import load_fixture_schema

KEY = "an analyst's pseudonym key, 32 bytes or more"
MEMO_IIN = "560126405147"  # a guarantor's IIN in the fixture, valid check digit
ANALYST_RULES = """
p, analyst, public.debtors.*, select, analytics, allow, allow, 150
p, analyst, public.debtors.iin, select, analytics, allow, mask:pseudonym, 100
p, analyst, public.debtors.phone, select, analytics, allow, mask:pseudonym, 100
p, analyst, public.debtors.full_name, select, analytics, allow, mask:pseudonym, 100
p, analyst, public.debtors.notes, select, analytics, allow, mask:redact_partial, 100
"""
COLLECTOR = Principal(
    "collector", ("collector",), ("debt_collection",), "debt_collection", {"region": "Алматы"}
)
DPO = Principal("dpo", ("dpo",), ("dpo_review",), "dpo_review", {})
ANALYST = Principal("analyst", ("analyst",), ("analytics",), "analytics", {})


@pytest.fixture(scope="module")
def dsn(admin_dsn: str) -> Iterator[str]:
    with new_database(admin_dsn, "output_masks") as fresh:
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


async def test_the_tripwire_redacts_personal_data_in_unclassified_columns(
    pipeline: Pipeline,
) -> None:
    outcome = await run(pipeline, COLLECTOR, "SELECT id, memo FROM payments ORDER BY id")
    memos = [row[1] for row in outcome.result.rows]
    assert "Оплату внёс поручитель, ИИН <KZ_IIN>" in memos
    assert not any(MEMO_IIN in (memo or "") for memo in memos)
    assert outcome.masked == (False, True)
    [gap] = outcome.gaps
    assert gap.columns == ("public.payments.memo",)
    assert gap.findings == (("KZ_IIN", 1),)
    assert MEMO_IIN not in repr(gap)


async def test_a_principal_with_full_need_to_know_passes_the_tripwire(pipeline: Pipeline) -> None:
    outcome = await run(pipeline, DPO, "SELECT memo FROM payments WHERE memo IS NOT NULL")
    assert outcome.result.rows == [(f"Оплату внёс поручитель, ИИН {MEMO_IIN}",)]
    assert (outcome.masked, outcome.gaps) == ((False,), ())


async def test_pseudonyms_are_keyed_and_stable(pipeline: Pipeline, dsn: str) -> None:
    sql = "SELECT id, iin, phone, full_name FROM debtors WHERE id IN (1, 2, 3) ORDER BY id"
    clear = await direct(dsn, sql)
    first = await run(pipeline, ANALYST, sql)
    again = await run(pipeline, ANALYST, sql)
    assert first.result.rows == again.result.rows
    token = Pseudonymiser(KEY.encode()).token
    assert first.result.rows == [
        (
            r["id"],
            token("KZ_IIN", r["iin"]),
            token("PHONE_NUMBER", r["phone"]),
            token("PERSON", r["full_name"]),
        )
        for r in clear
    ]
    assert first.masked == (False, True, True, True)


async def test_partially_masked_notes_keep_no_identifier(pipeline: Pipeline, dsn: str) -> None:
    sql = "SELECT notes FROM debtors WHERE id = 3"
    [(clear,)] = await direct(dsn, sql)
    outcome = await run(pipeline, ANALYST, sql)
    [(masked,)] = outcome.result.rows
    assert masked != clear and len(masked) == len(clear)
    for number in re.findall(r"\d{12}", clear):  # the guarantor's IIN: only its tail is left
        assert number not in masked and number[-4:] in masked


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(DISTINCT iin) FROM debtors",
        "SELECT id FROM debtors WHERE iin = '570913378601'",
        "SELECT upper(full_name) FROM debtors",
    ],
)
async def test_pseudonymised_columns_may_only_be_projected(pipeline: Pipeline, sql: str) -> None:
    with pytest.raises(AccessDenied, match="masked by the proxy on the way out"):
        await run(pipeline, ANALYST, sql)


async def test_a_policy_naming_pseudonyms_needs_a_key(dsn: str, policies: Path) -> None:
    settings = settings_for(dsn, policies)
    async with open_upstream(dsn, settings.upstream) as upstream:
        with pytest.raises(ConfigError, match="pseudonym_key"):
            await Pipeline.build(settings, upstream)


@pytest.mark.parametrize(
    ("redaction", "message"),
    [
        ({"pseudonym_key": "short"}, "at least 32 bytes"),
        ({"pseudonym_key": KEY, "pseudonym_key_file": "/nonexistent"}, "not both"),
    ],
)
def test_bad_keys_are_refused_without_echoing_them(
    dsn: str, policies: Path, redaction: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        settings_for(dsn, policies, **redaction)
    assert redaction["pseudonym_key"] not in caught.value.message
