"""`palata-proxy scan`: sample every column of the upstream database and propose catalogue
entries for the personal data found, with the evidence, in a file a person reviews and merges.

Reads only (read-only transactions, statement timeouts); writes only the proposals file, which
it refuses to overwrite without --force. The comparison is with the catalogue of the configured
policies folder unless --catalogue names another.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from proxy.cli.common import setup_logging
from proxy.config import Settings, load_settings
from proxy.errors import ConfigError
from proxy.policy.catalogue import CATALOGUE_FILE, Catalogue
from proxy.upstream.dsn import redact_dsn

DEFAULT_OUT = Path("catalogue.proposed.toml")
MAX_SAMPLE = 100_000


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "scan", help="find personal-data columns by sampling and propose catalogue entries"
    )
    parser.add_argument("--config", type=Path, help="optional TOML settings file")
    parser.add_argument("--upstream", metavar="DSN", help="the database to scan (upstream.dsn)")
    parser.add_argument(
        "--sample", type=int, default=200, metavar="N", help="values sampled per column (200)"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, metavar="FILE", help=f"proposals ({DEFAULT_OUT})"
    )
    parser.add_argument("--force", action="store_true", help="overwrite the proposals file")
    parser.add_argument(
        "--catalogue",
        type=Path,
        metavar="FILE",
        help="the catalogue to compare with (default: catalogue.toml in policies.dir)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config, os.environ, {"upstream.dsn": args.upstream})
    setup_logging(settings)
    logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)  # a line per value at INFO
    if not 1 <= args.sample <= MAX_SAMPLE:
        raise ConfigError(f"--sample must be between 1 and {MAX_SAMPLE}, not {args.sample}")
    if args.out.exists() and not args.force:
        raise ConfigError(f"{args.out} exists: choose another --out or pass --force")
    catalogue, compared_with = _load_catalogue(args.catalogue, settings)
    dsn = settings.upstream_dsn
    from proxy.discovery import review_verdicts, scan_database  # Presidio: this command only
    from proxy.discovery.detector import ScanDetector
    from proxy.discovery.report import ReportHeader, render_proposals, summarise
    from proxy.discovery.scan import ScanOptions

    options = ScanOptions(
        sample=args.sample,
        statement_timeout_s=settings.query.statement_timeout_s,
        connect_timeout_s=settings.upstream.connect_timeout_s,
    )
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    result = asyncio.run(scan_database(dsn, ScanDetector(), options))
    review = review_verdicts(result.verdicts, catalogue)
    header = ReportHeader(redact_dsn(dsn), started, args.sample, compared_with)
    _write(args.out, render_proposals(header, result, review), force=args.force)
    print(summarise(result, review, str(args.out)))
    return 1 if result.unreadable else 0


def _load_catalogue(path: Path | None, settings: Settings) -> tuple[Catalogue | None, str]:
    """The named catalogue (which must exist), else the policies folder's, if there is one."""
    if path is None:
        path = settings.policies.dir / CATALOGUE_FILE
        if not path.is_file():
            return None, f"no catalogue ({path} does not exist)"
    elif not path.is_file():
        raise ConfigError(f"--catalogue {path}: no such file")
    return Catalogue.load(path), str(path)


def _write(path: Path, text: str, *, force: bool) -> None:
    """Write the whole file or nothing: a temporary file beside it, then renamed into place."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        temporary.write_text(text, encoding="utf-8")
        if force:
            temporary.replace(path)
        else:
            os.link(temporary, path)  # fails, rather than overwrites, if the file appeared
    except FileExistsError:
        raise ConfigError(
            f"{path} appeared during the scan: choose another --out or --force"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
