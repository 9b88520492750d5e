"""The wire door's first packets over a real loopback socket, and the purpose in `options`."""

from __future__ import annotations

import asyncio

import pytest

from proxy.errors import ProxyError
from proxy.pgwire.login import ClientStream, first_contact, session_purpose
from proxy.pgwire.messages import INT32
from proxy.pgwire.startup import (
    GSSENC_REQUEST_CODE,
    CancelRequest,
    StartupMessage,
    encode_cancel_request,
    encode_ssl_request,
    encode_startup_message,
)

STARTUP = encode_startup_message({"user": "collector", "database": "redteam"})
GSSENC = INT32.pack(8) + INT32.pack(GSSENC_REQUEST_CODE)

Outcome = StartupMessage | CancelRequest | ProxyError


async def _first_contact(sent: list[bytes], tls_required: bool) -> tuple[Outcome, bytes]:
    """What `first_contact` makes of the client's packets (sent one by one), and what the
    client received back."""
    done: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            done.set_result(await first_contact(ClientStream(reader, writer), None, tls_required))
        except ProxyError as exc:
            done.set_result(exc)
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        received = b""
        for packet in sent:
            writer.write(packet)
            await writer.drain()
            if packet in (encode_ssl_request(), GSSENC):
                received += await reader.readexactly(1)
        outcome = await asyncio.wait_for(done, 10)
        writer.close()
    return outcome, received


@pytest.mark.parametrize(
    ("sent", "required", "answers", "expected"),
    [
        pytest.param([STARTUP], False, b"", StartupMessage, id="plain"),
        pytest.param([encode_ssl_request(), STARTUP], False, b"N", StartupMessage, id="ssl-off"),
        pytest.param([GSSENC, STARTUP], False, b"N", StartupMessage, id="gssenc"),
        pytest.param([GSSENC, encode_ssl_request(), STARTUP], False, b"NN", StartupMessage,
                     id="gssenc-then-ssl"),
        pytest.param([encode_cancel_request(7, b"\0\0\0\1")], False, b"", CancelRequest,
                     id="cancel"),
        pytest.param([STARTUP], True, b"", "28000", id="plain-refused-under-require"),
        pytest.param([encode_ssl_request() + STARTUP], False, b"", "08P01", id="stuffed"),
    ],
)  # fmt: skip
async def test_first_packets(
    sent: list[bytes], required: bool, answers: bytes, expected: type | str
) -> None:
    outcome, received = await _first_contact(sent, required)
    assert received == answers
    if isinstance(expected, str):
        assert isinstance(outcome, ProxyError) and outcome.sqlstate == expected, outcome
    else:
        assert isinstance(outcome, expected), outcome


@pytest.mark.parametrize(
    ("parameters", "purpose"),
    [
        pytest.param({}, None, id="none"),
        pytest.param({"options": "-c palata.purpose=marketing"}, "marketing", id="dash-c"),
        pytest.param({"options": "-cpalata.purpose=marketing"}, "marketing", id="joined"),
        pytest.param({"options": "--palata.purpose=marketing"}, "marketing", id="double-dash"),
        pytest.param({"options": "-c PALATA.PURPOSE=x"}, "x", id="any-case"),
        pytest.param({"options": "-c role=postgres -c palata.purpose=x"}, "x", id="among-others"),
        pytest.param({"options": r"-c palata.purpose=debt_collection\ "}, "debt_collection ",
                     id="escaped"),
        pytest.param({"options": "-c palata.purposes=x"}, None, id="other-name"),
        pytest.param({"options": "palata.purpose=x"}, None, id="no-flag"),
        pytest.param({"palata.purpose": "x"}, "x", id="startup-parameter"),
        pytest.param({"options": "-c palata.purpose=x", "palata.purpose": "x"}, "x",
                     id="twice-the-same"),
    ],
)  # fmt: skip
def test_purpose_stated_at_login(parameters: dict[str, str], purpose: str | None) -> None:
    assert session_purpose({"user": "u", **parameters}) == purpose


@pytest.mark.parametrize(
    "parameters",
    [
        pytest.param({"options": "-c palata.purpose=a -c palata.purpose=b"}, id="options"),
        pytest.param({"options": "-c palata.purpose=a", "palata.purpose": "b"}, id="both-ways"),
    ],
)
def test_two_different_purposes_are_refused(parameters: dict[str, str]) -> None:
    with pytest.raises(ProxyError, match="more than once") as refused:
        session_purpose({"user": "u", **parameters})
    assert refused.value.sqlstate == "42501"
