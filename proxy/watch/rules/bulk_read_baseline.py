"""Bulk read against a principal's own habit: its distinct data subjects on a local day far
above what it read on its past days (mean + z·stddev over the last `days` days), as SQL over
`palata_audit.records`.

Only days on which the principal read anything count as history (a day off is no evidence of a
small habit), a principal needs `min_days` of them before it is judged (new staff are not
flagged for everything), and `floor` keeps a near-zero habit from flagging a normal day. Each
local day the range touches is judged on the records up to the range's end, so a day is seen
while it is still going; one finding per principal and day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field

from proxy.watch.config import RuleContext
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


class BaselineSettings(RoleScopedSettings):
    days: int = Field(default=28, ge=2, le=366)  # history looked at
    min_days: int = Field(default=10, ge=2)  # days with reads before a principal is judged
    z: float = Field(default=4.0, gt=0)
    floor: int = Field(default=200, ge=1)  # never below this many distinct subjects


# $1 history start, $2 end, $3 time zone, $4 roles, $5 first day judged, $6 days,
# $7 min_days, $8 floor, $9 z
QUERY = f"""
WITH daily AS (
  SELECT r.principal, (r.at AT TIME ZONE $3)::date AS day, count(DISTINCT s.subject) AS n,
         max(r.at) AS last_at, (array_agg(DISTINCT r.id))[1:{RECORD_IDS_MAX}] AS record_ids
  FROM {RECORDS} r CROSS JOIN LATERAL unnest(r.subjects) AS s(subject)
  WHERE r.at >= $1 AND r.at <= $2 AND r.outcome = 'served' AND r.roles && $4::text[]
  GROUP BY 1, 2)
SELECT d.principal, d.day, d.n, d.last_at, d.record_ids, b.mean, b.sd, b.days
FROM daily d CROSS JOIN LATERAL (
  SELECT avg(p.n)::float8 AS mean, coalesce(stddev_samp(p.n), 0)::float8 AS sd,
         count(*) AS days
  FROM daily p WHERE p.principal = d.principal AND p.day >= d.day - $6::int AND p.day < d.day
) b
WHERE d.day >= $5 AND b.days >= $7 AND d.n >= greatest($8, b.mean + $9 * b.sd)
ORDER BY d.principal, d.day
"""


@dataclass(frozen=True)
class BulkReadBaseline(ConfiguredRule[BaselineSettings]):
    zone: ZoneInfo

    @property
    def lookback(self) -> timedelta:
        # the first day judged starts up to a day before the range, its history `days` before
        return timedelta(days=self.settings.days + 1)

    def query(self, span: TimeRange) -> RuleQuery:
        s = self.settings
        first = local_day(span.start, self.zone)
        history = day_start(first - timedelta(days=s.days), self.zone)
        args = (history, span.end, self.zone.key, list(s.roles), first, s.days)
        return RuleQuery(QUERY, (*args, s.min_days, s.floor, s.z))

    def findings(self, rows: Sequence[Mapping[str, Any]]) -> list[Finding]:
        return strongest_per_key((self._finding(row) for row in rows), "distinct_subjects")

    def _finding(self, row: Mapping[str, Any]) -> Finding:
        s = self.settings
        start = day_start(row["day"], self.zone)
        threshold = max(float(s.floor), row["mean"] + s.z * row["sd"])
        measure = {
            "distinct_subjects": int(row["n"]),
            "baseline_mean": round(row["mean"], 1),
            "baseline_stddev": round(row["sd"], 1),
            "baseline_days": int(row["days"]),
            "threshold": round(threshold, 1),
        }
        summary = (
            f"{row['n']} distinct data subjects read on {row['day']:%Y-%m-%d}, against a "
            f"habit of {row['mean']:.0f} ± {row['sd']:.0f} a day (threshold {threshold:.0f})"
        )
        return make_finding(
            self.name, s, row["principal"], (start, row["last_at"]), start, measure,
            row["record_ids"], summary,
        )  # fmt: skip


def build(name: str, table: Mapping[str, Any], context: RuleContext) -> Rule:
    return BulkReadBaseline(name, BaselineSettings.model_validate(dict(table)), context.zone)
