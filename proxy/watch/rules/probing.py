"""Probing: a burst of denied statements from one actor — someone trying bypasses, as SQL over
`palata_audit.records`.

The actor is the principal, or `client:<address>` for attempts that never authenticated (all
recorded as principal `(unauthenticated)`). Denials made while the principal was suspended are
the suspension doing its work, not probing, so they are left out (`palata_audit.suspensions`:
`since <= at < lifted_at`, or not lifted). The window slides exactly — a RANGE frame over the
actor's denials — and is (end - window, end], like bulk read's. The SQL keeps the strongest
window per actor and cooldown bucket.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import Field

from proxy.identity.principals import UNAUTHENTICATED as UNAUTHENTICATED_PRINCIPAL
from proxy.watch.config import RuleContext, RuleSettings
from proxy.watch.model import Finding, Rule, RuleQuery, TimeRange
from proxy.watch.rules.common import (
    RECORD_IDS_MAX,
    RECORDS,
    SQL_BIN_ORIGIN,
    ConfiguredRule,
    bucket_of,
    duration_text,
    make_finding,
    strongest_per_key,
)

UNAUTHENTICATED = UNAUTHENTICATED_PRINCIPAL.name  # refused before a login: no principal


class ProbingSettings(RuleSettings):
    window: timedelta = timedelta(minutes=1)
    denied: int = Field(ge=2)


# $1 start, $2 end, $3 window, $4 denied, $5 cooldown
QUERY = f"""
WITH denial AS (
  SELECT CASE WHEN r.principal = '{UNAUTHENTICATED}'
              THEN 'client:' || coalesce(r.client, '?') ELSE r.principal END AS actor,
         r.at, r.id
  FROM {RECORDS} r
  WHERE r.at > $1::timestamptz - $3::interval AND r.at <= $2::timestamptz AND r.outcome = 'denied'
    AND NOT EXISTS (
      SELECT 1 FROM palata_audit.suspensions s
      WHERE s.principal = r.principal AND s.since <= r.at
        AND (s.lifted_at IS NULL OR r.at < s.lifted_at))),
counted AS (
  SELECT actor, at, count(*) OVER (
    PARTITION BY actor ORDER BY at
    RANGE BETWEEN ($3::interval - interval '1 microsecond') PRECEDING AND CURRENT ROW) AS denied
  FROM denial),
strongest AS (
  SELECT DISTINCT ON (actor, date_bin($5::interval, at, {SQL_BIN_ORIGIN}))
         actor, at AS window_end, denied
  FROM counted WHERE at > $1 AND denied >= $4
  ORDER BY actor, date_bin($5::interval, at, {SQL_BIN_ORIGIN}), denied DESC, at)
SELECT s.actor, s.window_end, s.denied,
       (SELECT (array_agg(d.id ORDER BY d.at, d.id))[1:{RECORD_IDS_MAX}] FROM denial d
        WHERE d.actor = s.actor AND d.at > s.window_end - $3::interval
          AND d.at <= s.window_end) AS record_ids
FROM strongest s ORDER BY s.actor, s.window_end
"""


@dataclass(frozen=True)
class Probing(ConfiguredRule[ProbingSettings]):
    @property
    def lookback(self) -> timedelta:
        return self.settings.window

    def query(self, span: TimeRange) -> RuleQuery:
        s = self.settings
        return RuleQuery(QUERY, (span.start, span.end, s.window, s.denied, s.cooldown))

    def findings(self, rows: Sequence[Mapping[str, Any]]) -> list[Finding]:
        return strongest_per_key((self._finding(row) for row in rows), "denied")

    def _finding(self, row: Mapping[str, Any]) -> Finding:
        s = self.settings
        end = row["window_end"]
        measure = {
            "denied": int(row["denied"]),
            "threshold": s.denied,
            "window_s": int(s.window.total_seconds()),
        }
        summary = (
            f"{row['denied']} denied statements within {duration_text(s.window)} "
            f"(threshold {s.denied})"
        )
        return make_finding(
            self.name, s, row["actor"], (end - s.window, end), bucket_of(end, s.cooldown),
            measure, row["record_ids"], summary,
        )  # fmt: skip


def build(name: str, table: Mapping[str, Any], context: RuleContext) -> Rule:
    return Probing(name, ProbingSettings.model_validate(dict(table)))
