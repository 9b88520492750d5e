"""The start-up check of `serve`: database roles must not hold more than the policy gives.

With `upstream.role_prefix` set, every statement runs as a provisioned database role; if one of
those roles holds a privilege its policy does not grant (a manual GRANT, a grant to PUBLIC), a
proxy bug could read what the policy forbids, so the proxy refuses to start. A missing grant only
makes the database refuse statements (fail closed), so it is reported, not fatal.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from proxy.errors import ConfigError
from proxy.policy import PolicyEngine
from proxy.provision.check import compare_privileges
from proxy.provision.grants import compute_grants
from proxy.sql import CatalogSnapshot
from proxy.upstream.pool import Upstream

log = logging.getLogger(__name__)
SHOWN = 20


async def refuse_excess_privileges(
    upstream: Upstream,
    engine: PolicyEngine,
    snapshot: CatalogSnapshot,
    prefix: str,
    role_sets: Iterable[tuple[str, ...]] = (),
) -> None:
    grants = compute_grants(engine, snapshot, prefix, tuple(role_sets))
    async with upstream.connection() as conn:
        diff = await compare_privileges(conn, grants)
    if diff.missing:
        log.warning(
            "%d privilege(s) the policy gives are not granted in the database (run "
            "palata-proxy provision); first: %s",
            len(diff.missing),
            "; ".join(diff.missing[:SHOWN]),
        )
    if diff.excess:
        raise ConfigError(
            f"{len(diff.excess)} database privilege(s) exceed the policy, so the proxy will not "
            f"serve (run palata-proxy provision, or revoke them): {'; '.join(diff.excess[:SHOWN])}"
        )
