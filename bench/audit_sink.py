"""Records per second the audit sink makes durable, for `audit.batch_max` 1, 32 and 256.

Run by hand from the repository root: `.venv/bin/python -m bench.audit_sink [--upstream DSN]
[--seconds S] [--clients N]`. It creates a scratch database, writes synthetic records from N
concurrent writers through `open_audit` for S seconds per batch size, and drops the database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from proxy.audit.record import AuditRecord, ColumnAccess
from proxy.audit.startup import open_audit
from proxy.config import load_settings
from proxy.upstream.dsn import with_database

KEY = "bench-audit-key-0123456789abcdef-0123456789"


def record(n: int, instance: str) -> AuditRecord:
    return AuditRecord(
        id=f"{instance}-{n}", instance=instance, at=datetime.now(UTC), door="http",
        principal="collector", app=None, roles=("collector",), purpose="debt_collection",
        client="127.0.0.1", kind="select", sql="SELECT id, iin FROM debtors WHERE id = $1",
        fingerprint="f", params=("p" * 32,), access=(ColumnAccess("public.debtors", "iin",
        "masked", "partial"),), row_filters=("public.debtors",), rows=1, duration_ms=0.3,
        outcome="served", sqlstate=None, reason=None, subjects=("s" * 32,), subject_count=1,
    )  # fmt: skip


async def measure(dsn: str, batch_max: int, seconds: float, clients: int) -> float:
    instance = f"bench-{batch_max}"
    with tempfile.TemporaryDirectory() as spool:
        flags = {"upstream.dsn": dsn, "audit.key": KEY, "audit.spool_dir": Path(spool),
                 "audit.batch_max": batch_max}  # fmt: skip
        settings = load_settings(None, {}, flags)
        async with open_audit(settings, instance) as sink:
            written = 0
            deadline = time.monotonic() + seconds

            async def writer() -> None:
                nonlocal written
                while time.monotonic() < deadline:
                    await sink.write(record(written, instance))
                    written += 1

            started = time.monotonic()
            await asyncio.gather(*(writer() for _ in range(clients)))
            return written / (time.monotonic() - started)


async def main(args: argparse.Namespace) -> None:
    name = f"palata_audit_bench_{os.getpid()}"
    admin = await asyncpg.connect(args.upstream)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        print(f"{args.clients} concurrent writers, {args.seconds:.0f} s per batch size")
        for batch_max in (1, 32, 256):
            rate = await measure(with_database(args.upstream, name), batch_max, args.seconds,
                                 args.clients)  # fmt: skip
            print(f"batch_max {batch_max:>3}: {rate:>9,.0f} records/s")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--upstream", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=64)
    asyncio.run(main(parser.parse_args()))
