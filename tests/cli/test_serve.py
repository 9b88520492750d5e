"""`palata-proxy serve` as a real process: starts, answers, stops cleanly; refuses bad set-ups."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from proxy.provision.catalog_trigger import install_catalog_trigger
from tests.cli.process import get_json, run_cli, running_cli, unused_port, wait_for_http
from tests.support import REPO


def audit_section(folder: Path) -> str:
    """An audit key (a test's, public) and a spool in the test's own folder."""
    return f'[audit]\nkey = "{TEST_AUDIT_KEY}"\nspool_dir = "{folder / "spool"}"\n'


TEST_AUDIT_KEY = "a-test-audit-key-that-is-not-secret-0123"


def write_config(folder: Path, instance: str) -> Path:
    path = folder / f"{instance}.toml"
    path.write_text(
        f'[proxy]\ninstance = "{instance}"\n[policies]\ndir = "{REPO / "policies"}"\n'
        + audit_section(folder),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path, "test-1")


def test_serve_answers_and_stops_on_ctrl_c(fresh_dsn: str, config: Path, tmp_path: Path) -> None:
    port = unused_port()
    args = ["serve", "--config", str(config), "--upstream", fresh_dsn, "--http-port", str(port)]
    with running_cli(args, tmp_path / "serve.log") as process:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process, timeout=30)
        status, body = get_json(f"http://127.0.0.1:{port}/readyz")
        assert status == 200, body
        status, body = get_json(f"http://127.0.0.1:{port}/healthz")
        assert json.loads(body)["instance"] == "test-1"
    assert process.returncode == 0, (tmp_path / "serve.log").read_text()


async def _as_admin(dsn: str, work: Callable[[Any], Awaitable[object]]) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await work(conn)
    finally:
        await conn.close()


def _wait_for_log(log: Path, text: str, process: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        assert process.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, f"no '{text}' in: {log.read_text(errors='replace')}"
        time.sleep(0.05)


def test_serve_reloads_the_catalogue_when_the_schema_changes(
    fresh_dsn: str, tmp_path: Path
) -> None:
    config = tmp_path / "proxy.toml"
    config.write_text(
        f'[upstream]\ncatalog_check_interval_s = 3600\n[policies]\ndir = "{REPO / "policies"}"\n'
        + audit_section(tmp_path),
        encoding="utf-8",
    )
    asyncio.run(_as_admin(fresh_dsn, install_catalog_trigger))
    port = unused_port()
    args = ["serve", "--config", str(config), "--upstream", fresh_dsn, "--http-port", str(port)]
    log = tmp_path / "serve.log"
    with running_cli(args, log) as process:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process, timeout=30)
        _wait_for_log(log, "listening for schema changes", process, timeout=30)
        create = "CREATE TABLE appeared_later (id int, secret text)"
        asyncio.run(_as_admin(fresh_dsn, lambda conn: conn.execute(create)))
        _wait_for_log(log, "catalogue snapshot reloaded after a schema change", process, 30)
    assert process.returncode == 0, log.read_text()
    assert "Traceback" not in log.read_text()


@pytest.mark.parametrize(
    ("args", "status", "expected"),
    [
        pytest.param(
            ["serve", "--config", "/nonexistent.toml"], 2, "does not exist", id="missing-config"
        ),
        pytest.param(
            ["serve", "--config", "{config}"], 2, "upstream.dsn is required", id="no-upstream"
        ),
        pytest.param(
            ["serve", "--config", "{config}", "--upstream", "mysql://x"],
            2,
            "upstream.dsn (command line)",
            id="bad-upstream",
        ),
        pytest.param(
            ["serve", "--config", "{config}", "--upstream", "{dead}"],
            3,
            "cannot connect to the upstream database",
            id="dead-upstream",
        ),
        pytest.param(
            ["serve", "--config", "{config}", "--upstream", "{dead}", "--pg-port", "0"],
            2,
            "pgwire.port (command line)",
            id="pgwire-port-zero",
        ),
        pytest.param(
            ["serve", "--config", "{config}", "--upstream", "{dead}", "--http-port", "0"],
            2,
            "http.port (command line)",
            id="port-zero",
        ),
    ],
)
def test_serve_refuses_bad_setups(
    config: Path, args: list[str], status: int, expected: str
) -> None:
    dead = f"postgresql://postgres@127.0.0.1:{unused_port()}/postgres"
    filled = [a.format(config=config, dead=dead) for a in args]
    result = run_cli(filled)
    assert result.returncode == status, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_the_public_demo_tokens(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    demo_file = REPO / "policies" / "demo" / "principals.toml"
    (policies / "principals.toml").write_text(demo_file.read_text(encoding="utf-8"))
    config = tmp_path / "proxy.toml"
    config.write_text('[policies]\ndir = "policies"\n', encoding="utf-8")
    dead = f"postgresql://postgres@127.0.0.1:{unused_port()}/postgres"
    result = run_cli(["serve", "--config", str(config), "--upstream", dead])
    assert result.returncode == 2
    assert "uses a public demo token" in result.stderr


def test_port_in_use_is_a_clear_error(fresh_dsn: str, config: Path, tmp_path: Path) -> None:
    port = unused_port()
    args = ["serve", "--config", str(config), "--upstream", fresh_dsn, "--http-port", str(port)]
    with running_cli(args, tmp_path / "first.log") as first:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", first, timeout=30)
        other = write_config(tmp_path, "test-2")  # an instance of its own: its own audit chain
        second = run_cli([*args[:2], str(other), *args[3:]])
    assert second.returncode == 2
    assert f"http.port {port} on 127.0.0.1 is already in use" in second.stderr


ENTRY_POINTS = {
    "module": [sys.executable, "-m", "proxy"],
    "script": [str(Path(sys.executable).with_name("palata-proxy"))],
}


@pytest.mark.parametrize("command", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())
def test_both_entry_points_list_the_subcommands(command: list[str]) -> None:
    result = subprocess.run([*command, "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    for sub in ("serve", "demo", "generate"):
        assert sub in result.stdout
