"""Framing: whole frames out of any chunking, lengths checked before bodies are buffered."""

from __future__ import annotations

import pytest

from proxy.pgwire.errors import ProtocolViolation
from proxy.pgwire.messages import (
    Frame,
    FrameReader,
    PayloadReader,
    StartupFrameReader,
    cstring,
    frame,
)

SYNC = b"S\x00\x00\x00\x04"
QUERY = b"Q\x00\x00\x00\x0dSELECT 1\x00"
ROW = b"D\x00\x00\x00\x0b\x00\x01\x00\x00\x00\x011"


def test_frame_encodes_type_length_payload() -> None:
    assert frame(b"Q", b"SELECT 1\x00") == QUERY
    assert frame(b"S") == SYNC


@pytest.mark.parametrize(
    ("chunks", "kinds"),
    [
        ([QUERY + SYNC], [b"Q", b"S"]),
        ([QUERY[:3], QUERY[3:] + SYNC[:1], SYNC[1:]], [b"Q", b"S"]),
        ([bytes([b]) for b in QUERY + ROW + SYNC], [b"Q", b"D", b"S"]),
        ([QUERY + ROW[:-1]], [b"Q"]),
        ([b""], []),
    ],
    ids=["one-chunk", "split-headers", "byte-by-byte", "incomplete-tail", "empty"],
)
def test_frame_reader_reassembles_any_chunking(chunks: list[bytes], kinds: list[bytes]) -> None:
    reader = FrameReader()
    frames = [f for chunk in chunks for f in reader.feed(chunk)]
    assert [f.kind for f in frames] == kinds


def test_frame_keeps_raw_bytes_and_payload_view() -> None:
    (query, row) = FrameReader().feed(QUERY + ROW)
    assert query == Frame(b"Q", QUERY)
    assert bytes(query.payload) == b"SELECT 1\x00"
    assert isinstance(row.payload, memoryview)


def test_frame_reader_keeps_incomplete_tail_buffered() -> None:
    reader = FrameReader()
    assert reader.feed(QUERY + SYNC[:3]) == [Frame(b"Q", QUERY)]
    assert reader.buffered == 3
    assert reader.feed(SYNC[3:]) == [Frame(b"S", SYNC)]
    assert reader.buffered == 0


@pytest.mark.parametrize(
    ("data", "max_message"),
    [
        (b"Q\x00\x00\x00\x03", 1024),
        (b"Q\xff\xff\xff\xff", 1024),
        (b"Q\x00\x00\x04\x01", 1024),
        (b"d\x01\x00\x00\x01", 16 * 1024 * 1024),
    ],
    ids=["length-below-4", "negative-length", "over-max", "over-16MiB-header-only"],
)
def test_frame_reader_refuses_bad_lengths(data: bytes, max_message: int) -> None:
    with pytest.raises(ProtocolViolation) as caught:
        FrameReader(max_message).feed(data)
    assert caught.value.sqlstate == "08P01"


def test_frame_reader_accepts_exactly_max() -> None:
    message = frame(b"d", b"x" * 96)
    assert FrameReader(100).feed(message) == [Frame(b"d", message)]


STARTUP = b"\x00\x00\x00\x08\x04\xd2\x16\x2f"


@pytest.mark.parametrize(
    ("chunks", "packet", "rest"),
    [
        ([STARTUP], b"\x04\xd2\x16\x2f", b""),
        ([bytes([b]) for b in STARTUP], b"\x04\xd2\x16\x2f", b""),
        ([STARTUP + b"Q\x00"], b"\x04\xd2\x16\x2f", b"Q\x00"),
    ],
    ids=["whole", "byte-by-byte", "plaintext-after-packet"],
)
def test_startup_reader(chunks: list[bytes], packet: bytes, rest: bytes) -> None:
    reader = StartupFrameReader()
    results = [reader.feed(chunk) for chunk in chunks]
    assert results[-1] == packet
    assert all(r is None for r in results[:-1])
    assert reader.rest() == rest


@pytest.mark.parametrize(
    "data",
    [b"\x00\x00\x00\x07", b"\x00\x00\x00\x00", b"\x00\x00\x27\x11", b"\xff\xff\xff\xf0"],
    ids=["below-8", "zero", "over-10000", "negative"],
)
def test_startup_reader_refuses_bad_lengths(data: bytes) -> None:
    with pytest.raises(ProtocolViolation, match="invalid length of startup packet"):
        StartupFrameReader().feed(data)


def test_payload_reader_reads_in_order_and_checks_end() -> None:
    reader = PayloadReader(b"ab\x00\x00\x07\xff\xff\xff\xfe\x00\x00\x00\x05xyz", "Test")
    assert reader.cstring() == "ab"
    assert reader.int16() == 7
    assert reader.int32() == -2
    assert reader.uint32() == 5
    assert reader.remaining == 3
    assert reader.take(3) == b"xyz"
    reader.end()


@pytest.mark.parametrize(
    ("payload", "read", "problem"),
    [
        (b"abc", "cstring", "missing string terminator"),
        (b"\xc3\x28\x00", "cstring", "invalid UTF-8"),
        (b"\xed\xa0\x80\x00", "cstring", "invalid UTF-8"),
        (b"\x00\x01", "int32", "insufficient data"),
        (b"\x00", "int16", "insufficient data"),
    ],
    ids=["no-nul", "bad-utf8", "utf8-surrogate", "short-int32", "short-int16"],
)
def test_payload_reader_refusals(payload: bytes, read: str, problem: str) -> None:
    reader = PayloadReader(payload, "Test")
    with pytest.raises(ProtocolViolation, match=problem):
        getattr(reader, read)()


def test_payload_reader_refuses_trailing_bytes() -> None:
    reader = PayloadReader(b"a\x00!", "Query")
    reader.cstring()
    with pytest.raises(ProtocolViolation, match="invalid Query message: unexpected trailing"):
        reader.end()


def test_cstring_refuses_embedded_nul() -> None:
    assert cstring("é") == b"\xc3\xa9\x00"
    with pytest.raises(ProtocolViolation):
        cstring("a\0b")


def test_errors_never_quote_the_bytes() -> None:
    secret = "880101300123"
    reader = PayloadReader(secret.encode() + b"\x00" + secret.encode(), "Query")
    reader.cstring()
    with pytest.raises(ProtocolViolation) as caught:
        reader.end()
    assert secret not in str(caught.value)
