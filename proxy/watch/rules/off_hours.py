"""Off hours: personal data read outside working time in the Chamber's time zone, as SQL over
`palata_audit.records`. Working time is the policy's calendar — workdays, hours, public
holidays, and transferred working days falling on a weekend (judged by hours only).

The calendar becomes a SQL predicate (`outside_working_time`) with its dates, weekdays and hours
written as typed literals — they come from the validated calendar, never from a request — so
the database judges each record exactly as `Calendar.is_working_time` does. One finding per
principal per local day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field

from proxy.watch.config import Calendar, RuleContext, RuleSettings
from proxy.watch.model import Finding, Rule, RuleQuery, TimeRange
from proxy.watch.rules.common import (
    RECORD_IDS_MAX,
    RECORDS,
    ConfiguredRule,
    day_start,
    make_finding,
    strongest_per_key,
)


class OffHoursSettings(RuleSettings):
    roles: tuple[str, ...] = ()  # empty: every principal
    min_subjects: int = Field(default=1, ge=1)  # subjects read off hours in a day, at least


def outside_working_time(calendar: Calendar, local: str) -> str:
    """A SQL condition true when the local timestamp `local` (a SQL expression of type
    timestamp, e.g. `(r.at AT TIME ZONE $3)`) is outside `calendar`'s working time."""
    holidays = _dates(calendar.holidays)
    extra = _dates(calendar.extra_workdays)
    workdays = ", ".join(str(day) for day in calendar.workdays) or "0"
    start, end = (f"TIME '{hour.isoformat()}'" for hour in calendar.hours)
    return (
        f"(({local})::date = ANY({holidays})"
        f" OR (extract(isodow FROM {local})::int NOT IN ({workdays})"
        f" AND NOT ({local})::date = ANY({extra}))"
        f" OR ({local})::time < {start} OR ({local})::time >= {end})"
    )


def _dates(days: Sequence[Any]) -> str:
    return "ARRAY[" + ", ".join(f"DATE '{day.isoformat()}'" for day in days) + "]::date[]"


def query_text(calendar: Calendar) -> str:
    """$1 start, $2 end, $3 time zone, $4 roles (empty: all), $5 min_subjects."""
    local = "(r.at AT TIME ZONE $3)"
    return f"""
SELECT r.principal, {local}::date AS day, count(*) AS statements,
       sum(r.subject_count) AS subjects, min(r.at) AS first_at, max(r.at) AS last_at,
       (array_agg(r.id ORDER BY r.at, r.id))[1:{RECORD_IDS_MAX}] AS record_ids
FROM {RECORDS} r
WHERE r.at > $1 AND r.at <= $2 AND r.outcome = 'served' AND r.subject_count > 0
  AND (cardinality($4::text[]) = 0 OR r.roles && $4::text[])
  AND {outside_working_time(calendar, local)}
GROUP BY 1, 2 HAVING sum(r.subject_count) >= $5
ORDER BY 1, 2
"""


@dataclass(frozen=True)
class OffHours(ConfiguredRule[OffHoursSettings]):
    zone: ZoneInfo
    sql: str

    @property
    def lookback(self) -> timedelta:
        return timedelta(0)  # each record is judged alone

    def query(self, span: TimeRange) -> RuleQuery:
        s = self.settings
        args = (span.start, span.end, self.zone.key, list(s.roles), s.min_subjects)
        return RuleQuery(self.sql, args)

    def findings(self, rows: Sequence[Mapping[str, Any]]) -> list[Finding]:
        return strongest_per_key((self._finding(row) for row in rows), "subjects")

    def _finding(self, row: Mapping[str, Any]) -> Finding:
        s = self.settings
        measure = {
            "statements": int(row["statements"]),
            "subjects": int(row["subjects"]),
            "threshold": s.min_subjects,
        }
        count = int(row["statements"])
        summary = (
            f"{count} statement{'' if count == 1 else 's'} read personal data "
            f"({row['subjects']} subject reads) outside working time on {row['day']:%Y-%m-%d} "
            f"({self.zone.key})"
        )
        day = day_start(row["day"], self.zone)
        return make_finding(
            self.name, s, row["principal"], (row["first_at"], row["last_at"]), day, measure,
            row["record_ids"], summary,
        )  # fmt: skip


def build(name: str, table: Mapping[str, Any], context: RuleContext) -> Rule:
    settings = OffHoursSettings.model_validate(dict(table))
    return OffHours(name, settings, context.zone, query_text(context.calendar))
