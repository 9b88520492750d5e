"""Masks the proxy applies on the way out, and the tripwire, on a real database.

The red-team fixture with two additions: a column the catalogue does not classify
(`payments.memo`) holding an IIN, and an `analyst` role that reads debtors with pseudonyms
and partially masked notes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from proxy.detection.operators import Pseudonymiser
from proxy.errors import AccessDenied, ConfigError
from proxy.pipeline import Pipeline
from proxy.upstream.pool import open_upstream
from tests.pipeline.fixture_db import (
    ANALYST,
    COLLECTOR,
    DPO,
    KEY,
    MEMO_IIN,
    direct,
    dsn,
    pipeline,
    policies,
    run,
    settings_for,
)

__all__ = ["dsn", "pipeline", "policies"]  # fixtures


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
