"""The first packet: classified, parsed strictly, and its parameters whitelisted."""

from __future__ import annotations

import pytest

from proxy.errors import ProxyError
from proxy.pgwire.messages import StartupFrameReader
from proxy.pgwire.startup import (
    CancelRequest,
    FirstPacket,
    GSSENCRequest,
    SSLRequest,
    StartupMessage,
    encode_cancel_request,
    encode_ssl_request,
    encode_startup_message,
    filter_parameters,
    parse_first_packet,
    protocol_negotiation,
)

V30, V32 = b"\x00\x03\x00\x00", b"\x00\x03\x00\x02"


def _payload(packet: bytes) -> bytes:
    """The payload a StartupFrameReader hands over for a whole packet."""
    reader = StartupFrameReader()
    payload = reader.feed(packet)
    assert payload is not None and reader.rest() == b""
    return payload


@pytest.mark.parametrize(
    ("packet", "expected"),
    [
        (b"\x00\x00\x00\x08\x04\xd2\x16\x2f", SSLRequest()),
        (b"\x00\x00\x00\x08\x04\xd2\x16\x30", GSSENCRequest()),
        (
            b"\x00\x00\x00\x10\x04\xd2\x16\x2e\x00\x00\x30\x39\xde\xad\xbe\xef",
            CancelRequest(12345, b"\xde\xad\xbe\xef"),
        ),
        (
            b"\x00\x00\x00\x2c\x04\xd2\x16\x2e\x00\x00\x30\x39" + b"k" * 32,
            CancelRequest(12345, b"k" * 32),
        ),
        (
            b"\x00\x00\x00\x14" + V30 + b"user\x00alice\x00\x00",
            StartupMessage(0, {"user": "alice"}),
        ),
        (
            b"\x00\x00\x00\x22" + V32 + b"user\x00bob\x00database\x00palata\x00\x00",
            StartupMessage(2, {"user": "bob", "database": "palata"}),
        ),
    ],
    ids=["ssl", "gssenc", "cancel-3.0", "cancel-3.2-long-key", "startup-3.0", "startup-3.2"],
)
def test_classify_first_packet(packet: bytes, expected: FirstPacket) -> None:
    assert parse_first_packet(_payload(packet)) == expected


@pytest.mark.parametrize(
    ("payload", "sqlstate"),
    [
        (b"\x04\xd2\x16\x2f\x00", "08P01"),
        (b"\x04\xd2\x16\x2e\x00\x00\x30\x39\xde\xad\xbe", "08P01"),
        (b"\x04\xd2\x16\x2e\x00\x00\x30\x39" + b"k" * 257, "08P01"),
        (V30 + b"user\x00alice\x00", "08P01"),
        (V30 + b"user\x00alice", "08P01"),
        (V30 + b"user\x00alice\x00\x00x", "08P01"),
        (V30 + b"user\x00al\xffce\x00\x00", "08P01"),
        (V30 + b"user\x00a\x00user\x00b\x00\x00", "08P01"),
        (V30 + b"database\x00d\x00\x00", "28000"),
        (V30 + b"user\x00\x00\x00", "28000"),
        (b"\x00\x02\x00\x00user\x00a\x00\x00", "0A000"),
        (b"\x00\x04\x00\x00user\x00a\x00\x00", "0A000"),
    ],
    ids=[
        "ssl-trailing", "cancel-key-3-bytes", "cancel-key-257-bytes", "no-final-terminator",
        "value-unterminated", "trailing-after-terminator", "bad-utf8", "duplicate-parameter",
        "no-user", "empty-user", "protocol-2", "protocol-4",
    ],
)  # fmt: skip
def test_malformed_first_packets(payload: bytes, sqlstate: str) -> None:
    with pytest.raises(ProxyError) as caught:
        parse_first_packet(payload)
    assert caught.value.sqlstate == sqlstate


def test_startup_defaults() -> None:
    startup = parse_first_packet(V30 + b"user\x00alice\x00\x00")
    assert isinstance(startup, StartupMessage)
    assert (startup.user, startup.database) == ("alice", "alice")


