"""Running `palata-proxy` as a real process, as an operator would, and waiting on its HTTP door."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support import REPO, unused_port

__all__ = ["get_json", "post_json", "run_cli", "running_cli", "unused_port", "wait_for_http"]


def run_cli(
    args: Sequence[str], timeout: float = 60, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `palata-proxy ARGS` to its end; `stdin` is its input (none when not given)."""
    return subprocess.run(
        [sys.executable, "-m", "proxy", *args],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_clean_env(),
    )


@contextmanager
def running_cli(
    args: Sequence[str], log: Path, stop: signal.Signals = signal.SIGINT
) -> Iterator[subprocess.Popen[str]]:
    """Start the command with output to `log`; on exit, send it `stop` and wait for it to end."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "proxy", *args],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            env=_clean_env(),
        )
        process.log_path = log  # type: ignore[attr-defined]  # read by wait_for_http on failure
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(stop)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def wait_for_http(url: str, process: subprocess.Popen[str], timeout: float) -> float:
    """Seconds until `url` answered 200; fails if the process exits or time runs out."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise AssertionError(
                f"the process exited with status {process.returncode}:\n{_output_of(process)}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s:\n{_output_of(process)}")


def _output_of(process: subprocess.Popen[str]) -> str:
    log = getattr(process, "log_path", None)
    return log.read_text(errors="replace")[-3000:] if log is not None else "(no log)"


def get_json(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def post_json(url: str, body: object, token: str) -> tuple[int, object]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _clean_env() -> dict[str, str]:
    # the proxy refuses unknown PALATA_ variables; tests must not inherit a developer's settings
    return {k: v for k, v in os.environ.items() if not k.startswith("PALATA_")}
