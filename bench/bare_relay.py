"""A bare TCP relay: the ceiling of a single-event-loop Python relay, for `bench.pgbench_door` to
set the wire door against.

It stands where the door stands, between pgbench and PostgreSQL, and does the least any relay
must: for each client it opens its own upstream connection and copies bytes both ways,
unchanged, until either side closes. No parsing, no TLS, no authentication of its own (the
server's login passes through it), no audit. It uses asyncio's protocols and transports, the
cheapest way to move bytes on one stdlib event loop, and pauses a side's reading while the
other side's buffer is full. It prints one line, `listening on HOST:PORT`, once it accepts;
SIGINT or SIGTERM stops it. Run by `bench.pgbench_door`:
`python -m bench.bare_relay --listen-port N --upstream-host H --upstream-port P`.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Coroutine
from typing import Any, cast


class Half(asyncio.Protocol):
    """One socket of a relayed pair: what it reads is written, unchanged, to the other one."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.peer: Half | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        assert self.peer is not None and self.peer.transport is not None  # linked before reading
        self.peer.transport.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()

    # Flow control: while this side's send buffer is full, stop reading what feeds it.
    def pause_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.resume_reading()


class ClientHalf(Half):
    """The client's socket: it reads nothing until its upstream connection is open."""

    def __init__(self, relay: Relay) -> None:
        super().__init__()
        self.relay = relay

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        assert self.transport is not None
        self.transport.pause_reading()  # the startup packet waits in the kernel meanwhile
        self.relay.spawn(self.open_upstream(), "open upstream")

    async def open_upstream(self) -> None:
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        try:
            _, upstream = await loop.create_connection(Half, self.relay.host, self.relay.port)
        except OSError as exc:
            print(f"bare_relay: upstream connection failed: {exc}", file=sys.stderr, flush=True)
            self.transport.close()
            return
        if self.transport.is_closing():  # the client left while we connected
            assert upstream.transport is not None
            upstream.transport.close()
            return
        self.peer, upstream.peer = upstream, self
        self.transport.resume_reading()


class Relay:
    """The listening side: a `ClientHalf` per accepted client; its tasks kept referenced."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


async def serve(options: argparse.Namespace) -> None:
    relay = Relay(options.upstream_host, options.upstream_port)
    loop = asyncio.get_running_loop()
    host = options.listen_host
    stop = asyncio.Event()
    # set here, not inherited: a process started in the background may have SIGINT ignored
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    server = await loop.create_server(lambda: ClientHalf(relay), host, options.listen_port)
    async with server:
        print(f"listening on {host}:{options.listen_port}", flush=True)
        await stop.wait()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen-host", default="127.0.0.1")
    parser.add_argument("--listen-port", type=int, required=True)
    parser.add_argument("--upstream-host", default="127.0.0.1")
    parser.add_argument("--upstream-port", type=int, default=5432)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    asyncio.run(serve(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
