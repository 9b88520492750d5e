"""`palata-proxy audit`: the audit trail's commands. This module owns `audit verify`; `audit
search` and `audit export` live in `proxy.cli.audit_search`, which registers them on the same
`audit` command through its `add_subparsers(audit_subparsers)` when that module exists.

`verify` reads every instance's chain from the store, in seq order and streamed, checks hashes,
signatures, seq and links (from a signed retention anchor where old records were dropped) and
prints one line per instance; exit status 1 names the first bad record.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from proxy.audit.chain import Anchor, ChainSummary, ChainVerifier
from proxy.audit.keys import AuditKeys
from proxy.audit.store import AuditStore, open_store
from proxy.config import load_settings

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

# the module that adds `audit search` and `audit export` (optional until it is written)
SEARCH_COMMANDS_MODULE = "proxy.cli.audit_search"


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("audit", help="verify, search and export the audit trail")
    audit_subparsers = parser.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    add_verify_parser(audit_subparsers)
    _add_search_commands(audit_subparsers)


def add_verify_parser(audit_subparsers: Subparsers) -> None:
    parser = audit_subparsers.add_parser(
        "verify", help="check every audit chain: nothing altered, removed or reordered"
    )
    add_store_arguments(parser)
    parser.set_defaults(run=run_verify)


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    """--config and --upstream, as every `audit` action takes them."""
    parser.add_argument("--config", type=Path, help="the TOML settings file")
    parser.add_argument(
        "--upstream", metavar="DSN", help="PostgreSQL URI (upstream.dsn; audit.dsn wins if set)"
    )


def _add_search_commands(audit_subparsers: Subparsers) -> None:
    try:
        module = importlib.import_module(SEARCH_COMMANDS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != SEARCH_COMMANDS_MODULE:
            raise
        return
    module.add_subparsers(audit_subparsers)


def run_verify(args: argparse.Namespace) -> int:
    settings = load_settings(args.config, os.environ, {"upstream.dsn": args.upstream})
    keys = AuditKeys(settings.audit.key_bytes())
    dsn = settings.audit.dsn or settings.upstream_dsn
    summaries = asyncio.run(_verify(dsn, keys, settings.upstream.connect_timeout_s))
    for summary in summaries:
        if summary.problem is not None:
            print(f"audit verify: FAILED: {summary.problem.describe()}", file=sys.stderr)
            return 1
        print(_describe(summary))
    if not summaries:
        print("audit verify: the store holds no audit records yet")
    return 0


async def _verify(dsn: str, keys: AuditKeys, connect_timeout_s: float) -> list[ChainSummary]:
    async with open_store(dsn, connect_timeout_s) as store:
        summaries = []
        for instance in await store.instances():
            summary = await verify_instance(store, keys, instance)
            summaries.append(summary)
            if summary.problem is not None:
                break
        return summaries


async def verify_instance(store: AuditStore, keys: AuditKeys, instance: str) -> ChainSummary:
    """One instance's chain from the store, from its latest valid retention anchor on."""
    anchors = await store.anchors(instance)
    verifier = ChainVerifier(instance, keys, anchors)
    start = _latest_valid_anchor(anchors.values(), keys)
    async for record in store.read_chain(instance, after_seq=start):
        if verifier.check(record) is not None:
            break
    return verifier.summary()


def _latest_valid_anchor(anchors: Iterable[Anchor], keys: AuditKeys) -> int:
    valid = [a.seq for a in anchors if keys.signature_matches(a.message(), a.signature)]
    return max(valid, default=0)


def _describe(summary: ChainSummary) -> str:
    if summary.checked == 0:
        return f"instance {summary.instance}: no records left (all dropped by retention): OK"
    return (
        f"instance {summary.instance}: {summary.checked} records verified, "
        f"seq {summary.first_seq}..{summary.last_seq}: OK"
    )
