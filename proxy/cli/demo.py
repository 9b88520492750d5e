"""`palata-proxy demo`: the embedded default, a whole Palata stack on one machine.

It starts a private PostgreSQL in the data folder (or uses the server named by `--upstream`),
builds the synthetic Palata database there on the first run and reuses it afterwards, provisions
least-privilege database roles for the demo policy in its own server, puts the proxy in front of
it with the demo principals, and prints what a newcomer needs to try it.
Ctrl-C stops the proxy, then the database.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

from proxy.audit.trail import open_trail
from proxy.cli.banner import demo_banner
from proxy.cli.common import setup_logging
from proxy.cli.running import serve_http_until_stopped
from proxy.config import Settings, load_settings
from proxy.config.settings import DEFAULT_SPOOL_DIR
from proxy.http.app import attach_audit, create_app
from proxy.http.keys import METRICS
from proxy.identity.demo import DEMO_PRINCIPALS_FILE
from proxy.identity.principals import PrincipalDirectory
from proxy.pgwire.server import serving_pgwire
from proxy.pipeline import Pipeline
from proxy.pipeline.catalog_watch import watch_catalog
from proxy.provision import (
    DEFAULT_PREFIX,
    apply_grants,
    compute_grants,
    install_catalog_trigger,
)
from proxy.provision.startup import refuse_excess_privileges
from proxy.upstream.dsn import redact_dsn, with_database
from proxy.upstream.embedded import embedded_postgres
from proxy.upstream.pool import Upstream, open_upstream
from proxy.watch.startup import running_watch

if TYPE_CHECKING:
    from proxy.synth import DatasetReport

log = logging.getLogger(__name__)

DEMO_AUDIT_KEY_FILE = "audit.key"
DEMO_PG_PORT = 6432  # the wire door's port in the demo (5432 is often a real server's)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo", help="run the proxy on an embedded PostgreSQL with synthetic Palata data"
    )
    parser.add_argument("--config", type=Path, help="optional TOML settings file")
    parser.add_argument("--http-port", type=int, metavar="N", help="HTTP door port (http.port)")
    parser.add_argument("--pg-port", type=int, metavar="N", help="wire door port (pgwire.port)")
    parser.add_argument("--data-dir", type=Path, metavar="DIR", help="demo.data_dir")
    parser.add_argument("--debtors", type=int, metavar="N", help="size of a new dataset")
    parser.add_argument(
        "--upstream", metavar="DSN", help="use this PostgreSQL database instead of the embedded one"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    settings = load_settings(
        args.config,
        os.environ,
        {
            "http.port": args.http_port,
            "pgwire.port": args.pg_port,
            "demo.data_dir": args.data_dir,
            "demo.debtors": args.debtors,
            "upstream.dsn": args.upstream,
        },
    )
    setup_logging(settings)
    settings = with_demo_wire_door(settings)
    settings = with_demo_audit_key(settings)
    principals = PrincipalDirectory.from_policies(settings.policies.dir, DEMO_PRINCIPALS_FILE)
    with demo_database(settings) as (dsn, where):
        asyncio.run(_demo(settings, principals, dsn, where, started))
    own_server = settings.upstream.dsn is None
    print("Stopped the proxy and the embedded PostgreSQL." if own_server else "Stopped the proxy.")
    return 0


def with_demo_wire_door(settings: Settings) -> Settings:
    """The demo opens the wire door too: on `DEMO_PG_PORT` unless a port is configured."""
    if settings.pgwire.port is not None:
        return settings
    pgwire = settings.pgwire.model_copy(update={"port": DEMO_PG_PORT})
    return settings.model_copy(update={"pgwire": pgwire})


def with_demo_audit_key(settings: Settings) -> Settings:
    """The demo needs no key from its user: without one configured, it uses `audit.key` in
    the data folder, made (random, mode 0600) on the first run and reused afterwards."""
    audit = settings.audit
    if not audit.enabled or audit.key is not None or audit.key_file is not None:
        return settings
    key_file = settings.demo.data_dir / DEMO_AUDIT_KEY_FILE
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32) + "\n")
    update: dict[str, object] = {"key_file": key_file}
    if audit.spool_dir == DEFAULT_SPOOL_DIR:  # keep the demo's files together
        update["spool_dir"] = settings.demo.data_dir / "audit-spool"
    audit = audit.model_copy(update=update)
    return settings.model_copy(update={"audit": audit})


@contextmanager
def demo_database(settings: Settings) -> Iterator[tuple[str, str]]:
    """The database the demo runs on, and how to name it to a person."""
    if settings.upstream.dsn is not None:
        yield settings.upstream.dsn, redact_dsn(settings.upstream.dsn)
        return
    pgdata = settings.demo.data_dir / "pgdata"
    print(f"Starting the embedded PostgreSQL in {pgdata} ...", flush=True)
    with embedded_postgres(settings.demo.data_dir) as admin_dsn:
        dsn = asyncio.run(_ensure_database(admin_dsn, settings.demo.database))
        yield dsn, f"embedded PostgreSQL in {pgdata}, database '{settings.demo.database}'"


async def _demo(
    settings: Settings, principals: PrincipalDirectory, dsn: str, where: str, started: float
) -> None:
    dataset, reused = await _ensure_dataset(dsn, settings)
    own_server = settings.upstream.dsn is None
    if own_server:  # defence in depth, as in production: statements run as provisioned roles
        upstream_settings = settings.upstream.model_copy(update={"role_prefix": DEFAULT_PREFIX})
        settings = settings.model_copy(update={"upstream": upstream_settings})
    upstream_settings = settings.upstream.model_copy(update={"dsn": dsn})
    settings = settings.model_copy(update={"upstream": upstream_settings})
    async with (
        open_upstream(dsn, settings.upstream, settings.query.statement_timeout_s) as upstream,
        open_trail(settings) as audit,
    ):
        pipeline = await Pipeline.build(settings, upstream, audit.trail)
        if own_server:
            await _provision(upstream, pipeline)
        app = create_app(settings, upstream, principals, pipeline)
        if audit.access is not None:
            attach_audit(app, audit.access)

        def ready() -> None:
            banner = demo_banner(settings, principals, where, dataset, reused)
            print(f"{banner}\nReady in {time.monotonic() - started:.1f} s.", flush=True)

        metrics = app[METRICS]
        async with (
            watch_catalog(pipeline.catalog, dsn, settings.upstream),
            serving_pgwire(settings, pipeline, principals),
            running_watch(settings, audit.access, pipeline, app, upstream, principals, metrics),
        ):
            await serve_http_until_stopped(app, settings, ready)


async def _provision(upstream: Upstream, pipeline: Pipeline) -> None:
    """Least-privilege roles for the demo policy in the demo's own server, and the DDL event
    trigger that pushes schema changes to the proxy (idempotent)."""
    grants = compute_grants(pipeline.engine, pipeline.catalog.snapshot, DEFAULT_PREFIX)
    async with upstream.connection() as conn:
        await apply_grants(conn, grants)
        trigger = await install_catalog_trigger(conn)
    if trigger.warning is not None:
        log.warning("%s", trigger.warning)
    await refuse_excess_privileges(
        upstream, pipeline.engine, pipeline.catalog.snapshot, DEFAULT_PREFIX
    )


async def _ensure_database(admin_dsn: str, name: str) -> str:
    conn = await asyncpg.connect(admin_dsn)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            # the name is validated by DemoSection (lower-case identifier), so quoting suffices
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(admin_dsn, name)


async def _ensure_dataset(dsn: str, settings: Settings) -> tuple[DatasetReport, bool]:
    from proxy.synth import build_dataset, existing_dataset  # the generator is demo-only

    found = await existing_dataset(dsn)
    if found is not None:
        return found, True
    print(
        f"Building the synthetic Palata database: {settings.demo.debtors:,} debtors, "
        f"seed {settings.demo.seed} (done once; later runs reuse it) ...",
        flush=True,
    )
    # An interrupted build is replaced in the demo's own server, never in a server it was given.
    own_server = settings.upstream.dsn is None
    report = await build_dataset(
        dsn,
        debtors=settings.demo.debtors,
        seed=settings.demo.seed,
        progress=True,
        replace=own_server,
    )
    return report, False
