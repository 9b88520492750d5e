"""`palata-proxy audit search` and `palata-proxy audit export`: the audit trail for the security
team and the data protection officer, from a shell.

`search` prints one page of records (newest first) as a table, JSON lines or syslog lines;
`export` writes every record of a time range (oldest first) as JSON lines or RFC 5424 syslog
lines for a SIEM. Both read `palata_audit.records` in `audit.dsn` (else the upstream database);
a subject named by IIN or BIN is looked up in the upstream database. Each run is itself audited
through the audit sink, on a chain of its own (instance `<proxy.instance>.cli`; door `cli`,
principal `cli:<OS user>`, the filter with a subject only as its number of HMACs) before
anything is printed or written: no record, no output.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pwd
import sys
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from proxy.audit.export import ExportFormat, export_lines, local_hostname, without_controls
from proxy.audit.keys import AuditKeys
from proxy.audit.record import AuditRecord
from proxy.audit.search import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Cursor,
    Searcher,
    SearchFilter,
    parse_moment,
    search_record,
    search_records,
)
from proxy.audit.startup import open_audit
from proxy.audit.subjects import SubjectCriterion, hmacs_for
from proxy.cli.common import setup_logging
from proxy.config import Settings, load_settings
from proxy.errors import ConfigError, ProxyError
from proxy.policy.catalogue import CATALOGUE_FILE, Catalogue
from proxy.upstream.pool import single_connection

RecordWriter = Callable[[AuditRecord], Awaitable[object]]


def add_subparsers(
    audit_subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """`search` and `export` under the `audit` command."""
    search = audit_subparsers.add_parser("search", help="find audit records (newest first)")
    _add_filters(search)
    search.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help=f"at most {MAX_LIMIT}")
    search.add_argument("--cursor", help="the next page, as a previous search printed it")
    search.add_argument("--format", choices=("table", "jsonl", "syslog"), default="table")
    search.set_defaults(run=run_search)
    export = audit_subparsers.add_parser(
        "export", help="write audit records (oldest first) as JSON lines or syslog lines"
    )
    _add_filters(export)
    export.add_argument("--format", choices=("jsonl", "syslog"), required=True)
    export.add_argument("--out", type=Path, metavar="FILE", help="default: standard output")
    export.set_defaults(run=run_export)


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="optional TOML settings file")
    parser.add_argument("--upstream", metavar="DSN", help="the Palata database (upstream.dsn)")
    for name in ("principal", "role", "purpose", "table", "column"):
        parser.add_argument(f"--{name}")
    parser.add_argument("--decision", choices=("clear", "masked", "redacted", "denied"))
    parser.add_argument("--outcome", choices=("served", "denied", "failed"))
    parser.add_argument("--since", metavar="TIME", help="ISO 8601, inclusive (UTC if no zone)")
    parser.add_argument("--until", metavar="TIME", help="ISO 8601, exclusive (UTC if no zone)")
    subject = parser.add_mutually_exclusive_group()
    subject.add_argument(
        "--iin", help="records naming the person with this IIN ('-': read it from standard input)"
    )
    subject.add_argument("--bin", help="records naming the organisation with this BIN")
    subject.add_argument("--subject", metavar="TABLE=KEY", help="e.g. public.debtors=17")


def run_search(args: argparse.Namespace) -> int:
    return asyncio.run(_audited(args, _search))


def run_export(args: argparse.Namespace) -> int:
    return asyncio.run(_audited(args, _export))


Action = Callable[[argparse.Namespace, Settings, RecordWriter, TextIO], Awaitable[int]]


async def _audited(args: argparse.Namespace, action: Action) -> int:
    """`action` with the shell's own audit chain open (its records go through the sink)."""
    settings = load_settings(args.config, os.environ, {"upstream.dsn": args.upstream})
    setup_logging(settings)
    async with open_audit(settings, cli_instance(settings)) as sink:
        return await action(args, settings, sink.write, sys.stdout)


async def _search(
    args: argparse.Namespace, settings: Settings, audit: RecordWriter, out: TextIO
) -> int:
    started = datetime.now(UTC)
    criteria: dict[str, Any] = {}
    try:
        search = await _filter(args, settings, args.limit, args.cursor)
        criteria = search.described()
        async with _connect(_store_dsn(settings)) as conn:
            page = await search_records(conn, search)
    except ProxyError as exc:
        await audit(_record(settings, criteria, started, error=exc))
        raise
    await audit(_record(settings, criteria, started, rows=len(page.records)))
    if args.format == "table":
        out.write(format_table(page.records))
    else:
        out.writelines(export_lines(page.records, args.format, local_hostname()))
    if page.next_cursor is not None:
        print(f"more records: --cursor {page.next_cursor.encode()}", file=sys.stderr)
    return 0


