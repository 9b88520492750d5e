"""What the subcommands share: logging set-up and checks on settings they cannot honour."""

from __future__ import annotations

import logging
import sys

from proxy.config import Settings
from proxy.errors import ConfigError


def setup_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.proxy.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def refuse_unbuilt_pgwire(settings: Settings) -> None:
    """The wire-protocol door is not in this version: refuse a port for it rather than ignore it."""
    if settings.pgwire.port is not None:
        raise ConfigError(
            f"pgwire.port is set ({settings.pgwire.port}), but this version has no PostgreSQL "
            "wire-protocol door yet: remove --pg-port / PALATA_PGWIRE_PORT / [pgwire] port "
            "and use the HTTP door"
        )
