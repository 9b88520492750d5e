"""The audit store's schema in PostgreSQL: `palata_audit.records`, partitioned by month, and
`palata_audit.anchors` (DDL and partition names; the I/O is in `proxy.audit.store`).

The schema belongs to the login that creates it; PUBLIC gets nothing, and the proxy's
provisioned roles are never granted anything here, so no statement a client sends through the
proxy can read or change the audit trail (the policy refuses the schema as well: it is not in
the catalogue). Partitions are monthly, created ahead (this month and the next) and on demand
for a record's month; there is no default partition, because a row parked there would stop
its month's partition from ever being created.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

SCHEMA = "palata_audit"

# the columns written and read back; the search side reads the same table
COLUMNS = (
    "instance", "seq", "id", "at", "door", "principal", "app", "roles", "purpose", "client",
    "kind", "sql", "fingerprint", "params", "access", "row_filters", "rows", "duration_ms",
    "outcome", "sqlstate", "reason", "subjects", "subject_count", "gaps", "extra", "prev_hash",
    "hash", "signature",
)  # fmt: skip

CREATE_SCHEMA = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
REVOKE ALL ON SCHEMA {SCHEMA} FROM PUBLIC;
CREATE TABLE IF NOT EXISTS {SCHEMA}.records (
  instance text NOT NULL, seq bigint NOT NULL, id text NOT NULL, at timestamptz NOT NULL,
  door text NOT NULL, principal text NOT NULL, app text, roles text[] NOT NULL, purpose text,
  client text, kind text NOT NULL, sql text, fingerprint text, params text[] NOT NULL,
  access jsonb NOT NULL, row_filters text[] NOT NULL, rows bigint,
  duration_ms double precision NOT NULL, outcome text NOT NULL, sqlstate text, reason text,
  subjects text[] NOT NULL, subject_count bigint, gaps jsonb NOT NULL, extra jsonb NOT NULL,
  prev_hash text NOT NULL, hash text NOT NULL, signature text NOT NULL,
  PRIMARY KEY (instance, seq, at)
) PARTITION BY RANGE (at);
-- when the store took each record, by its own clock (not part of the signed record): the
-- detector's second watermark, so a record that arrives after its `at` has been evaluated (a
-- long statement, a spool replayed after an outage) is still looked at (proxy.watch.engine)
-- (added with now(), which costs no rewrite of the rows already there; then stamped at each
-- insert by the clock, so a row inserted after a detector read the time is always past it)
ALTER TABLE {SCHEMA}.records ADD COLUMN IF NOT EXISTS stored_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE {SCHEMA}.records ALTER COLUMN stored_at SET DEFAULT clock_timestamp();
CREATE INDEX IF NOT EXISTS records_stored_at ON {SCHEMA}.records (stored_at);
CREATE INDEX IF NOT EXISTS records_subjects ON {SCHEMA}.records USING gin (subjects);
CREATE INDEX IF NOT EXISTS records_principal_at ON {SCHEMA}.records (principal, at);
CREATE INDEX IF NOT EXISTS records_at ON {SCHEMA}.records (at);
CREATE INDEX IF NOT EXISTS records_id ON {SCHEMA}.records (id);
CREATE TABLE IF NOT EXISTS {SCHEMA}.anchors (
  instance text NOT NULL, seq bigint NOT NULL, hash text NOT NULL,
  dropped_before timestamptz NOT NULL, at timestamptz NOT NULL, signature text NOT NULL,
  PRIMARY KEY (instance, seq)
);
REVOKE ALL ON ALL TABLES IN SCHEMA {SCHEMA} FROM PUBLIC;
"""

# serialises concurrent instances creating the schema or a partition (CREATE ... IF NOT EXISTS
# is not safe against a concurrent twin)
DDL_LOCK_KEY = 0x5A1A7A_A0D17


def month_start(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"records_{month:%Y%m}"


def create_partition(month: date) -> str:
    lower = datetime(month.year, month.month, 1, tzinfo=UTC).isoformat()
    upper_month = next_month(month)
    upper = datetime(upper_month.year, upper_month.month, 1, tzinfo=UTC).isoformat()
    return (
        f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{partition_name(month)} PARTITION OF "
        f"{SCHEMA}.records FOR VALUES FROM ('{lower}') TO ('{upper}');"
        f"REVOKE ALL ON {SCHEMA}.{partition_name(month)} FROM PUBLIC;"
    )


def month_of_partition(name: str) -> date | None:
    """The month a partition named by `partition_name` holds; None for any other table."""
    digits = name.removeprefix("records_")
    if len(digits) != 6 or not digits.isdigit() or not name.startswith("records_"):
        return None
    year, month = int(digits[:4]), int(digits[4:])
    return date(year, month, 1) if 1 <= month <= 12 else None
