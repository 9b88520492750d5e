"""The DDL event trigger that tells the proxy the schema changed (pushed catalogue refresh).

Installed by `palata-proxy provision` (and the demo) beside the roles. After every DDL command
(`ddl_command_end`) and every drop (`sql_drop`) the database sends a NOTIFY on `CATALOG_CHANNEL`
with the command tag; `proxy.pipeline.catalog_watch` listens and reloads the catalogue snapshot.
The function lives in `palata_meta` (never granted to a proxy role), belongs to the superuser
that installs it, pins its search_path, and can only call `pg_notify` with a short tag, so it
cannot fail or hijack the DDL it fires for. Event triggers need a superuser: without one the
install is skipped with a warning and the proxy relies on its periodic catalogue check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CATALOG_CHANNEL = "palata_catalog_changed"
SCHEMA = "palata_meta"
FUNCTION = f"{SCHEMA}.notify_catalog_changed"
# event trigger name -> the event it fires on
TRIGGERS = {
    "palata_catalog_changed_ddl": "ddl_command_end",
    "palata_catalog_changed_drop": "sql_drop",
}

# pg_notify with a payload of at most 63 characters (a command tag) cannot exceed its limits;
# no dynamic SQL, every name qualified, search_path pinned.
_BODY = f"""
BEGIN
    PERFORM pg_catalog.pg_notify('{CATALOG_CHANNEL}', pg_catalog.left(TG_TAG, 63));
END
"""
_CONFIG = ["search_path=pg_catalog, pg_temp"]
_FUNCTION_SQL = (
    f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS event_trigger LANGUAGE plpgsql "
    f"SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $fn${_BODY}$fn$"
)
_DEFINITION = """
SELECT p.prosrc, p.proconfig, p.prosecdef, l.lanname, p.proowner = r.oid AS owned
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang JOIN pg_roles r ON r.rolname = current_user
WHERE p.oid = to_regprocedure($1)
"""

_INSTALLED = """
SELECT t.evtname, t.evtevent, t.evtenabled::text AS enabled,
       t.evtfoid IS NOT DISTINCT FROM to_regprocedure($1) AS ours
FROM pg_event_trigger t WHERE t.evtname = ANY($2::text[])
"""


@dataclass(frozen=True)
class TriggerReport:
    """What installing the trigger did; `warning` is set when it could not be installed."""

    changes: tuple[str, ...] = ()
    warning: str | None = None

    @property
    def installed(self) -> bool:
        return self.warning is None


NOT_SUPERUSER = (
    "the administrative role is not a superuser, so the DDL event trigger that pushes schema "
    "changes to the proxy was not installed; the proxy falls back to reloading the catalogue "
    "when a statement names something unknown and to its periodic check "
    "(upstream.catalog_check_interval_s)"
)


async def install_catalog_trigger(conn: Any) -> TriggerReport:
    """Create or repair, idempotently and in one transaction, the function and event triggers."""
    if not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
        return TriggerReport(warning=NOT_SUPERUSER)
    changes: list[str] = []
    async with conn.transaction():
        if not await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", SCHEMA):
            await conn.execute(f"CREATE SCHEMA {SCHEMA}")
            changes.append(f"created the schema {SCHEMA}")
        if not await _function_current(conn):
            await conn.execute(_FUNCTION_SQL)
            changes.append(f"created or replaced the function {FUNCTION}()")
        # a superuser runs this function on its own DDL: nobody else may own or replace it
        await conn.execute(f"ALTER FUNCTION {FUNCTION}() OWNER TO CURRENT_USER")
        await conn.execute(f"REVOKE ALL ON FUNCTION {FUNCTION}() FROM PUBLIC")
        changes += await _ensure_triggers(conn)
    return TriggerReport(tuple(changes))


async def catalog_trigger_installed(conn: Any) -> bool:
    """True when both event triggers exist, are enabled and call our function."""
    rows = await conn.fetch(_INSTALLED, f"{FUNCTION}()", list(TRIGGERS))
    return len(rows) == len(TRIGGERS) and all(_sound(row) for row in rows)


async def _function_current(conn: Any) -> bool:
    """Whether the function exists, is ours, and has exactly our definition (else replaced)."""
    row = await conn.fetchrow(_DEFINITION, f"{FUNCTION}()")
    return (
        row is not None
        and row["prosrc"] == _BODY
        and list(row["proconfig"] or ()) == _CONFIG
        and not row["prosecdef"]
        and row["lanname"] == "plpgsql"
        and row["owned"]
    )


async def _ensure_triggers(conn: Any) -> list[str]:
    rows = {r["evtname"]: r for r in await conn.fetch(_INSTALLED, f"{FUNCTION}()", list(TRIGGERS))}
    changes = []
    for name, event in TRIGGERS.items():
        row = rows.get(name)
        if row is not None and _sound(row):
            continue
        if row is not None:
            await conn.execute(f"DROP EVENT TRIGGER {name}")
        await conn.execute(f"CREATE EVENT TRIGGER {name} ON {event} EXECUTE FUNCTION {FUNCTION}()")
        changes.append(f"{'re' if row is not None else ''}created the event trigger {name}")
    return changes


def _sound(row: Any) -> bool:
    """Enabled (in origin or always mode), on its event, calling our function."""
    return (
        bool(row["ours"])
        and row["enabled"] in ("O", "A")
        and (row["evtevent"] == TRIGGERS[row["evtname"]])
    )