ASYNCPG = {"client_encoding": "'utf-8'", "user": "u", "database": "d"}
JDBC = {
    "user": "u", "database": "d", "client_encoding": "UTF8", "DateStyle": "ISO",
    "TimeZone": "Asia/Almaty", "extra_float_digits": "2",
}  # fmt: skip


@pytest.mark.parametrize(
    ("parameters", "kept", "dropped"),
    [
        (ASYNCPG, {"user": "u", "database": "d", "client_encoding": "UTF8"}, ()),
        (JDBC, JDBC, ()),
        (
            {"user": "u", "application_name": "psql", "IntervalStyle": "iso_8601"},
            {"user": "u", "application_name": "psql", "IntervalStyle": "iso_8601"},
            (),
        ),
        ({"user": "u", "options": "-c role=analyst"}, {"user": "u"}, ("options",)),
        (
            {
                "user": "u",
                "_pq_.compression": "on",
                "search_path": "x",
                "client_encoding": "unicode",
            },
            {"user": "u"},
            ("_pq_.compression", "search_path"),
        ),
    ],
    ids=["asyncpg-quoted-utf8", "jdbc", "psql-and-interval", "options-dropped", "others-dropped"],
)
def test_filter_parameters(
    parameters: dict[str, str], kept: dict[str, str], dropped: tuple[str, ...]
) -> None:
    result = filter_parameters(parameters)
    assert dict(result.kept) == {**kept, "client_encoding": "UTF8"}
    assert result.dropped == dropped


@pytest.mark.parametrize(
    ("parameters", "sqlstate", "message"),
    [
        ({"user": "u", "replication": "database"}, "28000", "replication"),
        ({"user": "u", "replication": "false"}, "28000", "replication"),
        ({"user": "u", "client_encoding": "SJIS"}, "0A000", "UTF8"),
        ({"user": "u", "client_encoding": "LATIN1"}, "0A000", "UTF8"),
    ],
    ids=["replication-database", "replication-any-value", "sjis", "latin1"],
)
def test_filter_refuses(parameters: dict[str, str], sqlstate: str, message: str) -> None:
    with pytest.raises(ProxyError, match=message) as caught:
        filter_parameters(parameters)
    assert caught.value.sqlstate == sqlstate


@pytest.mark.parametrize(
    ("startup", "expected"),
    [
        (StartupMessage(0, {"user": "u"}), None),
        (
            StartupMessage(2, {"user": "u"}),
            b"v\x00\x00\x00\x0c\x00\x03\x00\x00\x00\x00\x00\x00",
        ),
        (
            StartupMessage(0, {"user": "u", "_pq_.x": "1"}),
            b"v\x00\x00\x00\x13\x00\x03\x00\x00\x00\x00\x00\x01_pq_.x\x00",
        ),
    ],
    ids=["3.0-plain", "3.2", "3.0-with-option"],
)
def test_protocol_negotiation(startup: StartupMessage, expected: bytes | None) -> None:
    assert protocol_negotiation(startup) == expected


def test_encoders_are_byte_exact() -> None:
    assert encode_startup_message({"user": "alice"}) == (
        b"\x00\x00\x00\x14" + V30 + b"user\x00alice\x00\x00"
    )
    assert encode_ssl_request() == b"\x00\x00\x00\x08\x04\xd2\x16\x2f"
    assert encode_cancel_request(12345, b"\xde\xad\xbe\xef") == (
        b"\x00\x00\x00\x10\x04\xd2\x16\x2e\x00\x00\x30\x39\xde\xad\xbe\xef"
    )


def test_startup_round_trip() -> None:
    parameters = {"user": "алия", "database": "palata", "application_name": "тест"}
    parsed = parse_first_packet(_payload(encode_startup_message(parameters)))
    assert parsed == StartupMessage(0, parameters)


def test_cancel_key_is_not_in_repr() -> None:
    assert "deadbeef" not in repr(CancelRequest(1, bytes.fromhex("deadbeef")))
