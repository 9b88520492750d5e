"""Issue 7's measure: simulated working days of ten principals replayed through the real
pipeline, four known incidents injected, the detection rules of policies/detection.toml run
over the whole period. Every incident must be caught, and normal work may raise fewer than
one alert per 100 principal-days.

A finding catches an incident when one of the incident's expected rules names its actor and
its window meets the incident's span (plus `SLACK`); a finding about an incident's actor in
that span by another rule is counted as neither caught nor false; any other finding is false.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import pytest

from proxy.audit.keys import AuditKeys
from proxy.audit.schema import SCHEMA
from proxy.identity.principals import PrincipalDirectory
from proxy.watch.config import Calendar, DetectionPolicy, load_detection
from proxy.watch.evaluate import evaluate
from proxy.watch.facts import refresh_facts
from proxy.watch.model import Finding, TimeRange
from proxy.watch.rules import BUILDERS
from proxy.watch.schema import CREATE_WATCH_SCHEMA
from tests.provision.support import drop_roles, unique_prefix
from tests.support import REPO
from tests.watch.scenario import (
    AUDIT_KEY,
    Incident,
    Replay,
    Scenario,
    ScenarioClock,
    default_calendar,
    generate,
    prepare_database,
    read_world,
    replay,
    replaying,
    scenario_settings,
    write_policies,
)

DETECTION = REPO / "policies" / "detection.toml"
DEBTORS = 2000
START = date(2026, 3, 9)  # a Monday; the period holds weekends and the March holidays
DAYS = 40  # 26 working days: 260 principal-days; novelty past its 14 days' learning
SEED = 7
SPAN = timedelta(hours=1)  # the rules run over consecutive hours, as the engine's ticks would
SLACK = timedelta(minutes=15)


@dataclass(frozen=True)
class Run:
    scenario: Scenario
    replay: Replay
    dsn: str
    policies: Path


def _calendar() -> Calendar:
    if not DETECTION.exists():
        return default_calendar()
    raw = tomllib.loads(DETECTION.read_text(encoding="utf-8"))
    return Calendar.model_validate(raw.get("calendar", {}))


@pytest.fixture(scope="module")
def run(fresh_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    prefix = unique_prefix()
    try:
        yield asyncio.run(_run(fresh_dsn, tmp_path_factory.mktemp("scenario"), prefix))
    finally:
        drop_roles(fresh_dsn, prefix)


async def _run(dsn: str, workdir: Path, prefix: str) -> Run:
    from proxy.synth import build_dataset

    await build_dataset(dsn, debtors=DEBTORS, seed=SEED)
    conn = await asyncpg.connect(dsn)
    try:
        world = await read_world(conn)
    finally:
        await conn.close()
    scenario = generate(world, _calendar(), START, DAYS, SEED)
    await prepare_database(dsn, scenario)
    detection = DETECTION if DETECTION.exists() else None
    policies = write_policies(workdir / "policies", scenario.actors, detection)
    settings = scenario_settings(dsn, policies, workdir, prefix)
    clock = ScenarioClock(scenario.start)
    async with replaying(settings, clock) as pipeline:
        tally = await replay(pipeline, scenario, clock)
    return Run(scenario, tally, dsn, policies)


def test_the_traffic_is_served_as_planned(run: Run) -> None:
    """Normal work is served, typos and attempts are refused: the traffic is what it claims."""
    shown = [f"{e.principal} {e.sql[:60]!r}: {why}" for e, why in run.replay.unexpected[:5]]
    assert run.replay.unexpected == [], "\n".join(shown)
    assert run.replay.served > 20 * run.scenario.working_days


@pytest.mark.parametrize(
    ("role", "low", "high"),
    [
        ("collector", 10, 60),  # tens of debtors a day, not thousands
        ("senior_collector", 10, 60),
        ("dpo", 1, 20),
    ],
)
async def test_normal_days_read_tens_of_debtors(run: Run, role: str, low: int, high: int) -> None:
    conn = await asyncpg.connect(run.dsn)
    try:
        rows = await conn.fetch(
            DAILY_SUBJECTS, [a.name for a in run.scenario.actors if a.role == role]
        )
    finally:
        await conn.close()
    daily = [r["subjects"] for r in rows]
    assert daily and low <= sorted(daily)[len(daily) // 2] <= high, daily


DAILY_SUBJECTS = f"""
SELECT principal, (at AT TIME ZONE 'Asia/Almaty')::date AS day,
       count(DISTINCT s) AS subjects
