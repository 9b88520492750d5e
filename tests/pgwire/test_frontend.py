"""Client messages: byte-exact round trips and the strict refusals of the server's own decoder."""

from __future__ import annotations

import pytest

from proxy.pgwire.errors import ProtocolViolation
from proxy.pgwire.frontend import (
    Bind,
    Close,
    CopyData,
    CopyDone,
    CopyFail,
    Describe,
    Execute,
    Flush,
    FrontendMessage,
    FunctionCall,
    Parse,
    PasswordPayload,
    Query,
    Sync,
    Terminate,
    decode_frontend,
    decode_password,
    decode_sasl_initial_response,
    encode_sasl_initial_response,
)
from proxy.pgwire.messages import FrameReader

BIND_PAYLOAD = (
    b"p1\x00s1\x00"  # portal, statement
    b"\x00\x01\x00\x01"  # one parameter format: binary
    b"\x00\x02\x00\x00\x00\x04\x00\x00\x00\x2a\xff\xff\xff\xff"  # 2 params: int4 42, NULL
    b"\x00\x01\x00\x01"  # one result format: binary
)
ROUND_TRIPS = [
    (Query("SELECT 1"), b"Q\x00\x00\x00\x0dSELECT 1\x00"),
    (
        Query("SELECT 'қазақ'"),
        b"Q\x00\x00\x00\x18SELECT '\xd2\x9b\xd0\xb0\xd0\xb7\xd0\xb0\xd2\x9b'\x00",
    ),
    (
        Parse("s1", "SELECT $1", (23,)),
        b"P\x00\x00\x00\x17s1\x00SELECT $1\x00\x00\x01\x00\x00\x00\x17",
    ),
    (Parse("", "BEGIN"), b"P\x00\x00\x00\x0d\x00BEGIN\x00\x00\x00"),
    (
        Bind("p1", "s1", (1,), (b"\x00\x00\x00\x2a", None), (1,)),
        b"B\x00\x00\x00\x20" + BIND_PAYLOAD,
    ),
    (Bind("", ""), b"B\x00\x00\x00\x0c\x00\x00\x00\x00\x00\x00\x00\x00"),
    (Describe("S", "s1"), b"D\x00\x00\x00\x08Ss1\x00"),
    (Describe("P", ""), b"D\x00\x00\x00\x06P\x00"),
    (Close("P", "c"), b"C\x00\x00\x00\x07Pc\x00"),
    (Execute("", 0), b"E\x00\x00\x00\x09\x00\x00\x00\x00\x00"),
    (Execute("C_2", 2), b"E\x00\x00\x00\x0cC_2\x00\x00\x00\x00\x02"),
    (Sync(), b"S\x00\x00\x00\x04"),
    (Flush(), b"H\x00\x00\x00\x04"),
    (Terminate(), b"X\x00\x00\x00\x04"),
    (CopyDone(), b"c\x00\x00\x00\x04"),
    (CopyData(b"1\t2\n"), b"d\x00\x00\x00\x081\t2\n"),
    (PasswordPayload(b"secret\x00"), b"p\x00\x00\x00\x0bsecret\x00"),
]
ROUND_TRIP_IDS = [
    "query", "query-cyrillic", "parse-named-typed", "parse-unnamed", "bind-binary-null",
    "bind-empty", "describe-statement", "describe-unnamed-portal", "close-portal",
    "execute-all", "execute-max-rows", "sync", "flush", "terminate", "copy-done", "copy-data",
    "password",
]  # fmt: skip


@pytest.mark.parametrize(("message", "wire"), ROUND_TRIPS, ids=ROUND_TRIP_IDS)
def test_encode_then_decode_is_byte_exact(message: FrontendMessage, wire: bytes) -> None:
    assert message.encode() == wire  # type: ignore[union-attr]  # FunctionCall is never encoded
    (frame,) = FrameReader().feed(wire)
    assert decode_frontend(frame.kind, frame.payload) == message


def test_bind_keeps_its_payload_for_the_relay() -> None:
    bind = Bind.decode(BIND_PAYLOAD)
    assert bind.payload == BIND_PAYLOAD
    assert bind.params == (b"\x00\x00\x00\x2a", None)


