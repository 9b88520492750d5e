"""`palata-proxy serve`: the production entry point, in front of an existing PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from pathlib import Path

from proxy.audit.trail import open_trail
from proxy.cli.common import setup_logging
from proxy.cli.identity import role_sets, token_verifier
from proxy.cli.running import serve_http_until_stopped
from proxy.config import Settings, load_settings
from proxy.http.app import attach_audit, create_app
from proxy.http.keys import METRICS
from proxy.identity.demo import refuse_demo_tokens
from proxy.identity.jwt_tokens import JwtVerifier
from proxy.identity.principals import PRINCIPALS_FILE, PrincipalDirectory
from proxy.pgwire.server import serving_pgwire
from proxy.pipeline import Pipeline
from proxy.pipeline.catalog_watch import watch_catalog
from proxy.provision.startup import refuse_excess_privileges
from proxy.upstream.dsn import redact_dsn
from proxy.upstream.pool import open_upstream
from proxy.watch.startup import running_watch

log = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("serve", help="run the proxy in front of a PostgreSQL server")
    parser.add_argument("--config", type=Path, required=True, help="the TOML settings file")
    parser.add_argument("--upstream", metavar="DSN", help="PostgreSQL URI (upstream.dsn)")
    parser.add_argument("--http-port", type=int, metavar="N", help="HTTP door port (http.port)")
    parser.add_argument("--pg-port", type=int, metavar="N", help="wire door port (pgwire.port)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(
        args.config,
        os.environ,
        {"upstream.dsn": args.upstream, "http.port": args.http_port, "pgwire.port": args.pg_port},
    )
    setup_logging(settings)
    principals = PrincipalDirectory.from_policies(settings.policies.dir)
    refuse_demo_tokens(principals, settings.policies.dir / PRINCIPALS_FILE)
    verifier = token_verifier(settings, principals)
    if verifier.allows_hs256:
        log.warning("HS256 (shared-secret) tokens are accepted: for development only")
    asyncio.run(_serve(settings, principals, verifier))
    return 0


async def _serve(settings: Settings, principals: PrincipalDirectory, verifier: JwtVerifier) -> None:
    dsn = settings.upstream_dsn
    async with (
        open_upstream(dsn, settings.upstream, settings.query.statement_timeout_s) as upstream,
        open_trail(settings) as audit,
    ):
        pipeline = await Pipeline.build(settings, upstream, audit.trail)
        if settings.upstream.role_prefix is not None:
            await refuse_excess_privileges(
                upstream,
                pipeline.engine,
                pipeline.catalog.snapshot,
                settings.upstream.role_prefix,
                role_sets(principals),
            )
        app = create_app(settings, upstream, principals, pipeline, verifier)
        if audit.access is not None:
            attach_audit(app, audit.access)

        def ready() -> None:
            host, port = settings.http.host, settings.http.port
            log.info("HTTP door on http://%s:%d, upstream %s", host, port, redact_dsn(dsn))

        metrics = app[METRICS]
        async with (
            watch_catalog(pipeline.catalog, dsn, settings.upstream),
            serving_pgwire(settings, pipeline, principals),
            running_watch(settings, audit.access, pipeline, app, upstream, principals, metrics),
        ):
            await serve_http_until_stopped(app, settings, ready)
