"""Database role names for proxy roles, and safe quoting of the identifiers provisioning writes.

Used by the grant computation (which names each role) and by `apply` (which writes GRANTs): every
name is validated here before it can reach SQL text, and quoted when it does.
"""

from __future__ import annotations

import re

from proxy.errors import ConfigError
from proxy.sql.quoting import quote_qualified

DEFAULT_PREFIX = "palata_"
MAX_IDENTIFIER = 63  # NAMEDATALEN - 1: PostgreSQL truncates longer names silently

_PREFIX = re.compile(r"[a-z_][a-z0-9_]{0,40}")
_ROLE = re.compile(r"[a-z_][a-z0-9_$]*")


def db_role_name(roles: str | tuple[str, ...], prefix: str = DEFAULT_PREFIX) -> str:
    """`<prefix><role>`, or `<prefix><a>__<b>` for a role set; ConfigError if not a safe name."""
    if not _PREFIX.fullmatch(prefix):
        raise ConfigError(f"role prefix '{prefix}' must be a lower-case SQL name (a-z, 0-9, _)")
    parts = (roles,) if isinstance(roles, str) else roles
    if not parts or not all(_ROLE.fullmatch(part) for part in parts):
        raise ConfigError("a proxy role name is not a plain lower-case name")
    name = prefix + "__".join(parts)
    if len(name) > MAX_IDENTIFIER:
        raise ConfigError(f"database role name '{name}' is longer than {MAX_IDENTIFIER} characters")
    return name


def quote_table(table: str) -> str:
    """`"schema"."table"` for a `schema.table` key (names of the catalogue contain no dot)."""
    schema, _, name = table.partition(".")
    return quote_qualified(schema, name)
