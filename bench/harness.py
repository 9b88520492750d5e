"""The benchmarks' stage: a scratch database holding the red-team fixture, and a real proxy on it.

The database is created on a server the caller names, loaded with shared/redteam/schema.sql as
its owner (optionally enlarged with copies of the fixture's debtors, so a primary-key lookup
searches a realistic table) and dropped with FORCE at the end. The proxy is `palata-proxy serve`
with the fixture's configuration (or one a benchmark writes, with the wire door open), started as
an operator would and stopped with SIGINT.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO.parent / "shared" / "redteam" / "schema.sql"
CONFIG = REPO / "tests" / "redteam" / "proxy.toml"
REGION = "Алматы"  # the collector's region in the fixture
LOCAL_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"

# Copies of the fixture's debtors with new ids and IINs (9000… is no valid birth date, so no copy
# collides with a fixture IIN), all in the collector's region.
ENLARGE_SQL = """
INSERT INTO debtors (id, iin, full_name, phone, email, address, birth_date, debt_amount, notes,
                     region)
SELECT base.top + g, (900000000000 + g)::text, d.full_name, d.phone, d.email, d.address,
       d.birth_date, d.debt_amount, d.notes, $2
FROM generate_series(1, $1::int) AS g
CROSS JOIN (SELECT max(id) AS top, count(*) AS n FROM debtors) AS base
JOIN debtors AS d ON d.id = 1 + g % base.n
"""


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


# -- the scratch database -------------------------------------------------------------------


def scratch_dsn(admin_dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(admin_dsn)._replace(path=f"/{name}"))


async def create_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def load_fixture(dsn: str, extra_debtors: int) -> list[int]:
    """The fixture plus `extra_debtors` copies in the collector's region; the region's ids."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(SCHEMA.read_text(encoding="utf-8"))
        if extra_debtors:
            await conn.execute(ENLARGE_SQL, extra_debtors, REGION)
        await conn.execute("ANALYZE")
        rows = await conn.fetch("SELECT id FROM debtors WHERE region = $1 ORDER BY id", REGION)
        return [row["id"] for row in rows]
    finally:
        await conn.close()


# -- the proxy ------------------------------------------------------------------------------


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_proxy(dsn: str, log: Path, settings: dict[str, str] | None = None) -> Iterator[str]:
    """`palata-proxy serve` on the fixture; stopped with SIGINT (as Ctrl-C) when the block ends.
    `settings` are `PALATA_` variables for it (the caller's own are never passed on); its audit
    spool goes beside `log`.

    It gets its own session, so a Ctrl-C at the terminal reaches the benchmark only, which then
    stops the proxy before it drops the database."""
    port = unused_port()
    args = ["serve", "--config", str(CONFIG), "--upstream", dsn, "--http-port", str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PALATA_")}
    env["PALATA_AUDIT_SPOOL_DIR"] = str(log.parent / "audit-spool")
    env.update(settings or {})
    with _serving(["-m", "proxy", *args], port, log, env) as url:
        yield url


@contextmanager
def running_bare_server(answer: bytes, folder: Path) -> Iterator[str]:
    """`bench.bare_server` answering `answer` to every query; stopped when the block ends."""
    port = unused_port()
    answer_file = folder / "answer.json"
    answer_file.write_bytes(answer)
    args = ["-m", "bench.bare_server", str(port), str(answer_file)]
    with _serving(args, port, folder / "bare_server.log", dict(os.environ)) as url:
        yield url


@dataclass(frozen=True)
class ServingProxy:
    """A running `palata-proxy serve`: its HTTP door's URL, its wire door's port, its process."""

    url: str
    pg_port: int
    pid: int


@contextmanager
def running_wire_proxy(config: Path, dsn: str, log: Path) -> Iterator[ServingProxy]:
    """`palata-proxy serve` with `config` and both doors open, stopped like `running_proxy`.
    Everything but the upstream and the ports comes from `config` (no `PALATA_` variable)."""
    port, pg_port = unused_port(), unused_port()
    args = ["serve", "--config", str(config), "--upstream", dsn]
    args += ["--http-port", str(port), "--pg-port", str(pg_port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PALATA_")}
    with _started(["-m", "proxy", *args], port, log, env) as (url, process):
        yield ServingProxy(url, pg_port, process.pid)


@contextmanager
def _serving(args: list[str], port: int, log: Path, env: dict[str, str]) -> Iterator[str]:
    """A Python server process of this repository, in its own session, until the block ends."""
    with _started(args, port, log, env) as (url, _):
        yield url


@contextmanager
def _started(
    args: list[str], port: int, log: Path, env: dict[str, str]
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_alive(f"{url}/healthz", process, log)
            yield url, process
        finally:
            stop_process(process)


def wait_until_alive(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise BenchError(f"the proxy exited with status {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise BenchError(f"the proxy did not answer {url} within 60 s (log: {log})")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def add_upstream_argument(parser: argparse.ArgumentParser, may: str) -> None:
    """`--upstream ADMIN_DSN`: the server a benchmark builds its stage on, and what its role
    `may` do there."""
    parser.add_argument(
        "--upstream",
        default=LOCAL_ADMIN_DSN,
        metavar="ADMIN_DSN",
        help=f"a server where this role may {may} (default: %(default)s)",
    )
