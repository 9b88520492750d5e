"""`palata-proxy` as a process for the audit tests, with the `audit` command registered even
before `proxy/cli/__init__.py` does it (`audit.add_parser(subparsers)`)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence

from proxy import cli
from proxy.cli import audit
from tests.support import REPO


def _with_audit() -> argparse.ArgumentParser:
    parser = _build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "audit" not in subparsers.choices:
        audit.add_parser(subparsers)
    return parser


_build_parser = cli.build_parser


def run_audit_cli(args: Sequence[str], key: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PALATA_")}
    if key:
        env["PALATA_AUDIT_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "tests.audit.cli_runner", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


if __name__ == "__main__":
    cli.build_parser = _with_audit
    sys.exit(cli.main(sys.argv[1:]))
