"""Server messages: what the proxy sends as the server, and what it reads from the upstream."""

from __future__ import annotations

import pytest

from proxy.errors import AccessDenied
from proxy.pgwire import backend
from proxy.pgwire.backend import CommandTag, FieldDescription
from proxy.pgwire.errors import ProtocolViolation

ENCODED = [
    (backend.authentication_ok(), b"R\x00\x00\x00\x08\x00\x00\x00\x00"),
    (
        backend.authentication_sasl(["SCRAM-SHA-256"]),
        b"R\x00\x00\x00\x17\x00\x00\x00\x0aSCRAM-SHA-256\x00\x00",
    ),
    (backend.authentication_sasl_continue(b"r=x"), b"R\x00\x00\x00\x0b\x00\x00\x00\x0br=x"),
    (backend.authentication_sasl_final(b"v=x"), b"R\x00\x00\x00\x0b\x00\x00\x00\x0cv=x"),
    (
        backend.parameter_status("client_encoding", "UTF8"),
        b"S\x00\x00\x00\x19client_encoding\x00UTF8\x00",
    ),
    (
        backend.backend_key_data(7, b"\x01\x02\x03\x04"),
        b"K\x00\x00\x00\x0c\x00\x00\x00\x07\x01\x02\x03\x04",
    ),
    (backend.ready_for_query(b"I"), b"Z\x00\x00\x00\x05I"),
    (
        backend.negotiate_protocol_version(0, ["_pq_.x"]),
        b"v\x00\x00\x00\x13\x00\x03\x00\x00\x00\x00\x00\x01_pq_.x\x00",
    ),
    (
        backend.negotiate_protocol_version(0, []),
        b"v\x00\x00\x00\x0c\x00\x03\x00\x00\x00\x00\x00\x00",
    ),
    (backend.PARSE_COMPLETE, b"1\x00\x00\x00\x04"),
    (backend.BIND_COMPLETE, b"2\x00\x00\x00\x04"),
    (backend.CLOSE_COMPLETE, b"3\x00\x00\x00\x04"),
    (backend.NO_DATA, b"n\x00\x00\x00\x04"),
    (backend.EMPTY_QUERY_RESPONSE, b"I\x00\x00\x00\x04"),
    (backend.command_complete("SELECT 1"), b"C\x00\x00\x00\x0dSELECT 1\x00"),
    (
        backend.error_response("ERROR", "42501", "denied"),
        b"E\x00\x00\x00\x22SERROR\x00VERROR\x00C42501\x00Mdenied\x00\x00",
    ),
    (
        backend.error_response("ERROR", "42601", "bad", detail="d", hint="h", position=8),
        b"E\x00\x00\x00\x28SERROR\x00VERROR\x00C42601\x00Mbad\x00Dd\x00Hh\x00P8\x00\x00",
    ),
    (
        backend.notice_response("NOTICE", "00000", "hi"),
        b"N\x00\x00\x00\x20SNOTICE\x00VNOTICE\x00C00000\x00Mhi\x00\x00",
    ),
    (
        backend.error_for(AccessDenied("no"), fatal=True),
        b"E\x00\x00\x00\x1eSFATAL\x00VFATAL\x00C42501\x00Mno\x00\x00",
    ),
    (
        backend.row_description([FieldDescription("a", 16384, 1, 23, 4, -1, 1)]),
        b"T\x00\x00\x00\x1a\x00\x01a\x00\x00\x00\x40\x00\x00\x01\x00\x00\x00\x17\x00\x04\xff\xff\xff\xff\x00\x01",
    ),
    (backend.data_row([b"1", None]), b"D\x00\x00\x00\x0f\x00\x02\x00\x00\x00\x011\xff\xff\xff\xff"),
]
ENCODED_IDS = [
    "auth-ok", "auth-sasl", "auth-sasl-continue", "auth-sasl-final", "parameter-status",
    "backend-key-data", "ready-idle", "negotiate-one-option", "negotiate-no-option",
    "parse-complete", "bind-complete", "close-complete", "no-data", "empty-query",
    "command-complete", "error", "error-all-fields", "notice", "error-from-project-error",
    "row-description", "data-row",
]  # fmt: skip


@pytest.mark.parametrize(("encoded", "wire"), ENCODED, ids=ENCODED_IDS)
def test_encoders_are_byte_exact(encoded: bytes, wire: bytes) -> None:
    assert encoded == wire


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (backend.ready_for_query, (b"X",)),
        (backend.backend_key_data, (1, b"\x00" * 3)),
        (backend.backend_key_data, (1, b"\x00" * 257)),
        (backend.parameter_status, ("a\0b", "v")),
    ],
    ids=["bad-status", "key-too-short", "key-too-long", "nul-in-string"],
)
def test_encoders_refuse_impossible_messages(call: object, args: tuple[object, ...]) -> None:
    with pytest.raises(ProtocolViolation):
        call(*args)  # type: ignore[operator]


