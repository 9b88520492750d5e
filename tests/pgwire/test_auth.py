"""SCRAM at both ends, in process: the server machine against scramp's client and our own client.

Every failure must read the same whether the user exists or not, and never carry the password.
"""

from __future__ import annotations

import hashlib

import pytest
from scramp import ScramClient  # type: ignore[import-untyped]

from proxy.errors import ProxyError
from proxy.pgwire import backend
from proxy.pgwire.auth import (
    ScramCredential,
    ScramServerAuth,
    UpstreamLogin,
    derive_credential,
    format_verifier,
    md5_password,
    parse_verifier,
)
from proxy.pgwire.errors import InvalidPassword
from proxy.pgwire.frontend import encode_sasl_initial_response
from proxy.pgwire.messages import Frame, FrameReader

SECRET = b"\x01" * 32
ALICE = derive_credential("correct horse", salt=b"\x02" * 16)


def lookup(user: str) -> ScramCredential | None:
    return ALICE if user == "alice" else None


def frames(wire: bytes) -> list[Frame]:
    return FrameReader().feed(wire)


def auth_data(wire: bytes) -> tuple[int, bytes]:
    """The code and data of the one Authentication message in `wire`."""
    (frame,) = frames(wire)
    assert frame.kind == b"R"
    return backend.decode_authentication(frame.payload)


def run_scramp_client(server: ScramServerAuth, client: ScramClient, first: str) -> bytes:
    assert auth_data(server.start()) == (backend.AUTH_SASL, b"SCRAM-SHA-256\x00\x00")
    code, server_first = auth_data(server.feed(_initial(first)))
    assert code == backend.AUTH_SASL_CONTINUE
    client.set_server_first(server_first.decode())
    return server.feed(client.get_client_final().encode())


def _initial(client_first: str) -> bytes:
    return encode_sasl_initial_response("SCRAM-SHA-256", client_first.encode())[5:]


def test_round_trip_with_scramps_client() -> None:
    server = ScramServerAuth("alice", lookup, mock_secret=SECRET)
    client = ScramClient(["SCRAM-SHA-256"], "ignored-by-postgres", "correct horse")
    final, ok = frames(run_scramp_client(server, client, client.get_client_first()))
    code, server_final = backend.decode_authentication(final.payload)
    assert code == backend.AUTH_SASL_FINAL
    client.set_server_final(server_final.decode())  # the client checks the server's signature
    assert backend.decode_authentication(ok.payload) == (backend.AUTH_OK, b"")
    assert server.done


def test_round_trip_with_an_empty_scram_user_name_as_libpq_sends() -> None:
    server = ScramServerAuth("alice", lookup, mock_secret=SECRET)
    client = ScramClient(["SCRAM-SHA-256"], "x", "correct horse")
    first = client.get_client_first().replace(",n=x,", ",n=,")
    client.client_first_bare = first[3:]  # what libpq's proof covers
    final, _ok = frames(run_scramp_client(server, client, first))
    client.set_server_final(backend.decode_authentication(final.payload)[1].decode())
    assert server.done


@pytest.mark.parametrize(
    ("user", "password"),
    [("alice", "wrong"), ("mallory", "correct horse"), ("mallory", "")],
    ids=["wrong-password", "unknown-user", "unknown-user-empty-password"],
)
def test_failures_look_the_same(user: str, password: str) -> None:
    server = ScramServerAuth(user, lookup, mock_secret=SECRET)
    client = ScramClient(["SCRAM-SHA-256"], user, password or "-")
    with pytest.raises(InvalidPassword) as caught:
        run_scramp_client(server, client, client.get_client_first())
    assert caught.value.sqlstate == "28P01"
    assert str(caught.value) == f'password authentication failed for user "{user}"'
    assert not server.done


def test_unknown_users_get_a_stable_salt_and_the_default_iterations() -> None:
    def server_first(user: str) -> str:
        server = ScramServerAuth(user, lookup, mock_secret=SECRET)
        server.start()
        client = ScramClient(["SCRAM-SHA-256"], user, "x")
        data = auth_data(server.feed(_initial(client.get_client_first())))[1].decode()
        return data.split(",", 1)[1]  # drop the nonce, which is fresh each time

    assert server_first("mallory") == server_first("mallory")
    assert server_first("mallory") != server_first("eve")
    assert server_first("mallory").endswith(",i=4096")


def test_our_client_against_our_server() -> None:
    server = ScramServerAuth("alice", lookup, mock_secret=SECRET)
    login = UpstreamLogin("alice", "correct horse")
    to_client = server.start()
    while not login.authenticated:
        for frame in frames(to_client):
            reply = login.feed(frame.payload)
            if reply is not None:
                (message,) = frames(reply)
                to_client = server.feed(bytes(message.payload))
    assert server.done


