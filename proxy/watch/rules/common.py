"""What the detection rules share (pure): the base every rule's class is made of, the settings
most of them take, the cooldown bucket a
finding falls in, a local day's bounds in the Chamber's time zone, and how a finding is made
from a rule's settings.

Windowed rules (bulk read, probing, catalogue gaps) bucket a finding by flooring its window's
end to the cooldown, counted from 2000-01-01 UTC exactly as PostgreSQL's `date_bin` does, so
the SQL can keep one row per bucket and the Python agrees with it. Day rules (baseline, off
hours, breadth) judge a local day and bucket by that day's local midnight: one finding per
principal per day, whatever the cooldown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from pydantic import Field

from proxy.watch.config import RuleSettings
from proxy.watch.model import Finding, Measure

RECORDS = "palata_audit.records"
SUSPENSIONS = "palata_audit.suspensions"
RECORD_IDS_MAX = 50  # references an alert carries, never more
BIN_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)
SQL_BIN_ORIGIN = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"  # the same origin, for date_bin


Configured = TypeVar("Configured", bound=RuleSettings)


@dataclass(frozen=True)
class ConfiguredRule(Generic[Configured]):
    """What every rule holds: its name in `detection.toml` and its settings, which say how
    often it needs to run (`every`)."""

    name: str
    settings: Configured

    @property
    def every(self) -> timedelta:
        return self.settings.every


class RoleScopedSettings(RuleSettings):
    """A rule that watches the principals holding one of `roles`."""

    roles: tuple[str, ...] = Field(min_length=1)


def bucket_of(moment: datetime, cooldown: timedelta) -> datetime:
    """`moment` floored to `cooldown`, counted from 2000-01-01 UTC (PostgreSQL's
    `date_bin(cooldown, moment, TIMESTAMPTZ '2000-01-01 00:00:00+00')`)."""
    periods = (moment - BIN_ORIGIN) // cooldown
    return BIN_ORIGIN + periods * cooldown


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of `day` in `zone`, in UTC."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def record_ids(ids: Iterable[str] | None) -> tuple[str, ...]:
    """At most RECORD_IDS_MAX audit record ids, in the order given, without repeats."""
    return tuple(dict.fromkeys(ids or ()))[:RECORD_IDS_MAX]


def make_finding(
    name: str,
    settings: RuleSettings,
    actor: str,
    window: tuple[datetime, datetime],
    bucket: datetime,
    measure: Measure,
    ids: Iterable[str] | None,
    summary: str,
) -> Finding:
    start, end = window
    return Finding(
        rule=name,
        severity=settings.severity,
        action=settings.action,
        actor=actor,
        window_start=start,
        window_end=end,
        bucket=bucket,
        measure=dict(measure),
        record_ids=record_ids(ids),
        summary=summary,
    )


def strongest_per_key(findings: Iterable[Finding], strength: str) -> list[Finding]:
    """One finding per dedup key (a store takes each key once per batch): the one whose
    `measure[strength]` is highest, the earliest of equals."""
    kept: dict[str, Finding] = {}
    for finding in findings:
        held = kept.get(finding.dedup_key)
        if held is None or _strength(finding, strength) > _strength(held, strength):
            kept[finding.dedup_key] = finding
    return sorted(kept.values(), key=lambda f: (f.window_end, f.actor))


def _strength(finding: Finding, key: str) -> float:
    value = finding.measure.get(key, 0)
    return float(value) if isinstance(value, int | float) else 0.0


def duration_text(width: timedelta) -> str:
    """`1m`, `90s`, `2h`, `28d`: a window's width as the policy writes it."""
    seconds = int(width.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
