"""Running the HTTP door until the operator stops it (Ctrl-C or SIGTERM), then cleaning up."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
from collections.abc import Callable

from aiohttp import web

from proxy.errors import ConfigError

log = logging.getLogger(__name__)


async def serve_http_until_stopped(
    app: web.Application, host: str, port: int, on_ready: Callable[[], None]
) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(
                    f"http.port {port} on {host} is already in use: choose another port "
                    "with --http-port or PALATA_HTTP_PORT"
                ) from None
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        on_ready()
        await wait_for_stop_signal()
        log.info("stopping: closing the HTTP door")
    finally:
        await runner.cleanup()


async def wait_for_stop_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