def test_our_client_with_a_wrong_password() -> None:
    server = ScramServerAuth("alice", lookup, mock_secret=SECRET)
    login = UpstreamLogin("alice", "wrong")
    first = login.feed(frames(server.start())[0].payload)
    assert first is not None
    server_first = server.feed(bytes(frames(first)[0].payload))
    final = login.feed(frames(server_first)[0].payload)
    assert final is not None
    with pytest.raises(InvalidPassword) as caught:
        server.feed(bytes(frames(final)[0].payload))
    assert "wrong" not in str(caught.value)


@pytest.mark.parametrize(
    ("payload", "sqlstate"),
    [
        (b"SCRAM-SHA-1\x00\x00\x00\x00\x03n,,", "08P01"),
        (_initial("p=tls-server-end-point,,n=,r=abc"), "08P01"),
        (_initial("n,,r=abc"), "08P01"),
        (_initial("n,,n=,r=abc,m=ext"), "08P01"),
        (_initial("n,,n=,r=\u00e9"), "08P01"),
        (b"SCRAM-SHA-256\x00\x00\x00\x00\x09n,,", "08P01"),
    ],
    ids=[
        "other-mechanism", "channel-binding", "no-user-attribute", "mandatory-extension",
        "non-ascii", "truncated",
    ],
)  # fmt: skip
def test_malformed_client_first(payload: bytes, sqlstate: str) -> None:
    server = ScramServerAuth("alice", lookup, mock_secret=SECRET)
    server.start()
    with pytest.raises(ProxyError) as caught:
        server.feed(payload)
    assert caught.value.sqlstate == sqlstate


def test_messages_out_of_order_are_refused() -> None:
    server = ScramServerAuth("alice", lookup, mock_secret=SECRET)
    with pytest.raises(ProxyError, match="unexpected SASL message"):
        server.feed(_initial("n,,n=,r=abc"))


def test_verifier_round_trip_and_refusals() -> None:
    text = format_verifier(ALICE)
    assert text.startswith("SCRAM-SHA-256$4096:AgICAgICAgICAgICAgICAg==$")
    assert parse_verifier(text) == ALICE
    for bad in ("md5abc", "SCRAM-SHA-1$4096:AA==$AA==:AA==", "SCRAM-SHA-256$x:AA==$AA==:AA=="):
        with pytest.raises(ProxyError) as caught:
            parse_verifier(bad)
        assert bad not in str(caught.value)


def test_credential_repr_hides_keys() -> None:
    assert ALICE.stored_key.hex() not in repr(ALICE)


def _request(code: int, data: bytes = b"") -> bytes:
    return bytes(frames(backend.authentication(code, data))[0].payload)


def test_upstream_cleartext_and_md5() -> None:
    login = UpstreamLogin("alice", "secret")
    assert login.feed(_request(backend.AUTH_CLEARTEXT)) == b"p\x00\x00\x00\x0bsecret\x00"
    inner = hashlib.md5(b"secretalice").hexdigest().encode()
    expected = "md5" + hashlib.md5(inner + b"\x01\x02\x03\x04").hexdigest()
    assert md5_password("alice", "secret", b"\x01\x02\x03\x04") == expected
    reply = login.feed(_request(backend.AUTH_MD5, b"\x01\x02\x03\x04"))
    assert reply == b"p\x00\x00\x00\x28" + expected.encode() + b"\x00"
    assert login.feed(_request(backend.AUTH_OK)) is None
    assert login.authenticated


@pytest.mark.parametrize(
    ("password", "requests", "sqlstate"),
    [
        (None, [(backend.AUTH_CLEARTEXT, b"")], "28000"),
        ("pw", [(7, b"")], "0A000"),
        ("pw", [(backend.AUTH_SASL, b"SCRAM-SHA-256-PLUS\x00\x00")], "0A000"),
        ("pw", [(backend.AUTH_SASL, b"SCRAM-SHA-256\x00\x00"), (backend.AUTH_OK, b"")], "28000"),
        ("pw", [(backend.AUTH_SASL_CONTINUE, b"r=x,s=AA==,i=4096")], "08P01"),
        ("pw", [(backend.AUTH_MD5, b"\x01\x02")], "08P01"),
        (
            "pw",
            [(backend.AUTH_SASL, b"SCRAM-SHA-256\x00\x00"), (backend.AUTH_SASL_CONTINUE, b"r=x")],
            "28000",
        ),
    ],
    ids=[
        "no-password-configured", "gss-requested", "only-plus-offered", "ok-without-server-proof",
        "continue-before-start", "md5-short-salt", "malformed-server-first",
    ],
)  # fmt: skip
def test_upstream_login_refusals(
    password: str | None, requests: list[tuple[int, bytes]], sqlstate: str
) -> None:
    login = UpstreamLogin("alice", password)
    with pytest.raises(ProxyError) as caught:
        for code, data in requests:
            login.feed(_request(code, data))
    assert caught.value.sqlstate == sqlstate
    assert not login.authenticated
