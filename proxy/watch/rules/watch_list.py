"""Watch list: served statements that returned a subject on a watch list — the Chamber's own
employees as debtors, well-known persons, blocked subjects — to a principal holding none of the
list's allowed roles (regulation 7.2.2). Runs as SQL over `palata_audit.records` joined with
`palata_audit.watch_subjects`, which `proxy.watch.facts` fills from `detection.toml`'s
`[[watch_lists]]`.

A finding counts the watched subjects a principal read in one cooldown period, per list and in
all; it never names them. The query reads from the start of the cooldown period the span
begins in, so the count covers the whole period however many runs it took, and it reports a
period only when the span added to it. `lists` narrows a rule to some lists, so that two rules
(`kind = "watch_list"`) can give two lists their own severity or action: the dedup key is the
rule, the principal and the period, so one rule raises one alert for all its lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import Field

from proxy.audit.schema import SCHEMA
from proxy.watch.config import RuleContext, RuleSettings
from proxy.watch.model import Finding, Rule, RuleQuery, TimeRange
from proxy.watch.rules.common import (
    RECORD_IDS_MAX,
    RECORDS,
    SQL_BIN_ORIGIN,
    ConfiguredRule,
    make_finding,
)

# $1 start, $2 end, $3 cooldown, $4 lists (empty: all)
QUERY = f"""
WITH hit AS (
  SELECT r.principal, r.at, r.id, w.list, w.subject,
         date_bin($3::interval, r.at, {SQL_BIN_ORIGIN}) AS bucket
  FROM {RECORDS} r
  CROSS JOIN LATERAL unnest(r.subjects) AS s(subject)
  JOIN {SCHEMA}.watch_subjects w ON w.subject = s.subject
  WHERE r.at >= date_bin($3::interval, $1, {SQL_BIN_ORIGIN}) AND r.at <= $2
    AND r.outcome = 'served' AND NOT (r.roles && w.allowed_roles)
    AND (cardinality($4::text[]) = 0 OR w.list = ANY ($4::text[]))),
per_list AS (
  SELECT principal, bucket, list, count(DISTINCT subject) AS subjects
  FROM hit GROUP BY principal, bucket, list)
SELECT h.principal, h.bucket, count(DISTINCT h.subject) AS subjects,
       min(h.at) AS first_at, max(h.at) AS last_at,
       (array_agg(DISTINCT h.id))[1:{RECORD_IDS_MAX}] AS record_ids,
       (SELECT array_agg(p.list ORDER BY p.list) FROM per_list p
        WHERE p.principal = h.principal AND p.bucket = h.bucket) AS lists,
       (SELECT array_agg(p.subjects ORDER BY p.list) FROM per_list p
        WHERE p.principal = h.principal AND p.bucket = h.bucket) AS list_subjects
FROM hit h
GROUP BY h.principal, h.bucket
HAVING max(h.at) > $1
ORDER BY h.principal, h.bucket
"""


class WatchListSettings(RuleSettings):
    lists: tuple[str, ...] = Field(default=())  # empty: every list of [[watch_lists]]


@dataclass(frozen=True)
class WatchList(ConfiguredRule[WatchListSettings]):
    @property
    def lookback(self) -> timedelta:
        return self.settings.cooldown  # a period may have begun before the span

    def query(self, span: TimeRange) -> RuleQuery:
        s = self.settings
        return RuleQuery(QUERY, (span.start, span.end, s.cooldown, list(s.lists)))

    def findings(self, rows: Sequence[Mapping[str, Any]]) -> list[Finding]:
        return [self._finding(row) for row in rows]

    def _finding(self, row: Mapping[str, Any]) -> Finding:
        per_list = dict(zip(row["lists"], row["list_subjects"], strict=True))
        measure: dict[str, int | float | str] = {"watched_subjects": int(row["subjects"])}
        measure.update({f"list.{name}": int(count) for name, count in per_list.items()})
        shown = ", ".join(f"{name} ({count})" for name, count in per_list.items())
        summary = (
            f"{row['subjects']} watched data subject{'s' if row['subjects'] > 1 else ''} "
            f"read without a role the list allows: {shown}"
        )
        return make_finding(
            self.name, self.settings, row["principal"], (row["first_at"], row["last_at"]),
            row["bucket"], measure, row["record_ids"], summary,
        )  # fmt: skip


def build(name: str, table: Mapping[str, Any], context: RuleContext) -> Rule:
    return WatchList(name, WatchListSettings.model_validate(dict(table)))
