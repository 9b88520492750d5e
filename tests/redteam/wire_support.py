"""A raw wire client for the red-team attacks: sockets, the project's codecs, and nothing else.

`RawWire` logs in to the wire door as a principal (SCRAM through `UpstreamLogin`, which speaks
the client side of the exchange) and then sends whatever bytes a test builds, well formed or
not. It keeps every byte it received, so a test can look for a canary in the lot, and reads
frames up to a ReadyForQuery or to the connection's end. `door_is_up` is the after-check every
attack ends with: a fresh asyncpg connection through the door still runs `SELECT 1`.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import asyncpg

from proxy.pgwire import backend
from proxy.pgwire.auth import UpstreamLogin
from proxy.pgwire.messages import Frame, FrameReader, frame
from proxy.pgwire.startup import encode_startup_message
from tests.redteam.corpus import SECRETS

DATABASE = "redteam"
TIMEOUT_S = 15.0


class WireClosed(Exception):
    """The door closed the connection before what the test waited for arrived."""


@dataclass
class RawWire:
    """One raw client connection to the wire door."""

    sock: socket.socket
    received: bytearray = field(default_factory=bytearray)
    frames: FrameReader = field(default_factory=FrameReader)
    pending: list[Frame] = field(default_factory=list)
    backend_key: tuple[int, bytes] | None = None

    @classmethod
    def open(cls, port: int) -> RawWire:
        sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
        return cls(sock)

    @classmethod
    def login(cls, port: int, principal: str, extra: Mapping[str, str] | None = None) -> RawWire:
        """A connection logged in as `principal` with its published password, at ReadyForQuery."""
        wire = cls.open(port)
        parameters = {"user": principal, "database": DATABASE, **(extra or {})}
        wire.send(encode_startup_message(parameters))
        scram = UpstreamLogin(principal, SECRETS[principal])
        while True:
            got = wire.next_frame()
            if got.kind == b"R":
                answer = scram.feed(got.payload)
                if answer is not None:
                    wire.send(answer)
            elif got.kind == b"K":
                wire.backend_key = backend.decode_backend_key_data(got.payload)
            elif got.kind == b"E":
                raise AssertionError(f"login refused: {error_fields(got)}")
            elif got.kind == b"Z":
                assert scram.authenticated
                return wire

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _receive(self) -> bytes:
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        self.received += data
        return data

    def next_frame(self) -> Frame:
        while not self.pending:
            data = self._receive()
            if not data:
                raise WireClosed(f"closed; received so far: {bytes(self.received[-400:])!r}")
            self.pending.extend(self.frames.feed(data))
        return self.pending.pop(0)

    def until_ready(self) -> list[Frame]:
        """Every frame up to and including the next ReadyForQuery."""
        out: list[Frame] = []
        while not out or out[-1].kind != b"Z":
            out.append(self.next_frame())
        return out

    def until_closed(self) -> list[Frame]:
        """Every frame until the door closes the connection (it must, within the timeout)."""
        out = list(self.pending)
        self.pending.clear()
        while data := self._receive():
            out.extend(self.frames.feed(data))
        return out

    def quiet_for(self, seconds: float) -> bytes:
        """Whatever arrives within `seconds` (b"" if nothing did and the socket is still open)."""
        self.sock.settimeout(seconds)
        got = bytearray()
        try:
            while data := self._receive():
                got += data
        except TimeoutError:
            pass
        finally:
            self.sock.settimeout(TIMEOUT_S)
        return bytes(got)

    def query(self, sql: str) -> list[Frame]:
        self.send(frame(b"Q", sql.encode() + b"\0"))
        return self.until_ready()

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawWire:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def kinds(frames: Sequence[Frame]) -> bytes:
    """The type bytes of frames in order, e.g. b"12DCZ" (easy to compare and to read)."""
    return b"".join(f.kind for f in frames)


def error_fields(got: Frame) -> dict[str, str]:
    assert got.kind == b"E", got
    return backend.decode_fields(got.payload)


def errors(frames: Sequence[Frame]) -> list[dict[str, str]]:
    return [error_fields(f) for f in frames if f.kind == b"E"]


def rows(frames: Sequence[Frame]) -> list[tuple[str | None, ...]]:
    """The DataRows of frames as text."""
    return [
        tuple(None if v is None else v.decode() for v in backend.decode_data_row(f.payload))
        for f in frames
        if f.kind == b"D"
    ]


def status(frames: Sequence[Frame]) -> bytes:
    last = frames[-1]
    assert last.kind == b"Z", frames
    return backend.decode_ready_for_query(last.payload)


def tags(frames: Sequence[Frame]) -> list[str]:
    return [backend.decode_command_complete(f.payload).command for f in frames if f.kind == b"C"]


def function_call(oid: int, args: Sequence[bytes]) -> bytes:
    """A FunctionCall ('F') with text-format arguments and a text result."""
    body = [struct.pack("!IHhH", oid, 1, 0, len(args))]
    body += [struct.pack("!i", len(a)) + a for a in args]
    body.append(struct.pack("!h", 0))
    return frame(b"F", b"".join(body))


async def _select_one(dsn: str) -> object:
    conn = await asyncpg.connect(dsn, timeout=TIMEOUT_S)
    try:
        return await conn.fetchval("SELECT 1")
    finally:
        await conn.close()


def door_is_up(dsn: str) -> bool:
    """Whether a fresh asyncpg connection through the door runs `SELECT 1` (a moment is allowed
    for a connection the door is still tearing down)."""
    deadline = time.monotonic() + 5
    while True:
        try:
            return asyncio.run(_select_one(dsn)) == 1
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
