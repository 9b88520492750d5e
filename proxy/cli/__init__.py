"""The `palata-proxy` command (also `python -m proxy`): one subcommand per job.

Every `ProxyError` ends the command with its message on stderr and a non-zero exit status:
2 for configuration errors, 3 when a database cannot be reached, 1 otherwise; an interrupt
(Ctrl-C, SIGTERM, SIGHUP) before the proxy is up ends it with 130 after cleaning up.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from proxy import __version__
from proxy.cli import audit, demo, detect, generate, identity, provision, scan, serve
from proxy.cli.common import interrupt_on_stop_signals
from proxy.errors import ConfigError, ProxyError, UpstreamUnavailable


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="palata-proxy",
        description="Privacy-preserving access-control proxy for the Palata PostgreSQL database.",
    )
    parser.add_argument("--version", action="version", version=f"palata-proxy {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve.add_parser(subparsers)
    demo.add_parser(subparsers)
    generate.add_parser(subparsers)
    provision.add_parser(subparsers)
    detect.add_parser(subparsers)
    scan.add_parser(subparsers)
    audit.add_parser(subparsers)
    identity.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    interrupt_on_stop_signals()
    try:
        status: int = args.run(args)
    except ConfigError as exc:
        return _fail(exc, 2)
    except UpstreamUnavailable as exc:
        return _fail(exc, 3)
    except ProxyError as exc:
        return _fail(exc, 1)
    except KeyboardInterrupt:
        print("palata-proxy: interrupted", file=sys.stderr)
        return 130
    return status


def _fail(exc: ProxyError, status: int) -> int:
    print(f"palata-proxy: error: {exc.message}", file=sys.stderr)
    return status
