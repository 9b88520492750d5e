"""SCRAM verifiers of principals: checked when the file loads (errors name the key, never the
value), looked up by principal name for the PostgreSQL door, true to the published red-team
passwords, and refused for production when they let a public demo token in."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.errors import ConfigError
from proxy.identity.demo import DEMO_PRINCIPALS_FILE, DEMO_TOKENS, refuse_demo_tokens
from proxy.identity.principals import PrincipalDirectory, token_digest
from proxy.identity.scram import make_verifier, verifies
from proxy.pgwire.auth import ScramServerAuth, UpstreamLogin, derive_credential, format_verifier
from proxy.pgwire.errors import InvalidPassword
from proxy.pgwire.messages import FrameReader
from tests.support import REPO

REDTEAM = REPO / "tests" / "redteam" / "policies" / "principals.toml"
DEMO = REPO / "policies" / DEMO_PRINCIPALS_FILE
REDTEAM_PASSWORDS = {
    "collector": "collector-secret",
    "dpo": "dpo-secret",
    "intern": "intern-secret",
}

SALT = b"\x05" * 16
VERIFIER = format_verifier(derive_credential("wire password", salt=SALT))
KEY = VERIFIER.rsplit(":", 1)[1]  # a well-formed base64 key, to build malformed verifiers from


def entry(name: str, token: str, verifier: object = None) -> str:
    text = f'[{name}]\nroles = ["r"]\ntoken_sha256 = "{token_digest(token)}"\n'
    if isinstance(verifier, str):
        return text + f'scram_sha256 = "{verifier}"\n'
    return text + (f"scram_sha256 = {verifier}\n" if verifier is not None else "")


def load(tmp_path: Path, text: str) -> PrincipalDirectory:
    path = tmp_path / "principals.toml"
    path.write_text(text, encoding="utf-8")
    return PrincipalDirectory.from_file(path)


def log_in(principals: PrincipalDirectory, user: str, password: str) -> bool:
    """A whole SCRAM exchange: the proxy's server machine against its own client machine."""
    server = ScramServerAuth(user, principals.scram_credential)
    client = UpstreamLogin(user, password)
    to_client = server.start()
    try:
        while not server.done:
            replies = [client.feed(f.payload) for f in FrameReader().feed(to_client)]
            (reply,) = [r for r in replies if r is not None]
            (message,) = FrameReader().feed(reply)
            to_client = server.feed(bytes(message.payload))
    except InvalidPassword:
        return False
    for frame in FrameReader().feed(to_client):  # the client checks the server's signature
        client.feed(frame.payload)
    return client.authenticated


def test_a_valid_verifier_loads(tmp_path: Path) -> None:
    principals = load(tmp_path, entry("wire", "t", VERIFIER) + entry("http_only", "u"))
    credential = principals.scram_credential("wire")
    assert credential is not None
    assert credential.salt == SALT
    assert credential.iterations == 4096
    assert verifies(credential, "wire password")
    assert not verifies(credential, "wire password ")


@pytest.mark.parametrize(
    ("name", "has_credential"),
    [("wire", True), ("http_only", False), ("nobody", False)],
    ids=["with-verifier", "without-verifier", "unknown-principal"],
)
def test_scram_credential_by_name(tmp_path: Path, name: str, has_credential: bool) -> None:
    principals = load(tmp_path, entry("wire", "t", VERIFIER) + entry("http_only", "u"))
    assert (principals.scram_credential(name) is not None) is has_credential


def test_a_directory_built_in_code_has_no_credentials() -> None:
    principals = PrincipalDirectory({})
    assert principals.scram_credential("anyone") is None


