"""Messages a client sends after the startup packet: decoded strictly, encoded for the upstream.

The session reads every client frame through `decode_frontend` before anything is relayed: SQL
arrives only in Query and Parse, which go to the analyser, while Bind, Describe, Execute and Close
only name statements and portals. The same classes encode the rewritten messages the proxy sends
upstream. Fields that can carry personal data (SQL text, parameter values, password payloads) are
kept out of `repr`, so a logged message never shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Self

from proxy.pgwire.errors import ProtocolViolation
from proxy.pgwire.messages import INT16, INT32, UINT16, UINT32, PayloadReader, cstring, frame


@dataclass(frozen=True, slots=True)
class Query:
    kind: ClassVar[bytes] = b"Q"
    sql: str = field(repr=False)

    @classmethod
    def decode(cls, payload: bytes | memoryview) -> Query:
        reader = PayloadReader(payload, "Query")
        sql = reader.cstring()
        reader.end()
        return cls(sql)

    def encode(self) -> bytes:
        return frame(self.kind, cstring(self.sql))


@dataclass(frozen=True, slots=True)
class Parse:
    kind: ClassVar[bytes] = b"P"
    name: str
    sql: str = field(repr=False)
    param_types: tuple[int, ...] = ()

    @classmethod
    def decode(cls, payload: bytes | memoryview) -> Parse:
        reader = PayloadReader(payload, "Parse")
        name, sql = reader.cstring(), reader.cstring()
        types = tuple(reader.uint32() for _ in range(reader.uint16()))
        reader.end()
        return cls(name, sql, types)

    def encode(self) -> bytes:
        types = b"".join(UINT32.pack(oid) for oid in self.param_types)
        body = cstring(self.name) + cstring(self.sql) + UINT16.pack(len(self.param_types)) + types
        return frame(self.kind, body)


@dataclass(frozen=True, slots=True)
class Bind:
    """Bind keeps its payload: the proxy relays it unchanged and decodes it only to inspect."""

    kind: ClassVar[bytes] = b"B"
    portal: str
    statement: str
    param_formats: tuple[int, ...] = ()
    params: tuple[bytes | None, ...] = field(default=(), repr=False)
    result_formats: tuple[int, ...] = ()
    payload: bytes = field(default=b"", repr=False, compare=False)

    @classmethod
    def decode(cls, payload: bytes | memoryview) -> Bind:
        reader = PayloadReader(payload, "Bind")
        portal, statement = reader.cstring(), reader.cstring()
        param_formats = _formats(reader)
        params = tuple(_param_value(reader) for _ in range(reader.uint16()))
        if len(param_formats) not in (0, 1, len(params)):
            raise reader.fail("parameter format count does not match the parameters")
        result_formats = _formats(reader)
        reader.end()
        return cls(portal, statement, param_formats, params, result_formats, bytes(payload))

    def encode(self) -> bytes:
        body = [cstring(self.portal), cstring(self.statement), _pack_formats(self.param_formats)]
        body.append(UINT16.pack(len(self.params)))
        for value in self.params:
            body.append(INT32.pack(-1) if value is None else INT32.pack(len(value)) + value)
        body.append(_pack_formats(self.result_formats))
        return frame(self.kind, b"".join(body))


def _formats(reader: PayloadReader) -> tuple[int, ...]:
    formats = tuple(reader.int16() for _ in range(reader.uint16()))
    if any(code not in (0, 1) for code in formats):
        raise reader.fail("unsupported format code")
    return formats


def _pack_formats(formats: tuple[int, ...]) -> bytes:
    return UINT16.pack(len(formats)) + b"".join(INT16.pack(code) for code in formats)


def _param_value(reader: PayloadReader) -> bytes | None:
    length = reader.int32()
    return None if length == -1 else reader.take(length)


@dataclass(frozen=True, slots=True)
class _Targeted:
    """A message naming a prepared statement (`target` 'S') or a portal ('P'): Describe and
    Close are framed alike."""

    kind: ClassVar[bytes]
    target: str
    name: str

    @classmethod
    def decode(cls, payload: bytes | memoryview) -> Self:
        reader = PayloadReader(payload, cls.__name__)
        target = reader.byte()
        if target not in (b"S", b"P"):
            raise reader.fail("subtype must be S or P")
        name = reader.cstring()
        reader.end()
        return cls(target.decode(), name)

    def encode(self) -> bytes:
        return frame(self.kind, _pack_target(self.target) + cstring(self.name))


@dataclass(frozen=True, slots=True)
class Describe(_Targeted):
    """Describe a prepared statement (`target` 'S') or a portal ('P')."""

    kind: ClassVar[bytes] = b"D"


@dataclass(frozen=True, slots=True)
class Close(_Targeted):
    """Close a prepared statement (`target` 'S') or a portal ('P')."""

    kind: ClassVar[bytes] = b"C"


def _pack_target(target: str) -> bytes:
    if target not in ("S", "P"):
        raise ProtocolViolation("a Describe or Close target must be S or P")
    return target.encode()


@dataclass(frozen=True, slots=True)
class Execute:
    kind: ClassVar[bytes] = b"E"
    portal: str
    max_rows: int = 0  # zero (or less) means all rows

    @classmethod
    def decode(cls, payload: bytes | memoryview) -> Execute:
        reader = PayloadReader(payload, "Execute")
        portal, max_rows = reader.cstring(), reader.int32()
        reader.end()
        return cls(portal, max_rows)

    def encode(self) -> bytes:
        return frame(self.kind, cstring(self.portal) + INT32.pack(self.max_rows))


@dataclass(frozen=True, slots=True)
class _Empty:
    """A message with no payload; a non-empty one is refused like `pq_getmsgend` would."""

    kind: ClassVar[bytes] = b""
    name: ClassVar[str] = ""

    @classmethod
    def decode(cls, payload: bytes | memoryview) -> Self:
        PayloadReader(payload, cls.name).end()
        return cls()

    def encode(self) -> bytes:
        return frame(self.kind)


@dataclass(frozen=True, slots=True)
class Sync(_Empty):
    kind: ClassVar[bytes] = b"S"
    name: ClassVar[str] = "Sync"


@dataclass(frozen=True, slots=True)
class Flush(_Empty):
    kind: ClassVar[bytes] = b"H"
    name: ClassVar[str] = "Flush"


@dataclass(frozen=True, slots=True)
class Terminate(_Empty):
    kind: ClassVar[bytes] = b"X"
    name: ClassVar[str] = "Terminate"


@dataclass(frozen=True, slots=True)
class CopyDone(_Empty):
    kind: ClassVar[bytes] = b"c"
    name: ClassVar[str] = "CopyDone"


@dataclass(frozen=True, slots=True)
class PasswordPayload:
    """PasswordMessage, SASLInitialResponse or SASLResponse: one type byte, told apart by state."""

    kind: ClassVar[bytes] = b"p"
    payload: bytes = field(repr=False)

    @classmethod
    def decode(cls, payload: bytes | memoryview) -> PasswordPayload:
        return cls(bytes(payload))

    def encode(self) -> bytes:
        return frame(self.kind, self.payload)


def decode_sasl_initial_response(payload: bytes) -> tuple[str, bytes]:
    """The mechanism the client chose and its first message (empty if it sent none)."""
    reader = PayloadReader(payload, "SASLInitialResponse")
    mechanism = reader.cstring()
    length = reader.int32()
    data = b"" if length == -1 else reader.take(length)
    reader.end()
    return mechanism, data


def encode_sasl_initial_response(mechanism: str, data: bytes) -> bytes:
    return frame(b"p", cstring(mechanism) + INT32.pack(len(data)) + data)


def decode_password(payload: bytes) -> str:
    """The cleartext (or `md5…`) password of a PasswordMessage."""
    reader = PayloadReader(payload, "PasswordMessage")
    password = reader.cstring()
    reader.end()
    return password


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """Recognised only to be refused: it calls a function by OID, with no SQL to analyse."""

    kind: ClassVar[bytes] = b"F"

    @classmethod
    def decode(cls, payload: bytes | memoryview) -> FunctionCall:
        return cls()


@dataclass(frozen=True, slots=True)
class CopyData:
    kind: ClassVar[bytes] = b"d"
    data: bytes = field(repr=False)

    @classmethod
    def decode(cls, payload: bytes | memoryview) -> CopyData:
        return cls(bytes(payload))

    def encode(self) -> bytes:
        return frame(self.kind, self.data)


@dataclass(frozen=True, slots=True)
class CopyFail:
    kind: ClassVar[bytes] = b"f"
    reason: str = field(repr=False)

    @classmethod
    def decode(cls, payload: bytes | memoryview) -> CopyFail:
        reader = PayloadReader(payload, "CopyFail")
        reason = reader.cstring()
        reader.end()
        return cls(reason)


FrontendMessage = (
    Query | Parse | Bind | Describe | Close | Execute | Sync | Flush | Terminate
    | PasswordPayload | FunctionCall | CopyData | CopyDone | CopyFail
)  # fmt: skip
MESSAGE_TYPES: tuple[type[FrontendMessage], ...] = (
    *(Query, Parse, Bind, Describe, Close, Execute, Sync, Flush, Terminate),
    *(PasswordPayload, FunctionCall, CopyData, CopyDone, CopyFail),
)
DECODERS = {cls.kind: cls for cls in MESSAGE_TYPES}


def decode_frontend(kind: bytes, payload: bytes | memoryview) -> FrontendMessage:
    """The decoded message; an unknown type byte is a protocol violation, as in the server."""
    decoder = DECODERS.get(kind)
    if decoder is None:
        raise ProtocolViolation(f"invalid frontend message type {kind!r}")
    return decoder.decode(payload)
