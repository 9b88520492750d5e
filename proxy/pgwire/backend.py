"""Messages a server sends: encoded when the proxy answers itself, decoded to inspect upstream.

The proxy speaks as the server during login (authentication, ParameterStatus, BackendKeyData,
ReadyForQuery), when it refuses (ErrorResponse), and when it answers a message itself. From the
upstream it relays RowDescription and DataRow untouched and decodes only what it must watch:
errors and notices to scrub, command tags for the audit row count, the transaction status, and the
settings that guard against parser differentials. Project errors become ErrorResponses here, in
one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from proxy.errors import ProxyError
from proxy.pgwire.errors import ProtocolViolation
from proxy.pgwire.messages import INT16, INT32, UINT16, UINT32, PayloadReader, cstring, frame

AUTH_OK, AUTH_CLEARTEXT, AUTH_MD5 = 0, 3, 5
AUTH_SASL, AUTH_SASL_CONTINUE, AUTH_SASL_FINAL = 10, 11, 12
TRANSACTION_STATUSES = (b"I", b"T", b"E")
# DETAIL, CONTEXT, internal query and HINT can quote row values; the rest names the failure
SCRUBBED_FIELDS = frozenset("DWqH")
ROW_COUNT_COMMANDS = frozenset(
    {"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "MOVE", "FETCH", "COPY"}
)

PARSE_COMPLETE = frame(b"1")
BIND_COMPLETE = frame(b"2")
CLOSE_COMPLETE = frame(b"3")
NO_DATA = frame(b"n")
EMPTY_QUERY_RESPONSE = frame(b"I")


def authentication(code: int, data: bytes = b"") -> bytes:
    return frame(b"R", INT32.pack(code) + data)


def authentication_ok() -> bytes:
    return authentication(AUTH_OK)


def authentication_sasl(mechanisms: Sequence[str]) -> bytes:
    return authentication(AUTH_SASL, b"".join(cstring(name) for name in mechanisms) + b"\0")


def authentication_sasl_continue(data: bytes) -> bytes:
    return authentication(AUTH_SASL_CONTINUE, data)


def authentication_sasl_final(data: bytes) -> bytes:
    return authentication(AUTH_SASL_FINAL, data)


def parameter_status(name: str, value: str) -> bytes:
    return frame(b"S", cstring(name) + cstring(value))


def backend_key_data(pid: int, secret_key: bytes) -> bytes:
    """Protocol 3.0 keys are 4 bytes; 3.2 allows up to 256."""
    if not 4 <= len(secret_key) <= 256:
        raise ProtocolViolation("a cancel key must be 4 to 256 bytes long")
    return frame(b"K", INT32.pack(pid) + secret_key)


def ready_for_query(status: bytes) -> bytes:
    if status not in TRANSACTION_STATUSES:
        raise ProtocolViolation("a transaction status must be I, T or E")
    return frame(b"Z", status)


def negotiate_protocol_version(newest_minor: int, unsupported_options: Sequence[str]) -> bytes:
    """The newest version the proxy speaks for protocol 3 — sent as the whole version number
    (3 << 16 | minor), as the server sends it and libpq reads it — and the options it ignored."""
    names = b"".join(cstring(name) for name in unsupported_options)
    version = PROTOCOL_3 | newest_minor
    return frame(b"v", INT32.pack(version) + INT32.pack(len(unsupported_options)) + names)


PROTOCOL_3 = 3 << 16


def command_complete(tag: str) -> bytes:
    return frame(b"C", cstring(tag))


def fields_message(kind: bytes, fields: Mapping[str, str]) -> bytes:
    """An ErrorResponse (`E`) or NoticeResponse (`N`) from fields keyed by their code letter."""
    body = b"".join(code.encode("ascii") + cstring(value) for code, value in fields.items())
    return frame(kind, body + b"\0")


def report_fields(
    severity: str,
    sqlstate: str,
    message: str,
    *,
    detail: str | None = None,
    hint: str | None = None,
    position: int | None = None,
) -> dict[str, str]:
    """The fields of an error or notice; `V` repeats the severity unlocalised, as servers do."""
    fields = {"S": severity, "V": severity, "C": sqlstate, "M": message}
    optional = {"D": detail, "H": hint, "P": None if position is None else str(position)}
    fields.update({code: value for code, value in optional.items() if value is not None})
    return fields


def error_response(
    severity: str,
    sqlstate: str,
    message: str,
    *,
    detail: str | None = None,
    hint: str | None = None,
    position: int | None = None,
) -> bytes:
    fields = report_fields(severity, sqlstate, message, detail=detail, hint=hint, position=position)
    return fields_message(b"E", fields)


def notice_response(
    severity: str, sqlstate: str, message: str, *, hint: str | None = None
) -> bytes:
    return fields_message(b"N", report_fields(severity, sqlstate, message, hint=hint))


def error_for(error: ProxyError, *, fatal: bool = False) -> bytes:
    """The ErrorResponse a client sees for a project error; FATAL when the session ends."""
    return error_response("FATAL" if fatal else "ERROR", error.sqlstate, error.message)


@dataclass(frozen=True, slots=True)
class FieldDescription:
    """One column of a RowDescription."""

    name: str
    table_oid: int = 0
    column: int = 0
    type_oid: int = 25
    type_size: int = -1
    type_modifier: int = -1
    format: int = 0


def row_description(columns: Sequence[FieldDescription]) -> bytes:
    body = [UINT16.pack(len(columns))]
    for c in columns:
        body.append(cstring(c.name) + UINT32.pack(c.table_oid) + INT16.pack(c.column))
        body.append(UINT32.pack(c.type_oid) + INT16.pack(c.type_size))
        body.append(INT32.pack(c.type_modifier) + INT16.pack(c.format))
    return frame(b"T", b"".join(body))


def data_row(values: Sequence[bytes | None]) -> bytes:
    body = [UINT16.pack(len(values))]
    body += [INT32.pack(-1) if v is None else INT32.pack(len(v)) + v for v in values]
    return frame(b"D", b"".join(body))


def decode_fields(payload: bytes | memoryview) -> dict[str, str]:
    """The fields of an ErrorResponse or NoticeResponse, keyed by their code letter."""
    reader = PayloadReader(payload, "ErrorResponse")
    fields: dict[str, str] = {}
    while (code := reader.byte()) != b"\0":
        fields[code.decode("latin-1")] = reader.cstring()
    reader.end()
    return fields


def scrub_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """The fields without those that can quote row values (for principals that see masked data)."""
    return {code: value for code, value in fields.items() if code not in SCRUBBED_FIELDS}


@dataclass(frozen=True, slots=True)
class CommandTag:
    command: str
    rows: int | None  # None for commands that report no count


def decode_command_complete(payload: bytes | memoryview) -> CommandTag:
    reader = PayloadReader(payload, "CommandComplete")
    tag = reader.cstring()
    reader.end()
    words = tag.split(" ")
    # INSERT reports `INSERT <oid> <rows>`: the count is always the last word
    if words[0] in ROW_COUNT_COMMANDS and len(words) > 1 and words[-1].isdigit():
        return CommandTag(words[0], int(words[-1]))
    return CommandTag(tag, None)


def decode_ready_for_query(payload: bytes | memoryview) -> bytes:
    reader = PayloadReader(payload, "ReadyForQuery")
    status = reader.byte()
    reader.end()
    if status not in TRANSACTION_STATUSES:
        raise reader.fail("unknown transaction status")
    return status


def decode_parameter_status(payload: bytes | memoryview) -> tuple[str, str]:
    reader = PayloadReader(payload, "ParameterStatus")
    name, value = reader.cstring(), reader.cstring()
    reader.end()
    return name, value


def decode_backend_key_data(payload: bytes | memoryview) -> tuple[int, bytes]:
    reader = PayloadReader(payload, "BackendKeyData")
    pid, key = reader.int32(), reader.rest()
    if not 4 <= len(key) <= 256:
        raise reader.fail("cancel key must be 4 to 256 bytes long")
    return pid, key


def decode_row_description(payload: bytes | memoryview) -> tuple[FieldDescription, ...]:
    reader = PayloadReader(payload, "RowDescription")
    columns = tuple(_field_description(reader) for _ in range(reader.uint16()))
    reader.end()
    return columns


def _field_description(r: PayloadReader) -> FieldDescription:
    return FieldDescription(
        r.cstring(), r.uint32(), r.int16(), r.uint32(), r.int16(), r.int32(), r.int16()
    )


def decode_data_row(payload: bytes | memoryview) -> tuple[bytes | None, ...]:
    reader = PayloadReader(payload, "DataRow")
    values = []
    for _ in range(reader.uint16()):
        length = reader.int32()
        values.append(None if length == -1 else reader.take(length))
    reader.end()
    return tuple(values)


def decode_authentication(payload: bytes | memoryview) -> tuple[int, bytes]:
    """The request code of an Authentication message and the bytes that follow it."""
    reader = PayloadReader(payload, "Authentication")
    return reader.int32(), reader.rest()


def decode_sasl_mechanisms(data: bytes) -> tuple[str, ...]:
    """The mechanism names of an AuthenticationSASL request (after its code)."""
    reader = PayloadReader(data, "AuthenticationSASL")
    names: list[str] = []
    while (name := reader.cstring()) != "":
        names.append(name)
    reader.end()
    return tuple(names)
