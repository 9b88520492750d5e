"""A lean HTTP/1.1 client for load generation: kept-alive connections, one request at a time each.

The benchmark's load generator shares the machine's cores with the proxy and PostgreSQL, so its
own cost is subtracted from what the proxy can do. aiohttp's client costs about as much CPU per
request as aiohttp's server; this one writes a request and reads a `Content-Length` response on
a plain asyncio stream, the way asyncpg is a lean client for the direct baseline. It speaks only
what the proxy answers (no chunked bodies, no redirects) and refuses anything else.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from urllib.parse import urlsplit

from bench.harness import BenchError

MAX_HEAD_BYTES = 64 * 1024


class KeepAliveClient:
    """`size` connections to one server; a request takes a free one and gives it back."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self._host = host
        self._port = port
        self._size = size
        self._free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self._all: list[asyncio.StreamWriter] = []

    async def open(self) -> None:
        for _ in range(self._size):
            reader, writer = await asyncio.open_connection(
                self._host, self._port, limit=MAX_HEAD_BYTES
            )
            self._all.append(writer)
            self._free.put_nowait((reader, writer))

    async def close(self) -> None:
        for writer in self._all:
            writer.close()
        for writer in self._all:
            with suppress(OSError):
                await writer.wait_closed()

    async def post_json(
        self, path: str, body: object, headers: Mapping[str, str]
    ) -> tuple[int, bytes]:
        payload = json.dumps(body).encode()
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host}\r\n{head}"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload
        reader, writer = await self._free.get()
        try:
            writer.write(request)
            status, length = _parse_head(await reader.readuntil(b"\r\n\r\n"))
            answer = await reader.readexactly(length)
        except BaseException:
            writer.close()  # a half-read answer would garble the next request on it
            raise
        self._free.put_nowait((reader, writer))
        return status, answer


@asynccontextmanager
async def keep_alive_client(url: str, size: int) -> AsyncIterator[KeepAliveClient]:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname is None or parts.port is None:
        raise BenchError(f"the lean client speaks plain http to host:port, not {url}")
    client = KeepAliveClient(parts.hostname, parts.port, size)
    try:
        await client.open()
        yield client
    finally:
        await client.close()


def _parse_head(head: bytes) -> tuple[int, int]:
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    if not version.startswith("HTTP/1."):
        raise BenchError(f"not an HTTP/1.x answer: {lines[0][:80]!r}")
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding":
            raise BenchError("the lean client does not read chunked answers")
    if length is None:
        raise BenchError("an answer without Content-Length")
    return int(rest.split(" ", 1)[0]), length
