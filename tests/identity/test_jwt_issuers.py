"""The trusted-issuers file: every mistake stops the start with the file and the key named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from proxy.errors import ConfigError
from proxy.identity.jwt_issuers import load_trusted_issuers
from proxy.identity.jwt_tokens import JwtVerifier
from proxy.identity.principals import Principal, PrincipalDirectory, token_digest

SECRET = "s" * 40

PRINCIPALS = PrincipalDirectory(
    {
        "collection_app": (
            token_digest("collection_app"),
            Principal("collection_app", ("collector",), ("debt_collection",), None),
        )
    }
)


def public(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture(scope="module")
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    files = {
        "rsa.pem": public(rsa_key),
        "ec.pem": public(ec.generate_private_key(ec.SECP256R1())),
        "p384.pem": public(ec.generate_private_key(ec.SECP384R1())),
        "rsa1024.pem": public(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
        "private.pem": rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        "bad.pem": b"-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n",
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def issuer(**overrides: Any) -> str:
    """One [[issuers]] table; None leaves a key out, everything else is written as TOML."""
    entry: dict[str, Any] = {
        "issuer": '"https://collect.test"',
        "audience": '"palata-proxy"',
        "algorithms": '["RS256"]',
        "public_key_file": '"rsa.pem"',
        "app_principal": '"collection_app"',
    } | overrides
    lines = [f"{key} = {value}" for key, value in entry.items() if value is not None]
    return "[[issuers]]\n" + "\n".join(lines) + "\n"


HS256 = {"algorithms": '["HS256"]', "public_key_file": None, "hs256_secret": f'"{SECRET}"'}
DEV = "allow_hs256_for_development = true\n"

BAD: list[Any] = [
    pytest.param(issuer(public_key_file='"bad.pem"'), "not a PEM public key", id="bad-pem"),
    pytest.param(issuer(public_key_file='"private.pem"'), "holds a private key", id="private"),
    pytest.param(issuer(public_key_file='"gone.pem"'), "does not exist", id="missing-key"),
    pytest.param(issuer(public_key_file='"rsa1024.pem"'), "2048+ bits", id="rsa-1024"),
    pytest.param(issuer(public_key_file='"p384.pem"'), "does not accept", id="ec-p384"),
    pytest.param(
        issuer(public_key_file='"ec.pem"'), 'algorithms = ["ES256"]', id="rs256-with-ec-key"
    ),
    pytest.param(issuer(algorithms='["ES256"]'), 'algorithms = ["RS256"]', id="es256-with-rsa-key"),
    pytest.param(issuer(**HS256), "allow_hs256_for_development = true", id="hs256-no-flag"),
    pytest.param(
        DEV + issuer(algorithms='["HS256"]'), "never a public key", id="hs256-with-public-key"
    ),
    pytest.param(
        DEV + issuer(algorithms='["RS256", "HS256"]'), "never a public key", id="mixed-with-pem"
    ),
    pytest.param(
        DEV + issuer(**HS256 | {"algorithms": '["HS256", "RS256"]'}),
        "hs256_secret goes with",
        id="mixed-with-secret",
    ),
    pytest.param(DEV + issuer(hs256_secret=f'"{SECRET}"'), "exactly one", id="secret-and-key-file"),
    pytest.param(issuer(public_key_file=None), "exactly one", id="no-key"),
    pytest.param(
        DEV + issuer(**HS256 | {"hs256_secret": '"short"'}),
        "issuers[0].hs256_secret",
        id="short-secret",
    ),
    pytest.param(issuer(colour="1"), "issuers[0].colour: unknown key", id="unknown-key"),
    pytest.param("colour = 1\n" + issuer(), "colour: unknown key", id="unknown-top-key"),
    pytest.param(issuer(app_principal='"ghost_app"'), "no principal 'ghost_app'", id="unknown-app"),
    pytest.param(issuer() + issuer(), "two issuers share", id="duplicate-issuer"),
    pytest.param(issuer(algorithms='["PS256"]'), "issuers[0].algorithms[0]", id="ps256"),
    pytest.param(issuer(algorithms='["none"]'), "issuers[0].algorithms[0]", id="alg-none"),
    pytest.param(issuer(algorithms="[]"), "issuers[0].algorithms", id="no-algorithms"),
    pytest.param(issuer(max_lifetime_s="true"), "issuers[0].max_lifetime_s", id="bool-life"),
    pytest.param(issuer(max_lifetime_s="864000"), "issuers[0].max_lifetime_s", id="long-life"),
    pytest.param(issuer(leeway_s="-1"), "issuers[0].leeway_s", id="negative-leeway"),
    pytest.param(issuer(audience=None), "issuers[0].audience: Field required", id="no-audience"),
    pytest.param(
        'allow_hs256_for_development = "yes"\n', "allow_hs256_for_development", id="flag-string"
    ),
    pytest.param('issuers = "x"\n', "issuers", id="issuers-not-tables"),
    pytest.param("[[issuers]\n", "cannot be read", id="toml-syntax"),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_bad_issuer_files_are_named(key_dir: Path, text: str, expected: str) -> None:
    path = key_dir / "token_issuers.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_trusted_issuers(path, PRINCIPALS)
    assert expected in caught.value.message
    assert str(path) in caught.value.message
    assert SECRET not in caught.value.message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_trusted_issuers(tmp_path / "token_issuers.toml", PRINCIPALS)


def test_an_empty_file_trusts_no_one(tmp_path: Path) -> None:
    path = tmp_path / "token_issuers.toml"
    path.write_text("", encoding="utf-8")
    verifier = JwtVerifier.from_file(path, PRINCIPALS)
    assert (verifier.issuers, verifier.allows_hs256) == ((), False)


def test_good_file_resolves_keys_and_hides_the_secret(key_dir: Path) -> None:
    path = key_dir / "good.toml"
    absolute = f'"{key_dir / "ec.pem"}"'
    text = (
        DEV
        + issuer(max_lifetime_s="600", leeway_s="5")
        + issuer(issuer='"https://hr.test"', algorithms='["ES256"]', public_key_file=absolute)
        + issuer(issuer='"https://dev.test"', **HS256)
    )
    path.write_text(text, encoding="utf-8")
    rs, es, hs = load_trusted_issuers(path, PRINCIPALS)
    assert isinstance(rs.key, rsa.RSAPublicKey) and (rs.max_lifetime_s, rs.leeway_s) == (600, 5)
    assert isinstance(es.key, ec.EllipticCurvePublicKey) and es.algorithms == ("ES256",)
    assert hs.key == SECRET.encode() and SECRET not in repr(hs)
    assert rs.app.name == "collection_app"
