"""Reading outside one's remit (regulation 7.2.2), two rules over `palata_audit.records`:

- `outside_assignment`: a principal in `roles` — one whose row filter lets it read more than its
  cases, a supervisor — reading data subjects that are not assigned to it
  (`palata_audit.assignments`, filled by `proxy.watch.facts` from the Palata database), at least
  `min_subjects` of them in one cooldown period. Principals with no assignment at all are not
  judged: for them the rule knows nothing. The subjects a record names are HMACs of any subject
  table, so `tables` narrows the rule to statements that read only tables whose subjects are the
  assignments' subjects (the debtor tables): a join with employees would count every employee.
- `outside_category`: a role reading a table outside its remit (`outside_remit`: role -> tables,
  e.g. an HR officer and the debtors). Served statements name the table in `access`; refused
  ones, whose policy check stopped before any column was resolved, in `extra.tables`. Both
  count: an HR officer refused on debtors a few times is browsing, not mistyping.

Both read from the start of the cooldown period the span begins in, so a period's count covers
the whole period however many runs it took, and report a period only when the span added to
it. A finding carries counts and table names, never subjects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import Field, field_validator

from proxy.audit.schema import SCHEMA
from proxy.watch.config import RuleBuilder, RuleContext, RuleSettings
from proxy.watch.model import Finding, Rule, RuleQuery, TimeRange
from proxy.watch.rules.common import (
    RECORD_IDS_MAX,
    RECORDS,
    SQL_BIN_ORIGIN,
    ConfiguredRule,
    RoleScopedSettings,
    make_finding,
)

TABLE_NAME = r"^[a-z_][a-z0-9_$]*\.[a-z_][a-z0-9_$]*$"

# $1 start, $2 end, $3 cooldown, $4 roles, $5 min_subjects, $6 tables (empty: any)
ASSIGNMENT_QUERY = f"""
WITH hit AS (
  SELECT r.principal, r.at, r.id, s.subject,
         date_bin($3::interval, r.at, {SQL_BIN_ORIGIN}) AS bucket
  FROM {RECORDS} r CROSS JOIN LATERAL unnest(r.subjects) AS s(subject)
  WHERE r.at >= date_bin($3::interval, $1, {SQL_BIN_ORIGIN}) AND r.at <= $2
    AND r.outcome = 'served' AND r.roles && $4::text[]
    AND EXISTS (SELECT 1 FROM {SCHEMA}.assignments a WHERE a.principal = r.principal)
    AND NOT EXISTS (SELECT 1 FROM {SCHEMA}.assignments a
                    WHERE a.principal = r.principal AND a.subject = s.subject)
    AND (cardinality($6::text[]) = 0
         OR NOT EXISTS (SELECT 1 FROM jsonb_array_elements(r.access) AS x(entry)
                        WHERE NOT (x.entry->>'table' = ANY ($6::text[])))))
SELECT principal, bucket, count(DISTINCT subject) AS subjects,
       min(at) AS first_at, max(at) AS last_at,
       (array_agg(DISTINCT id))[1:{RECORD_IDS_MAX}] AS record_ids
FROM hit
GROUP BY principal, bucket
HAVING count(DISTINCT subject) >= $5 AND max(at) > $1
ORDER BY principal, bucket
"""

# $1 start, $2 end, $3 cooldown, $4 roles, $5 their tables (pairs), $6 min_statements
CATEGORY_QUERY = f"""
WITH remit(role, tbl) AS (SELECT * FROM unnest($4::text[], $5::text[])),
hit AS (
  SELECT r.principal, r.at, r.id, r.outcome, m.tbl, r.subjects,
         date_bin($3::interval, r.at, {SQL_BIN_ORIGIN}) AS bucket
  FROM {RECORDS} r JOIN remit m ON m.role = ANY (r.roles)
  WHERE r.at >= date_bin($3::interval, $1, {SQL_BIN_ORIGIN}) AND r.at <= $2
    AND r.outcome IN ('served', 'denied')
    AND (EXISTS (SELECT 1 FROM jsonb_array_elements(r.access) AS x(entry)
                 WHERE x.entry->>'table' = m.tbl)
         OR (jsonb_typeof(r.extra->'tables') = 'array' AND r.extra->'tables' ? m.tbl)))
SELECT h.principal, h.bucket,
       count(DISTINCT h.id) FILTER (WHERE h.outcome = 'served') AS served,
       count(DISTINCT h.id) FILTER (WHERE h.outcome = 'denied') AS denied,
       (SELECT count(DISTINCT s.subject) FROM hit x CROSS JOIN LATERAL unnest(x.subjects) s(subject)
        WHERE x.principal = h.principal AND x.bucket = h.bucket
          AND x.outcome = 'served') AS subjects,
       array_agg(DISTINCT h.tbl ORDER BY h.tbl) AS tables,
       min(h.at) AS first_at, max(h.at) AS last_at,
       (array_agg(DISTINCT h.id))[1:{RECORD_IDS_MAX}] AS record_ids
