"""Catalogue gaps: personal data the tripwire found in a column the catalogue does not classify
(each record's `gaps`, `[{"column", "entity", "count"}]`), as SQL over `palata_audit.records`.
Such a column is served unmasked to everyone the policy lets read it, so the data protection
officer must classify it. One finding per column (actor `column:<schema.table.column>`) per
cooldown bucket; the entity kinds found (`iin`, `phone`…) are kinds, never values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import Field

from proxy.watch.config import RuleContext, RuleSettings
from proxy.watch.model import Finding, Rule, RuleQuery, TimeRange
from proxy.watch.rules.common import (
    RECORD_IDS_MAX,
    RECORDS,
    SQL_BIN_ORIGIN,
    ConfiguredRule,
    bucket_of,
    make_finding,
    strongest_per_key,
)


class CatalogueGapSettings(RuleSettings):
    min_findings: int = Field(default=1, ge=1)  # values the tripwire flagged in the bucket


# $1 start, $2 end, $3 cooldown, $4 min_findings
QUERY = f"""
SELECT g->>'column' AS col, date_bin($3::interval, r.at, {SQL_BIN_ORIGIN}) AS bucket,
       count(DISTINCT r.id) AS statements, sum((g->>'count')::bigint) AS findings,
       count(DISTINCT r.principal) AS principals,
       array_agg(DISTINCT g->>'entity' ORDER BY g->>'entity') AS entities,
       min(r.at) AS first_at, max(r.at) AS last_at,
       (array_agg(DISTINCT r.id))[1:{RECORD_IDS_MAX}] AS record_ids
FROM {RECORDS} r CROSS JOIN LATERAL jsonb_array_elements(r.gaps) AS g
WHERE r.at > $1 AND r.at <= $2 AND jsonb_typeof(r.gaps) = 'array' AND r.gaps <> '[]'::jsonb
GROUP BY 1, 2 HAVING sum((g->>'count')::bigint) >= $4
ORDER BY 1, 2
"""


@dataclass(frozen=True)
class CatalogueGap(ConfiguredRule[CatalogueGapSettings]):
    @property
    def lookback(self) -> timedelta:
        return timedelta(0)  # each record is judged alone

    def query(self, span: TimeRange) -> RuleQuery:
        s = self.settings
        return RuleQuery(QUERY, (span.start, span.end, s.cooldown, s.min_findings))

    def findings(self, rows: Sequence[Mapping[str, Any]]) -> list[Finding]:
        return strongest_per_key((self._finding(row) for row in rows), "findings")

    def _finding(self, row: Mapping[str, Any]) -> Finding:
        s = self.settings
        measure = {
            "findings": int(row["findings"]),
            "statements": int(row["statements"]),
            "principals": int(row["principals"]),
            "threshold": s.min_findings,
        }
        summary = (
            f"the tripwire found {', '.join(row['entities'])} in {row['findings']} values of "
            f"unclassified column {row['col']} ({row['statements']} statements): classify it "
            "in the catalogue"
        )
        bucket = bucket_of(row["last_at"], s.cooldown)
        return make_finding(
            self.name, s, f"column:{row['col']}", (row["first_at"], row["last_at"]), bucket,
            measure, row["record_ids"], summary,
        )  # fmt: skip


def build(name: str, table: Mapping[str, Any], context: RuleContext) -> Rule:
    return CatalogueGap(name, CatalogueGapSettings.model_validate(dict(table)))
