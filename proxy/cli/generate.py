"""`palata-proxy generate`: build the synthetic Palata database on any PostgreSQL server."""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING

from proxy.cli.common import setup_logging
from proxy.config import load_settings
from proxy.upstream.dsn import redact_dsn

if TYPE_CHECKING:
    from proxy.synth import DatasetReport


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "generate", help="build the synthetic Palata database (deterministic, seeded)"
    )
    parser.add_argument("--config", type=Path, help="optional TOML settings file")
    parser.add_argument("--upstream", metavar="DSN", help="target database (upstream.dsn)")
    parser.add_argument("--debtors", type=int, metavar="N", help="number of debtors")
    parser.add_argument("--seed", type=int, metavar="S", help="random seed")
    parser.add_argument(
        "--replace", action="store_true", help="drop an existing Palata dataset first"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(
        args.config,
        os.environ,
        {"upstream.dsn": args.upstream, "demo.debtors": args.debtors, "demo.seed": args.seed},
    )
    setup_logging(settings)
    dsn = settings.upstream_dsn
    from proxy.synth import build_dataset  # heavy, and needed by this command only

    report = asyncio.run(
        build_dataset(
            dsn,
            debtors=settings.demo.debtors,
            seed=settings.demo.seed,
            progress=not args.quiet,
            replace=args.replace,
        )
    )
    print(f"Built the Palata dataset in {redact_dsn(dsn)}:")
    print(format_report(report))
    return 0


def format_report(report: DatasetReport) -> str:
    lines = [f"  {table:<28} {count:>12,}" for table, count in sorted(report.rows.items())]
    lines.append(
        f"  {report.debtors:,} debtors, seed {report.seed}: {report.total_rows:,} rows "
        f"in {report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s)"
    )
    return "\n".join(lines)