def test_repr_hides_sql_and_values() -> None:
    text = repr(Query("SELECT 880101300123")) + repr(Bind("", "", params=(b"880101300123",)))
    assert "880101300123" not in text


@pytest.mark.parametrize(
    ("kind", "payload", "problem"),
    [
        (b"Q", b"SELECT 1", "missing string terminator"),
        (b"Q", b"SELECT 1\x00\x00", "trailing"),
        (b"Q", b"SELECT '\xff'\x00", "invalid UTF-8"),
        (b"P", b"s1\x00SELECT 1\x00", "insufficient data"),
        (b"P", b"s1\x00SELECT 1\x00\x00\x01\x00\x00", "insufficient data"),
        (b"P", b"s\xc0\x00SELECT 1\x00\x00\x00", "invalid UTF-8"),
        (b"B", b"\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00", "format count"),
        (b"B", b"\x00\x00\x00\x01\x00\x02\x00\x00\x00\x00", "unsupported format code"),
        (b"B", b"\x00\x00\x00\x00\x00\x01\xff\xff\xff\xfe\x00\x00", "insufficient data"),
        (b"B", b"\x00\x00\x00\x00\x00\x01\x00\x00\x00\x09ab\x00\x00", "insufficient data"),
        (b"B", b"\x00\x00\x00\x00\x00\x00\x00\x00!", "trailing"),
        (b"D", b"Xs1\x00", "subtype must be S or P"),
        (b"D", b"S", "missing string terminator"),
        (b"C", b"Ps1\x00\x00", "trailing"),
        (b"E", b"\x00\x00\x00", "insufficient data"),
        (b"S", b"\x00", "trailing"),
        (b"H", b"x", "trailing"),
    ],
    ids=[
        "query-no-nul", "query-trailing", "query-bad-utf8", "parse-no-type-count",
        "parse-truncated-oid", "parse-bad-utf8-name", "bind-2-formats-1-param",
        "bind-format-2", "bind-length-minus-2", "bind-value-overruns", "bind-trailing",
        "describe-subtype", "describe-no-name", "close-trailing", "execute-short",
        "sync-with-payload", "flush-with-payload",
    ],
)  # fmt: skip
def test_malformed_messages_are_refused(kind: bytes, payload: bytes, problem: str) -> None:
    with pytest.raises(ProtocolViolation, match=problem) as caught:
        decode_frontend(kind, payload)
    assert caught.value.sqlstate == "08P01"


@pytest.mark.parametrize("kind", [b"Z", b"\x00", b"v"], ids=["backend-type", "nul", "unknown"])
def test_unknown_type_is_refused(kind: bytes) -> None:
    with pytest.raises(ProtocolViolation, match="invalid frontend message type"):
        decode_frontend(kind, b"")


def test_function_call_and_copy_fail_are_recognised() -> None:
    assert decode_frontend(b"F", b"\x00\x00\x0b\xb8\x00\x00") == FunctionCall()
    assert decode_frontend(b"f", b"stop\x00") == CopyFail("stop")


@pytest.mark.parametrize(
    ("payload", "mechanism", "data"),
    [
        (b"SCRAM-SHA-256\x00\x00\x00\x00\x03n,,", "SCRAM-SHA-256", b"n,,"),
        (b"SCRAM-SHA-256\x00\xff\xff\xff\xff", "SCRAM-SHA-256", b""),
    ],
    ids=["with-data", "no-data"],
)
def test_sasl_initial_response(payload: bytes, mechanism: str, data: bytes) -> None:
    assert decode_sasl_initial_response(payload) == (mechanism, data)


def test_sasl_initial_response_encoding_and_refusals() -> None:
    wire = encode_sasl_initial_response("SCRAM-SHA-256", b"n,,")
    assert wire == b"p\x00\x00\x00\x19SCRAM-SHA-256\x00\x00\x00\x00\x03n,,"
    with pytest.raises(ProtocolViolation):
        decode_sasl_initial_response(b"SCRAM-SHA-256\x00\x00\x00\x00\x05n,,")
    with pytest.raises(ProtocolViolation):
        decode_sasl_initial_response(b"SCRAM-SHA-256\x00\x00\x00\x00\x01n,,")


def test_password_message() -> None:
    assert decode_password(b"md5abc\x00") == "md5abc"
    with pytest.raises(ProtocolViolation):
        decode_password(b"secret")
