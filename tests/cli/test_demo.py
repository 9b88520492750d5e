"""`palata-proxy demo` end to end: embedded PostgreSQL, synthetic data, proxy, Ctrl-C, reuse."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psutil

from tests.cli.process import get_json, running_cli, unused_port, wait_for_http

DEBTORS = 300


def postgres_processes_for(data_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(attrs=["name", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if process.info["name"] == "postgres" and str(data_dir) in cmdline:
            found.append(process)
    return found


def run_demo_once(data_dir: Path, log: Path) -> tuple[str, float]:
    port = unused_port()
    args = [
        "demo",
        "--http-port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--debtors",
        str(DEBTORS),
    ]
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with running_cli(args, log) as process:
        wait_for_http(f"{base}/healthz", process, timeout=120)
        ready_after = time.monotonic() - started
        assert get_json(f"{base}/readyz")[0] == 200
        status, body = get_json(f"{base}/v1/whoami", token="palata-demo-collector")
        assert status == 200
        assert json.loads(body)["principal"] == "collector"
        assert postgres_processes_for(data_dir), "the embedded server should be running"
    assert process.returncode == 0, log.read_text()
    return log.read_text(), ready_after


def test_demo_starts_prints_what_to_try_and_stops_cleanly(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    output, _ = run_demo_once(data_dir, tmp_path / "first.log")
    assert "Building the synthetic Palata database" in output
    assert f"{DEBTORS:,} debtors" in output
    for token in (
        "palata-demo-collector",
        "palata-demo-hr",
        "palata-demo-dpo",
        "palata-demo-security",
    ):
        assert token in output
    assert "curl -s http://127.0.0.1:" in output and "/v1/query" in output
    assert "Stopped the proxy and the embedded PostgreSQL." in output
    assert not postgres_processes_for(data_dir), "Ctrl-C must stop the embedded server"

    again, _ = run_demo_once(data_dir, tmp_path / "second.log")
    assert "Building the synthetic Palata database" not in again
    assert "(reused)" in again
    assert not postgres_processes_for(data_dir)
