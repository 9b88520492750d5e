"""`palata-proxy provision`: least-privilege database roles per proxy role, from the policy.

Computes each proxy role's grants from the policy and the upstream catalogue, prints them,
applies them on the upstream (unless --dry-run), then checks what the roles hold: any privilege
beyond the policy ends the command with status 1, so a deployment script stops there.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from proxy.config import load_settings
from proxy.errors import ProxyError
from proxy.policy import PolicyEngine
from proxy.provision import (
    DEFAULT_PREFIX,
    ApplyReport,
    PrivilegeDiff,
    RoleGrants,
    TriggerReport,
    apply_grants,
    compare_privileges,
    compute_grants,
    install_catalog_trigger,
)
from proxy.sql import load_catalog_snapshot
from proxy.upstream.pool import single_connection


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "provision", help="create least-privilege database roles per proxy role from the policy"
    )
    parser.add_argument("--config", type=Path, required=True, help="the TOML settings file")
    parser.add_argument("--upstream", metavar="ADMIN_DSN", help="an administrative PostgreSQL URI")
    parser.add_argument(
        "--proxy-login", metavar="NAME", help="the login the proxy uses (default: the DSN's user)"
    )
    parser.add_argument(
        "--role-prefix",
        metavar="P",
        help=f"database role name prefix (default: upstream.role_prefix, else {DEFAULT_PREFIX})",
    )
    parser.add_argument(
        "--role-set",
        action="append",
        default=[],
        metavar="A,B",
        help="also provision a database role for principals holding these roles together",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the grants, change nothing")
    parser.set_defaults(run=run)


class ExcessPrivileges(ProxyError):
    """A database role holds more than its proxy role's policy gives (exit status 1)."""

    sqlstate = "42501"
    http_status = 403


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config, os.environ, {"upstream.dsn": args.upstream})
    engine = PolicyEngine.load(settings.policies.dir, settings.policies.model_path)
    if args.role_prefix is None:
        args.role_prefix = settings.upstream.role_prefix or DEFAULT_PREFIX
    return asyncio.run(_provision(args, engine, settings.upstream_dsn))


async def _provision(args: argparse.Namespace, engine: PolicyEngine, dsn: str) -> int:
    async with single_connection(dsn) as conn:
        role_sets = [tuple(part.strip() for part in text.split(",")) for text in args.role_set]
        snapshot = await load_catalog_snapshot(conn)
        grants = compute_grants(engine, snapshot, args.role_prefix, role_sets)
        print(format_grants(grants))
        if args.dry_run:
            return 0
        print(format_report(await apply_grants(conn, grants, args.proxy_login)))
        print_trigger_report(await install_catalog_trigger(conn))
        diff = await compare_privileges(conn, grants)
    print(format_diff(diff))
    if diff.excess:
        raise ExcessPrivileges(
            f"{len(diff.excess)} privilege(s) exceed the policy (granted to PUBLIC or through "
            "another role?); see the list above"
        )
    return 0


def format_grants(grants: Sequence[RoleGrants]) -> str:
    lines = []
    for role in grants:
        lines.append(f"{role.role} -> {role.db_role_name}" + (": nothing" if role.empty else ""))
        for kind, tables in (("SELECT", role.select), ("INSERT", role.insert)):
            lines += [f"  {kind} {t} ({', '.join(sorted(c))})" for t, c in tables.items()]
        lines += [f"  UPDATE {t} ({', '.join(sorted(c))})" for t, c in role.update.items()]
        lines += [f"  DELETE {t}" for t in sorted(role.delete)]
    return "\n".join(lines)


def format_report(report: ApplyReport) -> str:
    lines = [f"Applied (proxy login {report.proxy_login}):"]
    for role in report.roles:
        lines.append(f"  {role.db_role_name}: " + ("no change" if not role.changes else ""))
        lines += [f"    {change}" for change in role.changes]
    return "\n".join(line.rstrip() for line in lines)


def format_diff(diff: PrivilegeDiff) -> str:
    if not diff.excess and not diff.missing:
        return "Check: every database role holds exactly what its policy gives."
    lines = ["Check:"]
    lines += [f"  EXCESS  {line}" for line in diff.excess]
    lines += [f"  MISSING {line}" for line in diff.missing]
    return "\n".join(lines)


def print_trigger_report(report: TriggerReport) -> None:
    if report.warning is not None:
        print(f"WARNING: {report.warning}", file=sys.stderr)
        return
    print("Schema-change trigger: " + ("; ".join(report.changes) or "already installed"))