async def _export(
    args: argparse.Namespace, settings: Settings, audit: RecordWriter, out: TextIO
) -> int:
    """Audited before the first record is read (the export's size is not known yet)."""
    started = datetime.now(UTC)
    criteria: dict[str, Any] = {}
    try:
        search = await _filter(args, settings, MAX_LIMIT, None, oldest_first=True)
        criteria = search.described()
    except ProxyError as exc:
        await audit(_record(settings, criteria, started, error=exc, kind="audit_export"))
        raise
    await audit(_record(settings, criteria, started, kind="audit_export"))
    hostname = local_hostname()
    async with _connect(_store_dsn(settings)) as conn:
        if args.out is None:
            await _write_pages(conn, search, args.format, hostname, out)
        else:
            await _export_to_file(conn, search, args.format, hostname, args.out)
    return 0


async def _write_pages(
    conn: Any, search: SearchFilter, fmt: ExportFormat, hostname: str, out: TextIO
) -> None:
    while True:
        page = await search_records(conn, search)
        out.writelines(export_lines(page.records, fmt, hostname))
        if page.next_cursor is None:
            return
        search = replace(search, after=page.next_cursor)


async def _export_to_file(
    conn: Any, search: SearchFilter, fmt: ExportFormat, hostname: str, path: Path
) -> None:
    """The whole export or no file: a temporary file beside it, renamed into place."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        with temporary.open("w", encoding="utf-8") as file:
            await _write_pages(conn, search, fmt, hostname, file)
        temporary.replace(path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)


async def _filter(
    args: argparse.Namespace,
    settings: Settings,
    limit: int,
    cursor: str | None,
    *,
    oldest_first: bool = False,
) -> SearchFilter:
    iin = sys.stdin.readline().strip() if args.iin == "-" else args.iin  # kept out of `ps`
    criterion = SubjectCriterion(iin, args.bin, args.subject)
    subjects = None
    if criterion.given:
        subjects = await hmacs_for(
            criterion,
            Catalogue.load(settings.policies.dir / CATALOGUE_FILE),
            AuditKeys(settings.audit.key_bytes()).subject_hmac,
            lambda: _connect(settings.upstream_dsn),
        )
    return SearchFilter(
        principal=args.principal,
        role=args.role,
        purpose=args.purpose,
        table=args.table,
        column=args.column,
        decision=args.decision,
        outcome=args.outcome,
        since=None if args.since is None else parse_moment(args.since, "--since"),
        until=None if args.until is None else parse_moment(args.until, "--until"),
        subjects=subjects,
        limit=limit,
        after=None if cursor is None else Cursor.decode(cursor),
        oldest_first=oldest_first,
    )


def _store_dsn(settings: Settings) -> str:
    return settings.audit.dsn or settings.upstream_dsn


def _connect(dsn: str) -> AbstractAsyncContextManager[Any]:
    return single_connection(dsn)


def _record(
    settings: Settings,
    criteria: dict[str, Any],
    started: datetime,
    *,
    rows: int | None = None,
    error: ProxyError | None = None,
    kind: str = "audit_search",
) -> AuditRecord:
    searcher = Searcher("cli", f"cli:{os_user()}")
    return search_record(
        searcher, cli_instance(settings), criteria, started, kind=kind, rows=rows, error=error
    )


def cli_instance(settings: Settings) -> str:
    """The shell's own chain, apart from the running proxy's (one writer per chain)."""
    return f"{settings.proxy.instance}.cli"[:64]


def os_user() -> str:
    """The login the process runs as, from the system (not from $USER, which anyone sets)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid{os.geteuid()}"


def format_table(records: tuple[AuditRecord, ...]) -> str:
    header = ("at (UTC)", "principal", "roles", "purpose", "kind", "outcome", "rows", "subjects")
    lines = [header, *(_table_row(record) for record in records)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        + "\n"
        for line in lines
    )


def _table_row(record: AuditRecord) -> tuple[str, ...]:
    subjects = "?" if record.subject_count is None else str(record.subject_count)
    cells = (
        record.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        record.principal,
        ",".join(record.roles) or "-",
        record.purpose or "-",
        record.kind,
        record.outcome,
        "-" if record.rows is None else str(record.rows),
        subjects,
    )
    return tuple(without_controls(cell) for cell in cells)  # no terminal escapes from the trail
