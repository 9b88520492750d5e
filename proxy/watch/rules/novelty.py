"""Novelty: a principal doing something it has never done — a purpose it has not stated
before (purpose drift), a table it has not read, a client network or an application it has not
come from (regulation 7.2.2). Runs as SQL over `palata_audit.records` and keeps what each
principal has used in `palata_audit.principal_seen`.

The query records what the span shows (one upsert: `first_at` moves back, `last_at` forward)
and returns the values whose first use falls inside the span. Judging by `first_at` rather than
by "the row was inserted now" keeps a re-evaluation of the same span (a restart, a late record)
finding the same things, and lets a replay, which rolls its transaction back, see what would
have fired then. A principal whose first known use is younger than `learning` is still being
learned and raises nothing, so new staff and a fresh deployment do not alert on everything.
Purposes and tables count from served statements only (a refused table is probing's business);
clients and applications from any statement. Addresses are grouped by network prefix and never
appear in a finding, only their count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field, field_validator

from proxy.audit.schema import SCHEMA
from proxy.identity.principals import UNAUTHENTICATED as UNAUTHENTICATED_PRINCIPAL
from proxy.watch.config import RuleContext, RuleSettings, parse_duration
from proxy.watch.model import Finding, Rule, RuleQuery, TimeRange
from proxy.watch.rules.common import (
    RECORDS,
    SQL_BIN_ORIGIN,
    ConfiguredRule,
    duration_text,
    make_finding,
)

Dimension = Literal["purpose", "table", "client", "app"]
DIMENSIONS: tuple[Dimension, ...] = ("purpose", "table", "client", "app")
UNAUTHENTICATED = UNAUTHENTICATED_PRINCIPAL.name  # refused before a login: no principal
OCTET = r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = rf"^{OCTET}(\.{OCTET}){{3}}$"
IPV6 = r"^[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}$"

# one SELECT per dimension, over the span's records (`span`): principal, value, first and
# last use, the first record's id
OBSERVED: Mapping[Dimension, str] = {
    "purpose": """
  SELECT principal, 'purpose' AS dimension, purpose AS value, min(at) AS first_at,
         max(at) AS last_at, (array_agg(id ORDER BY at))[1] AS first_id
  FROM span WHERE outcome = 'served' AND purpose IS NOT NULL GROUP BY 1, 2, 3""",
    "table": """
  SELECT s.principal, 'table' AS dimension, a.entry->>'table' AS value,
         min(s.at) AS first_at, max(s.at) AS last_at, (array_agg(s.id ORDER BY s.at))[1] AS first_id
  FROM span s CROSS JOIN LATERAL jsonb_array_elements(s.access) AS a(entry)
  WHERE s.outcome = 'served' AND a.entry->>'decision' <> 'denied'
    AND a.entry->>'table' IS NOT NULL
  GROUP BY 1, 2, 3""",
    # only text a socket gives (dotted quad, or hex and colons) is cast: a failed cast would
    # abort the whole evaluation
    "client": f"""
  SELECT principal, 'client' AS dimension,
         CASE WHEN client ~ '{IPV4}'
              THEN network(set_masklen(client::inet, (SELECT v4 FROM prefix)))::text
              WHEN client ~* '{IPV6}'
              THEN network(set_masklen(client::inet, (SELECT v6 FROM prefix)))::text
              ELSE client END AS value,
         min(at) AS first_at, max(at) AS last_at, (array_agg(id ORDER BY at))[1] AS first_id
  FROM span WHERE client IS NOT NULL AND client <> '' GROUP BY 1, 2, 3""",
    "app": """
  SELECT principal, 'app' AS dimension, app AS value, min(at) AS first_at, max(at) AS last_at,
         (array_agg(id ORDER BY at))[1] AS first_id
  FROM span WHERE app IS NOT NULL GROUP BY 1, 2, 3""",
}

# $1 start, $2 end, $3 learning, $4 cooldown, $5 IPv4 prefix, $6 IPv6 prefix, $7 roles
# (empty: every principal). CTEs see the table as it was before the upsert, so `known` is
# each principal's history without this span.
QUERY = """
WITH prefix AS (SELECT $5::int AS v4, $6::int AS v6),
span AS (
  SELECT r.principal, r.at, r.id, r.outcome, r.purpose, r.access, r.client, r.app
  FROM {records} r
  WHERE r.at > $1 AND r.at <= $2 AND r.principal <> '{unauthenticated}'
    AND (cardinality($7::text[]) = 0 OR r.roles && $7::text[])),
observed AS ({observed}),
known AS (
  SELECT principal, min(first_at) AS since FROM {schema}.principal_seen
  WHERE principal IN (SELECT principal FROM observed) GROUP BY principal),
