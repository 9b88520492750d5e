"""`palata-proxy detect replay` over a real audit store: the findings a rule would have raised in
(T1, T2], one per dedup key, as a table or JSON lines; nothing left behind (no alert, nothing a
rule wrote in its rolled-back transaction), and the run itself audited. The rule is this test's
own (`count`), registered in the rules' registry for the run."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from proxy.cli import main
from proxy.watch import rules as registry
from proxy.watch.config import RuleContext, RuleSettings
from proxy.watch.model import Finding, RuleQuery, TimeRange
from proxy.watch.schema import CREATE_WATCH_SCHEMA
from tests.audit.search_support import T0, create_records_table, insert_records, make_record
from tests.conftest import new_database


class CountSettings(RuleSettings):
    outcome: str
    at_least: int


@dataclass(frozen=True)
class CountRule:
    """A finding at each record from the `at_least`-th of a principal's records with `outcome`
    in the range (so several per hour: the replay keeps one per dedup key). Like novelty, it
    writes what it saw to `principal_seen`, which the replay must roll back."""

    name: str
    settings: CountSettings

    @property
    def every(self) -> timedelta:
        return timedelta(0)

    @property
    def lookback(self) -> timedelta:
        return timedelta(0)

    def query(self, span: TimeRange) -> RuleQuery:
        sql = """
        WITH seen AS (
          INSERT INTO palata_audit.principal_seen (principal, dimension, value, first_at, last_at)
          SELECT DISTINCT principal, 'test', 'x', $1::timestamptz, $1::timestamptz
          FROM palata_audit.records WHERE at > $1 AND at <= $2
          ON CONFLICT DO NOTHING RETURNING 1),
        numbered AS (
          SELECT principal, at, id,
                 count(*) OVER (PARTITION BY principal ORDER BY at) AS n,
                 array_agg(id) OVER (PARTITION BY principal ORDER BY at) AS ids
          FROM palata_audit.records
          WHERE at > $1 AND at <= $2 AND outcome = $3 AND kind = 'select')
        SELECT principal, at, n, ids, (SELECT count(*) FROM seen) AS seen
        FROM numbered WHERE n >= $4 ORDER BY principal, at"""
        return RuleQuery(sql, (span.start, span.end, self.settings.outcome, self.settings.at_least))

    def findings(self, rows: Sequence[Mapping[str, Any]]) -> list[Finding]:
        return [
            Finding(
                rule=self.name,
                severity=self.settings.severity,
                action=self.settings.action,
                actor=row["principal"],
                window_start=T0,
                window_end=row["at"],
                bucket=row["at"].replace(minute=0, second=0, microsecond=0),
                measure={"statements": row["n"], "threshold": self.settings.at_least},
                record_ids=tuple(row["ids"]),
                summary=f"{row['n']} {self.settings.outcome} statements "
                f"(threshold {self.settings.at_least})",
            )
            for row in rows
        ]


def build_count(name: str, table: Mapping[str, Any], context: RuleContext) -> CountRule:
    return CountRule(name, CountSettings.model_validate(table))


DETECTION = """
version = 1
[rules.many_served]
kind = "count"
outcome = "served"
at_least = 3
severity = "high"
rationale = "A test rule: three served statements in the range."
[rules.many_denied]
kind = "count"
outcome = "denied"
at_least = 2
severity = "medium"
rationale = "A test rule: two denied statements in the range."
"""

RECORDS = [  # rec-n at T0 + n minutes
    *(make_record(n) for n in (1, 2, 3, 4)),
    make_record(5, principal="intern", roles=("intern",), outcome="denied"),
    make_record(6, principal="intern", roles=("intern",), outcome="denied"),
    make_record(70),  # 10:10, the next hour
]


@pytest.fixture(scope="module")
def dsn(admin_dsn: str) -> Iterator[str]:
    async def load(dsn: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await create_records_table(conn)
            await insert_records(conn, RECORDS)
            await conn.execute(CREATE_WATCH_SCHEMA)
        finally:
            await conn.close()

    with new_database(admin_dsn, "detect_replay") as dsn:
        asyncio.run(load(dsn))
        yield dsn


@pytest.fixture
def config(dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setitem(registry.BUILDERS, "count", build_count)
    (tmp_path / "detection.toml").write_text(DETECTION)
    settings = tmp_path / "proxy.toml"
    settings.write_text(
        f'[proxy]\ninstance = "replay-test"\n[upstream]\ndsn = "{dsn}"\n'
        f'[policies]\ndir = "{tmp_path}"\n'
        f'[audit]\nkey = "replay-test-audit-key-0123456789abcdef"\nspool_dir = "{tmp_path}/spool"\n'
    )
    return settings


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


@pytest.mark.parametrize(
    ("since", "until", "extra", "expected"),
    [
        pytest.param(
            0, 60, [], [("collector", "many_served", 3), ("intern", "many_denied", 6)], id="hour"
        ),
        pytest.param(0, 2, [], [], id="below-threshold"),
        pytest.param(
            0,
            80,
            [],
            [
                ("collector", "many_served", 3),
                ("intern", "many_denied", 6),
                ("collector", "many_served", 70),
            ],
            id="two-buckets",
        ),
        pytest.param(
            0, 60, ["--rule", "many_denied"], [("intern", "many_denied", 6)], id="one-rule"
        ),
        pytest.param(4, 80, [], [("intern", "many_denied", 6)], id="from-is-exclusive"),
    ],
)
def test_replay_prints_what_would_have_fired(
    config: Path,
    capsys: pytest.CaptureFixture[str],
    since: int,
    until: int,
    extra: list[str],
    expected: list[tuple[str, str, int]],
) -> None:
    argv = ["detect", "replay", "--config", str(config), "--from", at(since), "--to", at(until)]
    assert main([*argv, *extra, "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    found = [(f["actor"], f["rule"], f["window_end"]) for f in lines]
    assert found == [(actor, rule, at(minute)) for actor, rule, minute in expected]


def test_the_table_counts_per_rule(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["detect", "replay", "--config", str(config), "--from", at(0), "--to", at(60)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    header, served, denied, blank, *counts = out.splitlines()
    assert header.split()[:4] == ["window", "end", "(UTC)", "rule"]
    assert served.split()[:6] == ["2026-03-02", "09:03:00", "many_served", "high", "collector", "3"]
    assert served.endswith("rec-1,rec-2,rec-3")
    assert "intern" in denied and blank == ""
    assert counts == ["findings per rule:", "many_served  1", "many_denied  1"]


def test_replay_leaves_no_trace_but_its_audit_record(
    config: Path, dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["detect", "replay", "--config", str(config), "--from", at(0), "--to", at(80)]
    assert main(argv) == 0
    capsys.readouterr()

    async def count() -> tuple[int, int, list[tuple[str, str, int]]]:
        conn = await asyncpg.connect(dsn)
        try:
            alerts = await conn.fetchval("SELECT count(*) FROM palata_audit.alerts")
            seen = await conn.fetchval("SELECT count(*) FROM palata_audit.principal_seen")
            audited = await conn.fetch(
                "SELECT door, kind, rows FROM palata_audit.records WHERE kind = 'detect_replay'"
            )
        finally:
            await conn.close()
        return alerts, seen, [tuple(r) for r in audited]

    alerts, seen, audited = asyncio.run(count())
    assert (alerts, seen) == (0, 0)
    assert ("cli", "detect_replay", 3) in audited


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        pytest.param(["--from", at(60), "--to", at(0)], 1, "later than", id="backwards"),
        pytest.param(["--from", "yesterday", "--to", at(0)], 1, "ISO 8601", id="bad-time"),
        pytest.param(
            ["--from", at(0), "--to", at(60), "--rule", "nope"], 2, "no enabled rule", id="rule"
        ),
    ],
)
def test_refusals(
    config: Path, capsys: pytest.CaptureFixture[str], args: list[str], status: int, message: str
) -> None:
    assert main(["detect", "replay", "--config", str(config), *args]) == status
    assert message in capsys.readouterr().err


def test_the_pii_verb_still_wants_a_mode(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["detect"])
    assert exited.value.code == 2
    assert "one of the arguments --jsonl --evaluate is required" in capsys.readouterr().err