FROM hit h
GROUP BY h.principal, h.bucket
HAVING count(DISTINCT h.id) >= $6 AND max(h.at) > $1
ORDER BY h.principal, h.bucket
"""


class OutsideAssignmentSettings(RoleScopedSettings):
    min_subjects: int = Field(default=1, ge=1)
    tables: tuple[str, ...] = ()  # only statements reading nothing else; empty: any statement

    @field_validator("tables")
    @classmethod
    def _names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _table_names(value)


class OutsideCategorySettings(RuleSettings):
    outside_remit: dict[str, tuple[str, ...]] = Field(min_length=1)  # role -> tables
    min_statements: int = Field(default=1, ge=1)

    @field_validator("outside_remit")
    @classmethod
    def _remit(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for role, tables in value.items():
            if not tables:
                raise ValueError(f"role {role!r} names no table outside its remit")
            _table_names(tables)
        return value


def _table_names(tables: tuple[str, ...]) -> tuple[str, ...]:
    for table in tables:
        if not re.fullmatch(TABLE_NAME, table):
            raise ValueError(f"{table!r} is not a schema.table name")
    return tables


@dataclass(frozen=True)
class OutsideAssignment(ConfiguredRule[OutsideAssignmentSettings]):
    @property
    def lookback(self) -> timedelta:
        return self.settings.cooldown  # a period may have begun before the span

    def query(self, span: TimeRange) -> RuleQuery:
        s = self.settings
        args = (span.start, span.end, s.cooldown, list(s.roles), s.min_subjects, list(s.tables))
        return RuleQuery(ASSIGNMENT_QUERY, args)

    def findings(self, rows: Sequence[Mapping[str, Any]]) -> list[Finding]:
        return [self._finding(row) for row in rows]

    def _finding(self, row: Mapping[str, Any]) -> Finding:
        s = self.settings
        count = int(row["subjects"])
        measure = {"unassigned_subjects": count, "threshold": s.min_subjects}
        summary = (
            f"{count} data subject{'s' if count > 1 else ''} read that are not assigned to "
            f"the principal (threshold {s.min_subjects})"
        )
        return make_finding(
            self.name, s, row["principal"], (row["first_at"], row["last_at"]), row["bucket"],
            measure, row["record_ids"], summary,
        )  # fmt: skip


@dataclass(frozen=True)
class OutsideCategory(ConfiguredRule[OutsideCategorySettings]):
    @property
    def lookback(self) -> timedelta:
        return self.settings.cooldown  # a period may have begun before the span

    def query(self, span: TimeRange) -> RuleQuery:
        s = self.settings
        pairs = [(role, table) for role, tables in s.outside_remit.items() for table in tables]
        roles, tables = [role for role, _ in pairs], [table for _, table in pairs]
        args = (span.start, span.end, s.cooldown, roles, tables, s.min_statements)
        return RuleQuery(CATEGORY_QUERY, args)

    def findings(self, rows: Sequence[Mapping[str, Any]]) -> list[Finding]:
        return [self._finding(row) for row in rows]

    def _finding(self, row: Mapping[str, Any]) -> Finding:
        served, denied, subjects = int(row["served"]), int(row["denied"]), int(row["subjects"])
        tables = ", ".join(row["tables"])
        measure: dict[str, int | float | str] = {
            "served": served, "denied": denied, "distinct_subjects": subjects,
            "tables": tables, "threshold": self.settings.min_statements,
        }  # fmt: skip
        summary = (
            f"{served} served and {denied} refused statements on tables outside the role's "
            f"remit ({tables}), {subjects} distinct data subjects read"
        )
        return make_finding(
            self.name, self.settings, row["principal"], (row["first_at"], row["last_at"]),
            row["bucket"], measure, row["record_ids"], summary,
        )  # fmt: skip


def build_outside_assignment(name: str, table: Mapping[str, Any], context: RuleContext) -> Rule:
    return OutsideAssignment(name, OutsideAssignmentSettings.model_validate(dict(table)))


def build_outside_category(name: str, table: Mapping[str, Any], context: RuleContext) -> Rule:
    return OutsideCategory(name, OutsideCategorySettings.model_validate(dict(table)))


BUILDERS: Mapping[str, RuleBuilder] = {
    "outside_assignment": build_outside_assignment,
    "outside_category": build_outside_category,
}