tenure AS (
  SELECT o.principal, least(min(o.first_at), min(k.since)) AS since
  FROM observed o LEFT JOIN known k USING (principal) GROUP BY o.principal),
seen AS (
  INSERT INTO {schema}.principal_seen AS p (principal, dimension, value, first_at, last_at)
  SELECT principal, dimension, value, first_at, last_at FROM observed
  ON CONFLICT (principal, dimension, value) DO UPDATE
    SET first_at = least(p.first_at, EXCLUDED.first_at),
        last_at = greatest(p.last_at, EXCLUDED.last_at)
  RETURNING p.principal, p.dimension, p.value, p.first_at)
SELECT s.principal, s.dimension, s.value, s.first_at, o.first_id,
       date_bin($4::interval, s.first_at, {origin}) AS bucket
FROM seen s JOIN observed o USING (principal, dimension, value) JOIN tenure t USING (principal)
WHERE s.first_at > $1 AND s.first_at >= t.since + $3::interval
ORDER BY s.principal, s.first_at, s.dimension, s.value
"""


class NoveltySettings(RuleSettings):
    dimensions: tuple[Dimension, ...] = Field(default=DIMENSIONS, min_length=1)
    learning: timedelta = timedelta(days=14)
    roles: tuple[str, ...] = ()  # empty: every principal
    client_prefix: int = Field(default=24, ge=8, le=32)  # IPv4 addresses count per /24
    client_prefix_v6: int = Field(default=64, ge=16, le=128)

    @field_validator("learning", mode="before")
    @classmethod
    def _learning(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("dimensions")
    @classmethod
    def _distinct(cls, value: tuple[Dimension, ...]) -> tuple[Dimension, ...]:
        if len(set(value)) != len(value):
            raise ValueError("each dimension is named once")
        return value


def novelty_sql(dimensions: Sequence[Dimension]) -> str:
    observed = "\n  UNION ALL".join(OBSERVED[d] for d in DIMENSIONS if d in dimensions)
    return QUERY.format(
        records=RECORDS, schema=SCHEMA, origin=SQL_BIN_ORIGIN, observed=observed,
        unauthenticated=UNAUTHENTICATED,
    )  # fmt: skip


@dataclass(frozen=True)
class Novelty(ConfiguredRule[NoveltySettings]):
    @property
    def lookback(self) -> timedelta:
        return timedelta(0)

    def query(self, span: TimeRange) -> RuleQuery:
        s = self.settings
        args = (span.start, span.end, s.learning, s.cooldown, s.client_prefix, s.client_prefix_v6)
        return RuleQuery(novelty_sql(s.dimensions), (*args, list(s.roles)))

    def findings(self, rows: Sequence[Mapping[str, Any]]) -> list[Finding]:
        """One finding per principal and cooldown bucket, naming everything new in it."""
        grouped: dict[tuple[str, datetime], list[Mapping[str, Any]]] = {}
        for row in rows:
            grouped.setdefault((row["principal"], row["bucket"]), []).append(row)
        found = [self._finding(actor, bucket, new) for (actor, bucket), new in grouped.items()]
        return sorted(found, key=lambda f: (f.window_end, f.actor))

    def _finding(self, actor: str, bucket: datetime, new: list[Mapping[str, Any]]) -> Finding:
        firsts = [row["first_at"] for row in new]
        measure: dict[str, int | float | str] = {"new_values": len(new)}
        for dimension in DIMENSIONS:
            count = sum(1 for row in new if row["dimension"] == dimension)
            if count:
                measure[f"new_{dimension}s"] = count
        measure["learning_days"] = self.settings.learning.days
        return make_finding(
            self.name, self.settings, actor, (min(firsts), max(firsts)), bucket, measure,
            [row["first_id"] for row in new], _summary(new, self.settings.learning),
        )  # fmt: skip


def _summary(new: list[Mapping[str, Any]], learning: timedelta) -> str:
    """Purposes, tables and applications are policy names and are shown; client networks are
    counted only (an address may identify a person)."""
    parts = []
    for dimension in ("purpose", "table", "app"):
        values = sorted({row["value"] for row in new if row["dimension"] == dimension})
        if values:
            parts.append(f"{dimension} {', '.join(values)}")
    clients = sum(1 for row in new if row["dimension"] == "client")
    if clients:
        parts.append(f"{clients} client network{'s' if clients > 1 else ''}")
    known = duration_text(learning)
    return f"first use after the {known} learning period: {'; '.join(parts)}"


def build(name: str, table: Mapping[str, Any], context: RuleContext) -> Rule:
    return Novelty(name, NoveltySettings.model_validate(dict(table)))
