"""Framing of the wire protocol: bytes in, whole messages out, and the primitives of every codec.

This is the first thing client and upstream bytes meet after the socket. `FrameReader` cuts the
typed stream into frames without decoding them, so the relay can forward a DataRow by reference;
`StartupFrameReader` cuts the one untyped first packet. `PayloadReader` is the strict cursor the
decoders in `frontend`, `backend` and `startup` share: it refuses a missing NUL terminator, invalid
UTF-8 and trailing bytes the way the server's `pq_getmsgend` does, so the proxy never reads a
message differently from PostgreSQL.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from proxy.pgwire.errors import ProtocolViolation

DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024
MAX_STARTUP_PACKET = 10_000  # the server's own MAX_STARTUP_PACKET_LENGTH
MAX_LOGIN_MESSAGE = 65_535  # the server's PG_MAX_AUTH_TOKEN_LENGTH: SASL messages are small
HEADER = struct.Struct("!ci")
LENGTH = struct.Struct("!i")
INT16 = struct.Struct("!h")
UINT16 = struct.Struct("!H")
INT32 = struct.Struct("!i")
UINT32 = struct.Struct("!I")


class Frame(NamedTuple):
    """One typed message: its type byte and its whole wire form (type, length, payload).

    A named tuple rather than a dataclass because one is built per DataRow on the hot path.
    """

    kind: bytes
    raw: bytes

    @property
    def payload(self) -> memoryview:
        """The payload without copying it; decoders copy only what they decode."""
        return memoryview(self.raw)[5:]


class FrameReader:
    """Incremental framer of typed messages; one per direction of one connection.

    A length is checked as soon as its header arrives, so an oversize message is refused before
    its body is buffered. After a `ProtocolViolation` the stream has no trustworthy boundary left
    and the connection must be closed.
    """

    def __init__(self, max_message: int = DEFAULT_MAX_MESSAGE) -> None:
        self._max = max_message
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Frame]:
        """Every frame completed by `data`, in order; an incomplete tail stays buffered."""
        buffer = self._buffer
        buffer += data
        frames: list[Frame] = []
        start, size = 0, len(buffer)
        # one copy per frame, straight out of the buffer; the view is released before trimming
        with memoryview(buffer) as view:
            while size - start >= 5:
                kind, length = HEADER.unpack_from(view, start)
                if length < 4 or length > self._max:
                    raise ProtocolViolation(f"invalid message length for message type {kind!r}")
                end = start + 1 + length
                if end > size:
                    break
                frames.append(Frame(kind, bytes(view[start:end])))
                start = end
        del buffer[:start]
        return frames

    def allow(self, max_message: int) -> None:
        """Change the largest message accepted from now on (larger once a client logged in)."""
        self._max = max_message

    @property
    def buffered(self) -> int:
        """Bytes received but not yet framed."""
        return len(self._buffer)


class StartupFrameReader:
    """Framer of the untyped first packet (SSLRequest, CancelRequest, StartupMessage).

    Whatever follows the packet stays in `rest()`: after an SSLRequest it must be empty, since
    plaintext sent ahead of the TLS handshake is the buffer-stuffing attack of CVE-2021-23214.
    """

    def __init__(self, max_packet: int = MAX_STARTUP_PACKET) -> None:
        self._max = max_packet
        self._buffer = bytearray()

    def feed(self, data: bytes) -> bytes | None:
        """The packet's payload (after the length word) once complete, else None."""
        self._buffer += data
        if len(self._buffer) < 4:
            return None
        (length,) = LENGTH.unpack_from(self._buffer)
        if length < 8 or length > self._max:
            raise ProtocolViolation("invalid length of startup packet")
        if len(self._buffer) < length:
            return None
        packet = bytes(self._buffer[4:length])
        del self._buffer[:length]
        return packet

    def rest(self) -> bytes:
        """The bytes received after the packet, handed over and forgotten."""
        rest = bytes(self._buffer)
        self._buffer.clear()
        return rest


def frame(kind: bytes, payload: bytes = b"") -> bytes:
    """The wire form of one typed message."""
    return kind + LENGTH.pack(len(payload) + 4) + payload


def cstring(text: str) -> bytes:
    """A NUL-terminated UTF-8 string; a NUL inside would cut the message short on the peer."""
    if "\0" in text:
        raise ProtocolViolation("a string to send contains a NUL byte")
    return text.encode() + b"\0"


class PayloadReader:
    """A strict cursor over one message payload; `what` names the message in errors."""

    __slots__ = ("_data", "_pos", "what")

    def __init__(self, payload: bytes | memoryview, what: str) -> None:
        self._data = bytes(payload)
        self._pos = 0
        self.what = what

    def fail(self, problem: str) -> ProtocolViolation:
        return ProtocolViolation(f"invalid {self.what} message: {problem}")

    def _unpack(self, fmt: struct.Struct) -> int:
        if self._pos + fmt.size > len(self._data):
            raise self.fail("insufficient data left in message")
        (value,) = fmt.unpack_from(self._data, self._pos)
        self._pos += fmt.size
        return int(value)

    def int16(self) -> int:
        return self._unpack(INT16)

    def uint16(self) -> int:
        return self._unpack(UINT16)

    def int32(self) -> int:
        return self._unpack(INT32)

    def uint32(self) -> int:
        return self._unpack(UINT32)

    def byte(self) -> bytes:
        return self.take(1)

    def take(self, count: int) -> bytes:
        if count < 0 or self._pos + count > len(self._data):
            raise self.fail("insufficient data left in message")
        chunk = self._data[self._pos : self._pos + count]
        self._pos += count
        return chunk

    def rest(self) -> bytes:
        return self.take(len(self._data) - self._pos)

    def raw_cstring(self) -> bytes:
        end = self._data.find(b"\0", self._pos)
        if end < 0:
            raise self.fail("missing string terminator")
        chunk = self._data[self._pos : end]
        self._pos = end + 1
        return chunk

    def cstring(self) -> str:
        """A NUL-terminated string decoded as strict UTF-8 (the only client encoding allowed)."""
        try:
            return self.raw_cstring().decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("invalid UTF-8 in string") from None

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def end(self) -> None:
        """Refuse trailing bytes, as the server's `pq_getmsgend` does."""
        if self._pos != len(self._data):
            raise self.fail("unexpected trailing bytes")
