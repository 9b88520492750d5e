"""Bulk read: a principal reading many distinct data subjects within a short window — an
export, not casework (regulation 7.2.2). Runs as SQL over `palata_audit.records`.

The window slides exactly: for each served statement, the distinct subjects of the principal's
statements in the `window` before it, (end - window, end]. `count(DISTINCT)` is no window
function, so it is a self-join, kept bounded: time is cut into panes one window wide, a window
ending in pane p lies within panes p-1 and p, so only statements in panes whose pair reaches the
threshold are candidates, and each is joined with those two panes only — a long replay costs a
window's statements per candidate, never a principal's whole history.
One statement alone can also be the export: its `subject_count` (the true count, while the
stored `subjects` stop at the audit's cap) at the threshold, or, when the statement's shape
hides its subjects (`subject_count` NULL: aggregates), its rows at `single_statement_rows`.
The SQL keeps the strongest window per principal and cooldown bucket.
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
    RoleScopedSettings,
    bucket_of,
    duration_text,
    make_finding,
    strongest_per_key,
)


class BulkReadSettings(RoleScopedSettings):
    window: timedelta = timedelta(minutes=1)
    distinct_subjects: int = Field(ge=1)
    single_statement_rows: int = Field(default=1000, ge=1)


# $1 start, $2 end, $3 window, $4 distinct_subjects, $5 roles, $6 single_statement_rows,
# $7 cooldown
QUERY = f"""
WITH hit AS (
  SELECT r.principal, r.at, r.id, s.subject,
         floor(extract(epoch FROM r.at) / extract(epoch FROM $3::interval))::bigint AS pane
  FROM {RECORDS} r CROSS JOIN LATERAL unnest(r.subjects) AS s(subject)
  WHERE r.at > $1::timestamptz - $3::interval AND r.at <= $2::timestamptz
    AND r.outcome = 'served' AND r.roles && $5::text[]),
candidate AS (
  SELECT h.principal, p.pane
  FROM hit h CROSS JOIN LATERAL (VALUES (h.pane), (h.pane + 1)) AS p(pane)
  GROUP BY h.principal, p.pane HAVING count(DISTINCT h.subject) >= $4),
window_end AS (
  SELECT DISTINCT h.principal, h.at, h.pane
  FROM hit h JOIN candidate USING (principal, pane) WHERE h.at > $1),
slid AS (
  SELECT e.principal, e.at AS window_end, count(DISTINCT h.subject) AS subjects,
         NULL::bigint AS rows, (array_agg(DISTINCT h.id))[1:{RECORD_IDS_MAX}] AS record_ids,
         'window' AS shape
  FROM window_end e CROSS JOIN LATERAL (VALUES (e.pane - 1), (e.pane)) AS n(pane)
  JOIN hit h ON h.principal = e.principal AND h.pane = n.pane
    AND h.at > e.at - $3::interval AND h.at <= e.at
  GROUP BY e.principal, e.at HAVING count(DISTINCT h.subject) >= $4),
single AS (
  SELECT r.principal, r.at AS window_end, r.subject_count AS subjects, r.rows,
         ARRAY[r.id] AS record_ids, 'statement' AS shape
  FROM {RECORDS} r
  WHERE r.at > $1 AND r.at <= $2 AND r.outcome = 'served' AND r.roles && $5::text[]
    AND (r.subject_count >= $4 OR (r.subject_count IS NULL AND r.rows >= $6))),
found AS (SELECT * FROM slid UNION ALL SELECT * FROM single)
SELECT DISTINCT ON (principal, date_bin($7::interval, window_end, {SQL_BIN_ORIGIN}))
       principal, window_end, subjects, rows, record_ids, shape
FROM found
ORDER BY principal, date_bin($7::interval, window_end, {SQL_BIN_ORIGIN}),
         subjects DESC NULLS LAST, rows DESC NULLS LAST, window_end
"""


@dataclass(frozen=True)
class BulkRead:
    name: str
    settings: BulkReadSettings

    @property
    def lookback(self) -> timedelta:
        return self.settings.window

    def query(self, span: TimeRange) -> RuleQuery:
        s = self.settings
        args = (span.start, span.end, s.window, s.distinct_subjects, list(s.roles))
        return RuleQuery(QUERY, (*args, s.single_statement_rows, s.cooldown))

    def findings(self, rows: Sequence[Mapping[str, Any]]) -> list[Finding]:
        return strongest_per_key((self._finding(row) for row in rows), "distinct_subjects")

    def _finding(self, row: Mapping[str, Any]) -> Finding:
        s = self.settings
        end = row["window_end"]
        if row["shape"] == "window":
            start = end - s.window
            measure: dict[str, int | float | str] = {
                "distinct_subjects": int(row["subjects"]),
                "threshold": s.distinct_subjects,
                "window_s": int(s.window.total_seconds()),
            }
            summary = (
                f"{row['subjects']} distinct data subjects read within "
                f"{duration_text(s.window)} (threshold {s.distinct_subjects})"
            )
        elif row["subjects"] is not None:
            start = end
            measure = {"distinct_subjects": int(row["subjects"]), "threshold": s.distinct_subjects}
            summary = (
                f"one statement read {row['subjects']} distinct data subjects "
                f"(threshold {s.distinct_subjects})"
            )
        else:
            start = end
            measure = {"rows": int(row["rows"]), "rows_threshold": s.single_statement_rows}
            summary = (
                f"one statement read {row['rows']} rows whose subjects its shape hides "
                f"(threshold {s.single_statement_rows} rows)"
            )
        bucket = bucket_of(end, s.cooldown)
        return make_finding(
            self.name, s, row["principal"], (start, end), bucket, measure, row["record_ids"],
            summary,
        )  # fmt: skip


def build(name: str, table: Mapping[str, Any], context: RuleContext) -> Rule:
    return BulkRead(name, BulkReadSettings.model_validate(dict(table)))
