"""The Palata tables' DDL and the dataset record, as SQL the builder runs.

The DDL lives in schema.sql (tables) and constraints.sql (keys, foreign keys, indexes); the
record of a completed build lives in palata_meta.dataset, written in the same transaction as the
data, so a dataset that is recorded is always complete.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from proxy.synth.plan import TABLES

META_SCHEMA = "palata_meta"
META_TABLE = f"{META_SCHEMA}.dataset"

META_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {META_SCHEMA};
CREATE TABLE IF NOT EXISTS {META_TABLE} (
    id                smallint PRIMARY KEY CHECK (id = 1),
    seed              bigint NOT NULL,
    debtors           integer NOT NULL,
    generator_version text NOT NULL,
    row_counts        jsonb NOT NULL,
    seconds           double precision NOT NULL,
    completed_at      timestamptz NOT NULL DEFAULT now()
);
"""

# Only one build at a time per database: a second one waits for the first to commit.
BUILD_LOCK_KEY = 0x50414C415441  # "PALATA"


@cache
def _sql(name: str) -> str:
    return resources.files("proxy.synth").joinpath(name).read_text(encoding="utf-8")


def create_tables_sql() -> str:
    return _sql("schema.sql")


def constraint_statements() -> list[str]:
    """constraints.sql split into statements, so progress can be shown per statement."""
    code = "\n".join(
        line for line in _sql("constraints.sql").splitlines() if not line.lstrip().startswith("--")
    )
    return [statement.strip() for statement in code.split(";") if statement.strip()]


def drop_tables_sql() -> str:
    names = ", ".join(f"public.{table}" for table in reversed(TABLES))
    return f"DROP TABLE IF EXISTS {names} CASCADE"


EXISTING_TABLES_SQL = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relname = ANY($1::text[])
ORDER BY c.relname
"""
