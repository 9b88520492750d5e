"""A process writing audit records through a sink as fast as it can, printing each record's
seq and id once the sink has acknowledged it; the crash test kills it with SIGKILL."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from proxy.audit.startup import open_audit
from proxy.config import load_settings
from tests.audit.support import KEY, make_record

CONCURRENCY = 16


async def main(dsn: str, spool_dir: Path, instance: str) -> None:
    flags = {"upstream.dsn": dsn, "audit.key": KEY.decode(), "audit.spool_dir": spool_dir}
    settings = load_settings(None, {}, flags)
    async with open_audit(settings, instance) as sink:
        print("ready", flush=True)
        counter = iter(range(1, 10**9))

        async def client() -> None:
            while True:
                record = await sink.write(make_record(next(counter), instance))
                sys.stdout.write(f"ack {record.seq} {record.id}\n")
                sys.stdout.flush()

        await asyncio.gather(*(client() for _ in range(CONCURRENCY)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3]))
