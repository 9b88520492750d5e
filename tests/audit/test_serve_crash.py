"""A proxy killed abruptly mid-load: after a restart, every statement it served is on record
and the chain verifies. The red-team fixture behind a real `palata-proxy serve`."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest

from tests.cli.process import post_json, run_cli, running_cli, unused_port, wait_for_http
from tests.conftest import new_database
from tests.redteam.corpus import SECRETS, load_fixture_schema
from tests.support import REPO

CONFIG = REPO / "tests" / "redteam" / "proxy.toml"
LOAD_SECONDS = 2.0
CLIENTS = 8


@pytest.fixture(scope="module")
def dsn(admin_dsn: str) -> Iterator[str]:
    with new_database(admin_dsn, "serve_crash") as fresh:
        asyncio.run(_load(fresh))
        yield fresh


async def _load(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await load_fixture_schema(conn)
    finally:
        await conn.close()


def config_in(folder: Path) -> Path:
    path = folder / "proxy.toml"
    path.write_text(
        CONFIG.read_text(encoding="utf-8")
        .replace('dir = "policies"', f'dir = "{CONFIG.parent / "policies"}"')
        .replace('model = "../../models.conf"', f'model = "{REPO / "models.conf"}"')
        .replace("[audit]", f'[audit]\nspool_dir = "{folder / "spool"}"'),
        encoding="utf-8",
    )
    return path


def drive(url: str, stop: threading.Event, served: list[str], client: int) -> None:
    """Queries until stopped or the proxy is gone; the audit ids of what was served."""
    sql = "SELECT id, iin, notes FROM debtors WHERE id = $1"
    n = 0
    while not stop.is_set():
        n += 1
        try:
            status, body = post_json(
                f"{url}/v1/query", {"sql": sql, "params": [1 + (n + client) % 120]}, SECRETS["dpo"]
            )
        except OSError:  # the proxy was killed: nothing more is served
            return
        if status == 200:
            assert isinstance(body, dict)
            served.append(body["audit_id"])


async def recorded(dsn: str, ids: list[str]) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT id FROM palata_audit.records WHERE id = ANY($1::text[])", ids
        )
        return {row["id"] for row in rows}
    finally:
        await conn.close()


def test_no_served_statement_goes_unrecorded_when_the_proxy_is_killed(
    dsn: str, tmp_path: Path
) -> None:
    config = config_in(tmp_path)
    port = unused_port()
    url = f"http://127.0.0.1:{port}"
    args = ["serve", "--config", str(config), "--upstream", dsn, "--http-port", str(port)]
    served: list[str] = []
    stop = threading.Event()
    with running_cli(args, tmp_path / "first.log", stop=signal.SIGKILL) as process:
        wait_for_http(f"{url}/healthz", process, timeout=60)
        with ThreadPoolExecutor(CLIENTS) as pool:
            clients = [pool.submit(drive, url, stop, served, i) for i in range(CLIENTS)]
            time.sleep(LOAD_SECONDS)
            process.kill()  # mid-load, no clean-up of any kind
            process.wait()
            stop.set()
            for client in clients:
                client.result()
    assert len(served) > 50, "the load must have been served for a while"

    with running_cli(args, tmp_path / "second.log") as again:  # replays what was spooled
        wait_for_http(f"{url}/healthz", again, timeout=60)
    assert again.returncode == 0, (tmp_path / "second.log").read_text()

    missing = set(served) - asyncio.run(recorded(dsn, served))
    assert not missing, f"{len(missing)} served statements have no record"
    verified = run_cli(["audit", "verify", "--config", str(config), "--upstream", dsn])
    assert verified.returncode == 0, verified.stdout + verified.stderr
