"""Breadth: a principal touching many more distinct data subjects than its peers in the same
role, as SQL over `palata_audit.records`.

The period is a local day (or several, `period` in whole days): each local day the range
touches is judged on its records up to the range's end, so a replay over a week judges every
day of it. When `period` is not whole days it is a rolling period ending at the range's end.
Peers are the other principals of the role who read any subjects in the period; with fewer than
`min_peers` of them there is no comparison. A principal is flagged when its distinct subjects
reach both `floor` and `factor` times its peers' median. One finding per principal per local day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from proxy.watch.config import RuleContext, parse_duration
from proxy.watch.model import Finding, Rule, RuleQuery, TimeRange
from proxy.watch.rules.common import (
    RECORD_IDS_MAX,
    RECORDS,
    ConfiguredRule,
    RoleScopedSettings,
    day_start,
    local_day,
    make_finding,
    strongest_per_key,
)


class BreadthSettings(RoleScopedSettings):
    period: timedelta = timedelta(days=1)
    factor: float = Field(default=5.0, gt=1)
    min_peers: int = Field(default=3, ge=1)
    floor: int = Field(default=100, ge=1)

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value

    @property
    def whole_days(self) -> bool:
        return self.period % timedelta(days=1) == timedelta(0)


# $1 first period's start, $2 end, $3 roles, $4 min_peers, $5 floor, $6 factor,
# $7 periods' starts, $8 periods' ends (both included)
QUERY = f"""
WITH period AS (
  SELECT * FROM unnest($7::timestamptz[], $8::timestamptz[]) AS p(since, until)),
reader AS (
  SELECT p.since, p.until, r.principal, role, count(DISTINCT s.subject) AS n,
         max(r.at) AS last_at, (array_agg(DISTINCT r.id))[1:{RECORD_IDS_MAX}] AS record_ids
  FROM period p JOIN {RECORDS} r ON r.at >= p.since AND r.at <= p.until
       CROSS JOIN LATERAL unnest(r.roles) AS role
       CROSS JOIN LATERAL unnest(r.subjects) AS s(subject)
  WHERE r.at >= $1 AND r.at <= $2 AND r.outcome = 'served' AND role = ANY($3::text[])
  GROUP BY p.since, p.until, r.principal, role)
SELECT d.since, d.until, d.principal, d.role, d.n, d.last_at, d.record_ids, p.median, p.peers
FROM reader d CROSS JOIN LATERAL (
  SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY o.n) AS median, count(*) AS peers
  FROM reader o
  WHERE o.since = d.since AND o.role = d.role AND o.principal <> d.principal) p
WHERE p.peers >= $4 AND d.n >= $5 AND d.n >= $6 * p.median
ORDER BY d.since, d.principal, d.role
"""


@dataclass(frozen=True)
class Breadth(ConfiguredRule[BreadthSettings]):
    zone: ZoneInfo

    @property
    def lookback(self) -> timedelta:
        # whole days: the first day judged starts up to a day before the range
        s = self.settings
        return s.period + timedelta(days=1) if s.whole_days else s.period

    def periods(self, span: TimeRange) -> list[tuple[datetime, datetime]]:
        """The periods judged for `span`, as (first, last instant included): with whole days,
        one per local day the span touches, each the `period` days up to that day's end (or
        the span's); otherwise the rolling period ending at the span's end."""
        s = self.settings
        if not s.whole_days:
            return [(span.end - s.period, span.end)]
        last = local_day(span.end, self.zone)
        day = local_day(span.start, self.zone)
        judged = []
        while day <= last:
            since = day_start(day - (s.period - timedelta(days=1)), self.zone)
            until = day_start(day + timedelta(days=1), self.zone) - timedelta(microseconds=1)
            judged.append((since, min(until, span.end)))
            day += timedelta(days=1)
        return judged

    def query(self, span: TimeRange) -> RuleQuery:
        s = self.settings
        periods = self.periods(span)
        starts, ends = [p[0] for p in periods], [p[1] for p in periods]
        args = (starts[0], span.end, list(s.roles), s.min_peers, s.floor, s.factor)
        return RuleQuery(QUERY, (*args, starts, ends))

    def findings(self, rows: Sequence[Mapping[str, Any]]) -> list[Finding]:
        return strongest_per_key((self._finding(row) for row in rows), "ratio")

    def _finding(self, row: Mapping[str, Any]) -> Finding:
        s = self.settings
        median = float(row["median"])
        measure = {
            "distinct_subjects": int(row["n"]),
            "peer_median": round(median, 1),
            "peers": int(row["peers"]),
            "ratio": round(row["n"] / median, 1) if median else 0.0,
            "factor": s.factor,
            "floor": s.floor,
        }
        summary = (
            f"{row['n']} distinct data subjects, against a median of {median:.0f} among "
            f"{row['peers']} peers in role {row['role']} (factor {s.factor:g})"
        )
        bucket = day_start(local_day(row["until"], self.zone), self.zone)
        return make_finding(
            self.name, s, row["principal"], (row["since"], row["last_at"]), bucket, measure,
            row["record_ids"], summary,
        )  # fmt: skip


def build(name: str, table: Mapping[str, Any], context: RuleContext) -> Rule:
    return Breadth(name, BreadthSettings.model_validate(dict(table)), context.zone)