UPSTREAM_ERROR = (
    b"SERROR\x00VERROR\x00C23505\x00Mduplicate key value violates unique constraint\x00"
    b"DKey (iin)=(880101300123) already exists.\x00Wcontext\x00q internal\x00Hhint\x00"
    b"sp\x00tdebtors\x00P12\x00\x00"
)


def test_decode_fields_and_scrub() -> None:
    fields = backend.decode_fields(UPSTREAM_ERROR)
    assert fields["C"] == "23505"
    assert fields["D"] == "Key (iin)=(880101300123) already exists."
    scrubbed = backend.scrub_fields(fields)
    assert set(scrubbed) == {"S", "V", "C", "M", "s", "t", "P"}
    assert "880101300123" not in backend.fields_message(b"E", scrubbed).decode()


@pytest.mark.parametrize(
    "payload",
    [b"SERROR\x00", b"SERROR\x00\x00x", b"SERR", b"M\xff\x00\x00"],
    ids=["no-terminator", "trailing", "unterminated-value", "bad-utf8"],
)
def test_decode_fields_refuses_malformed(payload: bytes) -> None:
    with pytest.raises(ProtocolViolation):
        backend.decode_fields(payload)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("SELECT 5", CommandTag("SELECT", 5)),
        ("INSERT 0 3", CommandTag("INSERT", 3)),
        ("UPDATE 0", CommandTag("UPDATE", 0)),
        ("DELETE 12", CommandTag("DELETE", 12)),
        ("MERGE 2", CommandTag("MERGE", 2)),
        ("FETCH 100", CommandTag("FETCH", 100)),
        ("COPY 7", CommandTag("COPY", 7)),
        ("CREATE TABLE", CommandTag("CREATE TABLE", None)),
        ("BEGIN", CommandTag("BEGIN", None)),
    ],
    ids=["select", "insert", "update-zero", "delete", "merge", "fetch", "copy", "ddl", "begin"],
)
def test_command_complete_tag(tag: str, expected: CommandTag) -> None:
    assert backend.decode_command_complete(tag.encode() + b"\x00") == expected


def test_simple_decoders() -> None:
    assert backend.decode_ready_for_query(b"T") == b"T"
    assert backend.decode_parameter_status(b"TimeZone\x00UTC\x00") == ("TimeZone", "UTC")
    assert backend.decode_backend_key_data(b"\x00\x00\x00\x07" + b"k" * 32) == (7, b"k" * 32)
    assert backend.decode_authentication(b"\x00\x00\x00\x05salt") == (5, b"salt")
    assert backend.decode_sasl_mechanisms(b"SCRAM-SHA-256-PLUS\x00SCRAM-SHA-256\x00\x00") == (
        "SCRAM-SHA-256-PLUS",
        "SCRAM-SHA-256",
    )
    assert backend.decode_data_row(b"\x00\x02\x00\x00\x00\x011\xff\xff\xff\xff") == (b"1", None)


def test_row_description_round_trip() -> None:
    columns = (FieldDescription("iin", 16384, 2, 25), FieldDescription("n", type_oid=23))
    wire = backend.row_description(columns)
    assert backend.decode_row_description(wire[5:]) == columns


@pytest.mark.parametrize(
    ("decoder", "payload"),
    [
        (backend.decode_ready_for_query, b"X"),
        (backend.decode_ready_for_query, b"II"),
        (backend.decode_backend_key_data, b"\x00\x00\x00\x07\x00"),
        (backend.decode_parameter_status, b"TimeZone\x00UTC"),
        (backend.decode_row_description, b"\x00\x01a\x00"),
        (backend.decode_data_row, b"\x00\x01\x00\x00\x00\x05ab"),
        (backend.decode_command_complete, b"SELECT 1"),
        (backend.decode_sasl_mechanisms, b"SCRAM-SHA-256\x00"),
    ],
    ids=[
        "rfq-status", "rfq-trailing", "key-short", "status-no-nul", "rowdesc-truncated",
        "datarow-overrun", "tag-no-nul", "sasl-list-unterminated",
    ],
)  # fmt: skip
def test_decoders_refuse_malformed(decoder: object, payload: bytes) -> None:
    with pytest.raises(ProtocolViolation):
        decoder(payload)  # type: ignore[operator]