FROM {SCHEMA}.records CROSS JOIN LATERAL unnest(subjects) AS s
WHERE principal = ANY($1::text[]) AND outcome = 'served'
  AND (at AT TIME ZONE 'Asia/Almaty')::time BETWEEN '08:00' AND '21:00'
GROUP BY 1, 2
"""


async def test_every_incident_caught_few_false_alerts(run: Run) -> None:
    detection = load_detection(run.policies / "detection.toml", BUILDERS)
    findings = await _findings(run, detection)
    caught, false = match(run.scenario.incidents, findings)
    print(report(run.scenario, findings, caught, false))
    missed = [i.name for i in run.scenario.incidents if i not in caught]
    assert missed == []
    per_100 = 100 * len(false) / run.scenario.working_days
    assert per_100 < 1.0, [f"{f.rule} {f.actor} {f.window_end:%m-%d %H:%M}" for f in false]


async def _findings(run: Run, detection: DetectionPolicy) -> list[Finding]:
    """The rules over the whole period, one span after another; one finding per dedup key
    (as the alerts table keeps them)."""
    conn = await asyncpg.connect(run.dsn)
    try:
        await conn.execute(CREATE_WATCH_SCHEMA)
        directory = PrincipalDirectory.from_policies(run.policies)
        hmac = AuditKeys(AUDIT_KEY.encode()).subject_hmac
        await refresh_facts(conn, conn, detection.raw, hmac, directory)
        kept: dict[str, Finding] = {}
        moment = run.scenario.start
        while moment < run.scenario.end:
            async with conn.transaction():
                span = TimeRange(moment, moment + SPAN)
                for finding in await evaluate(conn, detection.rules, span):
                    kept.setdefault(finding.dedup_key, finding)
            moment += SPAN
    finally:
        await conn.close()
    return list(kept.values())


def match(
    incidents: Sequence[Incident], findings: Sequence[Finding]
) -> tuple[set[Incident], list[Finding]]:
    """The incidents caught, and the findings that belong to no incident."""
    caught: set[Incident] = set()
    false: list[Finding] = []
    for finding in findings:
        hits = [i for i in incidents if _about(finding, i)]
        caught |= {i for i in hits if finding.rule in i.rules}
        if not hits:
            false.append(finding)
    return caught, false


def _about(finding: Finding, incident: Incident) -> bool:
    return (
        finding.actor == incident.actor
        and finding.window_start <= incident.end + SLACK
        and finding.window_end >= incident.start
    )


def report(
    scenario: Scenario, findings: Sequence[Finding], caught: set[Incident], false: list[Finding]
) -> str:
    alerts = Counter(f.rule for f in findings)
    wrong = Counter(f.rule for f in false)
    lines = [f"{'rule':<22}{'alerts':>8}{'matched':>9}{'false':>7}"]
    for rule in sorted(alerts):
        matched = alerts[rule] - wrong[rule]
        lines.append(f"{rule:<22}{alerts[rule]:>8}{matched:>9}{wrong[rule]:>7}")
    days = scenario.working_days
    lines.append(
        f"recall {len(caught)}/{len(scenario.incidents)}; false alerts {len(false)} over "
        f"{days} principal-days = {100 * len(false) / days:.2f} per 100"
    )
    return "\n".join(lines)
