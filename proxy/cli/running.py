"""Running the HTTP door until the operator stops it (Ctrl-C, SIGTERM, SIGHUP), then cleaning up."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiohttp import web

from proxy.config import Settings
from proxy.errors import ConfigError

log = logging.getLogger(__name__)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


async def serve_http_until_stopped(
    app: web.Application, settings: Settings, on_ready: Callable[[], None]
) -> None:
    host, port = settings.http.host, settings.http.port
    async with stop_signals() as stop:
        runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=settings.http.shutdown_timeout_s
        )
        await runner.setup()
        try:
            await _listen(runner, host, port)
            on_ready()
            await stop.wait()
            log.info("stopping: closing the HTTP door")
        finally:
            await runner.cleanup()


@asynccontextmanager
async def stop_signals() -> AsyncIterator[asyncio.Event]:
    """An event set by the first stop signal; further signals are absorbed until cleanup ends."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)


async def _listen(runner: web.AppRunner, host: str, port: int) -> None:
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"http.port {port} on {host} is already in use: choose another port "
                "with --http-port or PALATA_HTTP_PORT"
            ) from None
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