@pytest.mark.parametrize(
    ("verifier", "reason"),
    [
        ("md5" + "0" * 32, "not a SCRAM-SHA-256 verifier"),
        (VERIFIER.replace("SCRAM-SHA-256", "SCRAM-SHA-1"), "not a SCRAM-SHA-256 verifier"),
        (VERIFIER.rsplit(":", 1)[0], "not a SCRAM-SHA-256 verifier"),
        (VERIFIER.replace(KEY, "not*base64!"), "not a SCRAM-SHA-256 verifier"),
        (VERIFIER.replace("$4096:", "$many:"), "not a SCRAM-SHA-256 verifier"),
        (VERIFIER.replace("$4096:", "$1000:"), "iteration count must be"),
        (VERIFIER.replace("$4096:", "$99999999:"), "iteration count must be"),
        (f"SCRAM-SHA-256$4096:AAAA${KEY}:{KEY}", "salt must be at least 12 bytes"),
        (VERIFIER.replace(KEY, "AAAA"), "keys must be 32 bytes"),
        (7_777_777_777, "valid string"),
    ],
    ids=[
        "md5", "other-mechanism", "no-server-key", "bad-base64", "iterations-not-a-number",
        "too-few-iterations", "too-many-iterations", "short-salt", "short-key", "not-a-string",
    ],
)  # fmt: skip
def test_malformed_verifiers_are_named_not_echoed(
    tmp_path: Path, verifier: object, reason: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, entry("good", "u", VERIFIER) + entry("wire", "t", verifier))
    message = caught.value.message
    assert "wire.scram_sha256" in message
    assert reason in message
    assert str(tmp_path / "principals.toml") in message
    assert str(verifier) not in message
    assert KEY not in message


@pytest.mark.parametrize(
    ("name", "password"), REDTEAM_PASSWORDS.items(), ids=REDTEAM_PASSWORDS.keys()
)
def test_redteam_verifiers_match_the_published_passwords(name: str, password: str) -> None:
    principals = PrincipalDirectory.from_file(REDTEAM)
    assert log_in(principals, name, password)
    assert not log_in(principals, name, password.upper())
    assert principals.authenticate(password).name == name  # the same secret at the HTTP door


@pytest.mark.parametrize(("name", "token"), DEMO_TOKENS.items(), ids=DEMO_TOKENS.keys())
def test_demo_tokens_are_the_demo_principals_passwords(name: str, token: str) -> None:
    assert log_in(PrincipalDirectory.from_file(DEMO), name, token)


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        pytest.param(entry("app", "own-token", VERIFIER), None, id="own-password"),
        pytest.param(entry("app", "own-token"), None, id="no-verifier"),
        pytest.param(
            entry("app", "own-token", make_verifier(DEMO_TOKENS["dpo"])),
            "'app' has a SCRAM verifier of a public demo token",
            id="demo-token-as-password",
        ),
        pytest.param(
            entry("app", "own-token", VERIFIER)
            + entry("other", "other-token", make_verifier(DEMO_TOKENS["collector"])),
            "'other' has a SCRAM verifier of a public demo token",
            id="second-principal",
        ),
        pytest.param(
            entry("app", DEMO_TOKENS["hr_officer"], VERIFIER),
            "'app' uses a public demo token",
            id="demo-token-digest",
        ),
    ],
)
def test_demo_tokens_are_refused_as_verifiers(
    tmp_path: Path, text: str, refused: str | None
) -> None:
    principals = load(tmp_path, text)
    if refused is None:
        refuse_demo_tokens(principals, tmp_path / "principals.toml")
        return
    with pytest.raises(ConfigError) as caught:
        refuse_demo_tokens(principals, tmp_path / "principals.toml")
    assert refused in caught.value.message
    assert all(token not in caught.value.message for token in DEMO_TOKENS.values())


@pytest.mark.parametrize(
    ("password", "iterations", "reason"),
    [
        ("", 4096, "the password is empty"),
        ("bell\x07", 4096, "SASLprep"),
        ("fine", 4095, "iteration count must be"),
        ("fine", 10_000_001, "iteration count must be"),
    ],
    ids=["empty", "control-character", "too-few-iterations", "too-many-iterations"],
)
def test_make_verifier_refusals(password: str, iterations: int, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        make_verifier(password, iterations)
