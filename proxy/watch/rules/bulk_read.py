"""Bulk read: a principal reading many distinct data subjects within a short window — an
export, not casework (regulation 7.2.2). Runs as SQL over `palata_audit.records`.

The window slides exactly, and costs one sort of the subjects read in the span (plus one
window before it), whatever the traffic: each time a principal reads a subject, that read
counts from then until the window has passed it or the principal reads the subject again,
so the running sum of those steps at any moment `t` is the number of distinct subjects read
in (t - window, t]. A statement whose shape hides whose rows it returned (`subject_count`
NULL: aggregates, DISTINCT, set operations) counts its rows for a window, an upper bound —
otherwise such shapes would read a region unseen. One statement past the audit's subject cap
counts alone by its true `subject_count`. The SQL keeps the strongest window per principal
and cooldown bucket — and per lift: a window after the principal's last lift begins a new
period (its bucket is the lift), so the one before, which the officer judged, cannot hide it;
its record ids are the principal's served statements in that window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import Field

from proxy.watch.config import RuleContext
from proxy.watch.model import Finding, Rule, RuleQuery, TimeRange
from proxy.watch.rules.common import (
    RECORD_IDS_MAX,
    RECORDS,
    SQL_BIN_ORIGIN,
    SUSPENSIONS,
    ConfiguredRule,
    RoleScopedSettings,
    bucket_of,
    duration_text,
    make_finding,
    strongest_per_key,
)


class BulkReadSettings(RoleScopedSettings):
    window: timedelta = timedelta(minutes=1)
    distinct_subjects: int = Field(ge=1)


# $1 start, $2 end, $3 window, $4 distinct_subjects, $5 roles, $6 cooldown
QUERY = f"""
WITH served AS (
  SELECT r.principal, r.at, r.subjects, r.subject_count, r.rows
  FROM {RECORDS} r
  WHERE r.at > $1::timestamptz - $3::interval AND r.at <= $2::timestamptz
    AND r.outcome = 'served' AND r.roles && $5::text[]),
occurrence AS (
  SELECT DISTINCT v.principal, s.subject, v.at
  FROM served v CROSS JOIN LATERAL unnest(v.subjects) AS s(subject)),
counted AS (
  SELECT principal, at, 1::bigint AS n, 0::bigint AS hidden,
         least(at + $3::interval,
               lead(at) OVER (PARTITION BY principal, subject ORDER BY at)) AS until
  FROM occurrence
  UNION ALL
  SELECT principal, at, rows, rows, at + $3::interval
  FROM served WHERE subject_count IS NULL AND rows > 0),
step AS (
  SELECT principal, at AS t, n, hidden, true AS read FROM counted
  UNION ALL SELECT principal, until, -n, -hidden, false FROM counted),
level AS (
  SELECT principal, t, read, sum(n) OVER w AS subjects, sum(hidden) OVER w AS hidden
  FROM step WINDOW w AS (PARTITION BY principal ORDER BY t)),
slid AS (  -- a window only grows when a read enters it: it is judged at reads in the span
  SELECT DISTINCT principal, t AS window_end, subjects, hidden, 'window' AS shape
  FROM level WHERE read AND t > $1 AND t <= $2 AND subjects >= $4),
single AS (
  SELECT principal, at AS window_end, subject_count AS subjects, 0::bigint AS hidden,
         'statement' AS shape
  FROM served WHERE at > $1 AND subject_count >= $4 AND subject_count > cardinality(subjects)),
found AS (  -- epoch: the principal's last lift before the window (a new period begins there)
  SELECT f.*, (SELECT max(l.lifted_at) FROM {SUSPENSIONS} l
               WHERE l.principal = f.principal AND l.lifted_at <= f.window_end
                 - CASE WHEN f.shape = 'window' THEN $3::interval ELSE interval '0' END) AS epoch
  FROM (SELECT * FROM slid UNION ALL SELECT * FROM single) AS f),
strongest AS (
  SELECT DISTINCT ON (principal, date_bin($6::interval, window_end, {SQL_BIN_ORIGIN}), epoch) *
  FROM found
  ORDER BY principal, date_bin($6::interval, window_end, {SQL_BIN_ORIGIN}), epoch,
           subjects DESC, window_end)
SELECT g.principal, g.window_end, g.subjects, g.hidden, g.shape, g.epoch,
       ARRAY(SELECT r.id FROM {RECORDS} r
             WHERE r.principal = g.principal AND r.outcome = 'served'
               AND r.at > g.window_end - $3::interval AND r.at <= g.window_end
             ORDER BY r.at, r.id LIMIT {RECORD_IDS_MAX}) AS record_ids
FROM strongest g
"""


@dataclass(frozen=True)
class BulkRead(ConfiguredRule[BulkReadSettings]):
    @property
    def lookback(self) -> timedelta:
        return self.settings.window

    def query(self, span: TimeRange) -> RuleQuery:
        s = self.settings
        args = (span.start, span.end, s.window, s.distinct_subjects, list(s.roles))
        return RuleQuery(QUERY, (*args, s.cooldown))

    def findings(self, rows: Sequence[Mapping[str, Any]]) -> list[Finding]:
        return strongest_per_key((self._finding(row) for row in rows), "distinct_subjects")

    def _finding(self, row: Mapping[str, Any]) -> Finding:
        s = self.settings
        end, subjects, hidden = row["window_end"], int(row["subjects"]), int(row["hidden"])
        measure: dict[str, int | float | str] = {
            "distinct_subjects": subjects,
            "threshold": s.distinct_subjects,
        }
        if row["shape"] == "window":
            start = end - s.window
            measure["window_s"] = int(s.window.total_seconds())
            summary = (
                f"{subjects} distinct data subjects read within {duration_text(s.window)} "
                f"(threshold {s.distinct_subjects})"
            )
        else:
            start = end
            summary = (
                f"one statement read {subjects} distinct data subjects "
                f"(threshold {s.distinct_subjects})"
            )
        if hidden:
            measure["rows_of_hidden_shapes"] = hidden
            summary += f", {hidden} of them rows of statements whose shape hides whose they are"
        bucket = bucket_of(end, s.cooldown)
        if row["epoch"] is not None and row["epoch"] > bucket:  # a lift began a new period
            bucket = row["epoch"]
        return make_finding(
            self.name, s, row["principal"], (start, end), bucket, measure, row["record_ids"],
            summary,
        )  # fmt: skip


def build(name: str, table: Mapping[str, Any], context: RuleContext) -> Rule:
    return BulkRead(name, BulkReadSettings.model_validate(dict(table)))
