"""The watch's tables, beside the audit trail in schema `palata_audit` (DDL only; the I/O is in
`store`, `suspensions` and `facts`).

Like the records, they belong to the login that creates them and PUBLIC gets nothing, so no
statement sent through the proxy reaches them. Subjects here are the audit trail's keyed
fingerprints (`AuditKeys.subject_hmac`), never keys or values.

- `detector_state`: per rule, how far the records have been evaluated (`evaluated_to`, on
  `at`; `stored_to`, on the store's `stored_at`, for records arriving late); moved in the same
  transaction as the alerts it produced, so a restart neither re-alerts nor skips.
- `alerts`: one per `dedup_key` (rule, actor, cooldown bucket); acknowledgement and webhook
  delivery state (an outbox: `pending` rows are sent, retried with back-off).
- `suspensions`: at most one active (not lifted) per principal.
- `watch_subjects`: subjects on a watch list (employees' own records, well-known persons,
  blocked subjects), and the roles that may read them without an alert.
- `assignments`: which subjects each principal is assigned (a collector's cases).
- `principal_seen`: what each principal has used before (purpose, table, client, app), for
  the novelty rule.
"""

from __future__ import annotations

from proxy.audit.schema import SCHEMA

CREATE_WATCH_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.detector_state (
  rule text PRIMARY KEY, evaluated_to timestamptz NOT NULL, updated_at timestamptz NOT NULL,
  instance text NOT NULL
);
-- stored_to: how far the records' `stored_at` has been looked at for records arriving late
ALTER TABLE {SCHEMA}.detector_state ADD COLUMN IF NOT EXISTS stored_to timestamptz;
CREATE TABLE IF NOT EXISTS {SCHEMA}.alerts (
  id uuid PRIMARY KEY, dedup_key text NOT NULL UNIQUE, rule text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  action text NOT NULL CHECK (action IN ('alert', 'suspend')), actor text NOT NULL,
  window_start timestamptz NOT NULL, window_end timestamptz NOT NULL, bucket timestamptz NOT NULL,
  measure jsonb NOT NULL, record_ids text[] NOT NULL, summary text NOT NULL,
  created_at timestamptz NOT NULL, instance text NOT NULL,
  acknowledged_at timestamptz, acknowledged_by text, note text,
  delivery text NOT NULL DEFAULT 'pending'
    CHECK (delivery IN ('pending', 'sent', 'failed', 'none')),
  delivery_attempts integer NOT NULL DEFAULT 0, next_attempt_at timestamptz
);
CREATE INDEX IF NOT EXISTS alerts_created ON {SCHEMA}.alerts (created_at DESC, id);
CREATE INDEX IF NOT EXISTS alerts_pending ON {SCHEMA}.alerts (next_attempt_at)
  WHERE delivery = 'pending';
CREATE TABLE IF NOT EXISTS {SCHEMA}.suspensions (
  id uuid PRIMARY KEY, principal text NOT NULL, since timestamptz NOT NULL, reason text NOT NULL,
  alert_id uuid REFERENCES {SCHEMA}.alerts (id), rule text,
  lifted_at timestamptz, lifted_by text, lift_note text,
  CHECK ((lifted_at IS NULL) = (lifted_by IS NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS suspensions_active ON {SCHEMA}.suspensions (principal)
  WHERE lifted_at IS NULL;
CREATE TABLE IF NOT EXISTS {SCHEMA}.watch_subjects (
  list text NOT NULL, subject text NOT NULL, allowed_roles text[] NOT NULL,
  PRIMARY KEY (list, subject)
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.assignments (
  principal text NOT NULL, subject text NOT NULL, PRIMARY KEY (principal, subject)
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.principal_seen (
  principal text NOT NULL, dimension text NOT NULL, value text NOT NULL,
  first_at timestamptz NOT NULL, last_at timestamptz NOT NULL,
  PRIMARY KEY (principal, dimension, value)
);
REVOKE ALL ON ALL TABLES IN SCHEMA {SCHEMA} FROM PUBLIC;
"""

# one instance evaluates at a time (pg_try_advisory_xact_lock); the others skip that tick
WATCH_LOCK_KEY = 0x5A1A7A_A1E27
# NOTIFY channel: a suspension was made or lifted (each instance reloads its gate)
SUSPENSIONS_CHANNEL = "palata_suspensions"
