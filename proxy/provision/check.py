"""The start-up check: does each database role hold exactly what the policy gives its proxy role?

Called by `palata-proxy provision` after applying and by `serve` before it serves: a role whose
grants exceed its policy must not be served (issue 3, defence in depth). Privileges are compared
as the database enforces them (see `privileges`): a grant to PUBLIC or through a role membership
counts as excess as much as a direct one, and so does a superuser or BYPASSRLS attribute.
Missing privileges are reported apart: they cause false denials, never leaks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from proxy.provision.grants import RoleGrants
from proxy.provision.privileges import expected, held, owned_sequences, role_attributes

# Attributes that let a role read past its grants.
_DANGEROUS = {"rolsuper": "is a superuser", "rolbypassrls": "bypasses row-level security"}


@dataclass(frozen=True)
class PrivilegeDiff:
    """Readable lines: `<db role>: <privilege> on <schema.table[.column]>`, sorted."""

    excess: tuple[str, ...]
    missing: tuple[str, ...]


async def compare_privileges(conn: Any, grants: Iterable[RoleGrants]) -> PrivilegeDiff:
    excess: list[str] = []
    missing: list[str] = []
    for role in grants:
        name = role.db_role_name
        attributes = await role_attributes(conn, name)
        if attributes is None:
            missing.append(f"{name}: the role does not exist")
            continue
        excess += [f"{name}: {what}" for key, what in _DANGEROUS.items() if attributes[key]]
        holds = await held(conn, name)
        wants = expected(role, await owned_sequences(conn, role))
        excess += [f"{name}: {p.describe()}" for p in sorted(holds - wants)]
        missing += [f"{name}: {p.describe()}" for p in sorted(wants - holds)]
    return PrivilegeDiff(tuple(excess), tuple(missing))


async def excess_privileges(conn: Any, grants: Iterable[RoleGrants]) -> list[str]:
    """Every privilege a database role holds beyond its computed grants (empty: safe to serve)."""
    return list((await compare_privileges(conn, grants)).excess)
