"""End users' JWTs: what a trusted app may vouch for, and every way a token is refused.

Keys are made here; tokens are signed with PyJWT (or forged by hand where PyJWT rightly refuses
to sign, as for `alg: none` and an HMAC keyed with a public key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from proxy.errors import AuthenticationFailed
from proxy.identity.jwt_tokens import JwtVerifier, looks_like_jwt
from proxy.identity.principals import Principal, PrincipalDirectory, token_digest

RS_ISS, ES_ISS, HS_ISS = "https://collect.test", "https://hr.test", "https://dev.test"
AUDIENCE = "palata-proxy"
HS_SECRET = "dev-secret-of-at-least-32-characters!"
SUBJECT = "u-7f3a9c"
REGION = "Алматы"
DROP = object()  # a claim override that removes the claim


@dataclass(frozen=True)
class Keys:
    rsa_key: rsa.RSAPrivateKey
    ec_key: ec.EllipticCurvePrivateKey
    stranger: rsa.RSAPrivateKey

    @property
    def rsa_public_pem(self) -> bytes:
        return public_pem(self.rsa_key)


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def principal(name: str, roles: list[str], purposes: list[str]) -> tuple[str, Principal]:
    return token_digest(name), Principal(name, tuple(roles), tuple(purposes), purposes[0])


PRINCIPALS = PrincipalDirectory(
    {
        "collection_app": principal("collection_app", ["collector"], ["debt_collection"]),
        "hr_app": principal("hr_app", ["hr_officer"], ["labour_relations"]),
        "dev_app": principal("dev_app", ["collector", "dpo"], ["dpo_review", "debt_collection"]),
    }
)

ISSUERS = f"""
allow_hs256_for_development = true

[[issuers]]
issuer = "{RS_ISS}"
audience = "{AUDIENCE}"
algorithms = ["RS256"]
public_key_file = "rsa.pem"
app_principal = "collection_app"
max_lifetime_s = 900
leeway_s = 30

[[issuers]]
issuer = "{ES_ISS}"
audience = "{AUDIENCE}"
algorithms = ["ES256"]
public_key_file = "ec.pem"
app_principal = "hr_app"

[[issuers]]
issuer = "{HS_ISS}"
audience = "{AUDIENCE}"
algorithms = ["HS256"]
hs256_secret = "{HS_SECRET}"
app_principal = "dev_app"
"""


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(
        rsa_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ec_key=ec.generate_private_key(ec.SECP256R1()),
        stranger=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


@pytest.fixture(scope="module")
def verifier(keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> JwtVerifier:
    folder = tmp_path_factory.mktemp("issuers")
    (folder / "rsa.pem").write_bytes(keys.rsa_public_pem)
    (folder / "ec.pem").write_bytes(public_pem(keys.ec_key))
    (folder / "token_issuers.toml").write_text(ISSUERS, encoding="utf-8")
    return JwtVerifier.from_file(folder / "token_issuers.toml", PRINCIPALS)


def claims(iss: object = RS_ISS, **overrides: object) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": iss,
        "aud": AUDIENCE,
        "sub": SUBJECT,
        "iat": now,
        "exp": now + 300,
        "jti": "t-1",
        "roles": ["collector"],
        "purposes": ["debt_collection"],
        "attributes": {"region": REGION, "employee_id": 17, "assigned_cases": [4, 8]},
    }
    if iss == ES_ISS:
        base |= {"roles": ["hr_officer"], "purposes": ["labour_relations"], "attributes": {}}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not DROP}


def signed(k: Keys, payload: dict[str, Any]) -> str:
    """Signed the way the payload's issuer signs."""
    if payload.get("iss") == ES_ISS:
        return jwt.encode(payload, k.ec_key, algorithm="ES256")
    if payload.get("iss") == HS_ISS:
        return jwt.encode(payload, HS_SECRET, algorithm="HS256")
    return jwt.encode(payload, k.rsa_key, algorithm="RS256")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(header: dict[str, Any], payload: dict[str, Any], hmac_key: bytes | None) -> str:
    head = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    mac = hmac.new(hmac_key, head.encode(), hashlib.sha256).digest() if hmac_key else b""
    return f"{head}.{b64(mac)}"


def tampered(k: Keys) -> str:
    head, _, signature = signed(k, claims()).split(".")
    escalated = b64(json.dumps(claims(roles=["dpo"])).encode())
    return f"{head}.{escalated}.{signature}"


# --- tokens that pass -------------------------------------------------------------------------

Make = Callable[[Keys], str]

VALID: list[Any] = [
    pytest.param(lambda k: signed(k, claims()), "collection_app", ("collector",), id="rs256"),
    pytest.param(lambda k: signed(k, claims(ES_ISS)), "hr_app", ("hr_officer",), id="es256"),
    pytest.param(
        lambda k: signed(k, claims(HS_ISS, roles=["dpo"], purposes=["dpo_review"])),
        "dev_app",
        ("dpo",),
        id="hs256-dev",
    ),
    pytest.param(
        lambda k: signed(k, claims(aud=["other", AUDIENCE])),
        "collection_app",
        ("collector",),
        id="audience-list",
    ),
    pytest.param(
        lambda k: signed(k, claims(exp=int(time.time()) - 10)),
        "collection_app",
        ("collector",),
        id="expired-within-leeway",
    ),
    pytest.param(
        lambda k: signed(k, claims(nbf=int(time.time()) + 10, iat=DROP)),
        "collection_app",
        ("collector",),
        id="nbf-within-leeway",
    ),
    pytest.param(
        lambda k: signed(k, claims(unrelated={"email": "x@y"}, jti=DROP, attributes=DROP)),
        "collection_app",
        ("collector",),
        id="minimal-and-foreign-claims",
    ),
]


@pytest.mark.parametrize(("make", "app", "roles"), VALID)
def test_valid_tokens_give_an_end_user(
    verifier: JwtVerifier, keys: Keys, make: Make, app: str, roles: tuple[str, ...]
) -> None:
    user = verifier.verify(make(keys))
    assert (user.app, user.subject, user.principal.roles) == (app, SUBJECT, roles)
    assert user.principal.name == f"{app}:{SUBJECT}"
    assert user.expires_at > time.time() - 60


def test_the_principal_carries_purposes_and_attributes(verifier: JwtVerifier, keys: Keys) -> None:
    user = verifier.verify(signed(keys, claims()))
    assert user.principal.purposes == ("debt_collection",)
    assert user.principal.default_purpose == "debt_collection"  # the app's, as the user holds it
    assert dict(user.principal.attributes) == {
        "region": REGION,
        "employee_id": 17,
        "assigned_cases": [4, 8],
    }
    assert (user.issuer, user.token_id) == (RS_ISS, "t-1")


def test_default_purpose_claim_is_honoured(verifier: JwtVerifier, keys: Keys) -> None:
    payload = claims(HS_ISS, purposes=["dpo_review", "debt_collection"])
    token = signed(keys, payload | {"default_purpose": "debt_collection"})
    assert verifier.verify(token).principal.default_purpose == "debt_collection"


# --- tokens that are refused ------------------------------------------------------------------

REFUSED: list[Any] = [
    # signature and algorithm
    pytest.param(lambda k: tampered(k), "signature is not valid", id="tampered-payload"),
    pytest.param(
        lambda k: jwt.encode(claims(), k.stranger, algorithm="RS256"),
        "signature is not valid",
        id="stranger-key",
    ),
    pytest.param(
        lambda k: forged({"alg": "HS256", "typ": "JWT"}, claims(), k.rsa_public_pem),
        "algorithm is not allowed",
        id="key-confusion-hs256-with-public-key",
    ),
    pytest.param(
        lambda k: forged({"alg": "HS256"}, claims(HS_ISS), k.rsa_public_pem),
        "signature is not valid",
        id="hs256-with-wrong-secret",
    ),
    pytest.param(lambda k: forged({"alg": "none"}, claims(), None), "algorithm", id="alg-none"),
    pytest.param(lambda k: forged({"alg": "None"}, claims(), None), "algorithm", id="alg-None"),
    pytest.param(
        lambda k: forged({"alg": "none"}, claims(HS_ISS), None), "algorithm", id="alg-none-dev"
    ),
    pytest.param(
        lambda k: jwt.encode(claims(), k.ec_key, algorithm="ES256"),
        "algorithm is not allowed",
        id="es256-for-rs256-issuer",
    ),
    pytest.param(
        lambda k: jwt.encode(claims(HS_ISS), k.rsa_key, algorithm="RS256"),
        "algorithm is not allowed",
        id="rs256-for-hs256-issuer",
    ),
    pytest.param(
        lambda k: jwt.encode(claims(), k.rsa_key, algorithm="PS256"),
        "algorithm is not allowed",
        id="ps256",
    ),
    # issuer and audience
    pytest.param(
        lambda k: signed(k, claims(iss="https://evil.test")), "issuer not trusted", id="issuer"
    ),
    pytest.param(lambda k: signed(k, claims(iss=DROP)), "names no issuer", id="no-issuer"),
    pytest.param(
        lambda k: forged({"alg": "RS256"}, claims(iss=[RS_ISS]), None),
        "names no issuer",
        id="issuer-list",
    ),
    pytest.param(lambda k: signed(k, claims(aud="other")), "another audience", id="audience"),
    pytest.param(lambda k: signed(k, claims(aud=DROP)), "lacks the 'aud'", id="no-audience"),
    # time
    pytest.param(
        lambda k: signed(k, claims(exp=int(time.time()) - 60)), "has expired", id="expired"
    ),
    pytest.param(
        lambda k: signed(k, claims(nbf=int(time.time()) + 120)), "not valid yet", id="nbf-future"
    ),
    pytest.param(
        lambda k: signed(k, claims(iat=int(time.time()) + 120)), "not valid yet", id="iat-future"
    ),
    pytest.param(lambda k: signed(k, claims(exp=DROP)), "lacks the 'exp'", id="no-exp"),
    pytest.param(
        lambda k: signed(k, claims(exp=str(int(time.time()) + 60))),
        "'exp' claim is not valid",
        id="exp-as-string",
    ),
    pytest.param(
        lambda k: signed(k, claims(exp=int(time.time()) + 3600)), "lives longer", id="too-long"
    ),
    pytest.param(
        lambda k: signed(k, claims(iat=int(time.time()) - 2000)),
        "lives longer",
        id="issued-long-ago-for-long",
    ),
    pytest.param(lambda k: signed(k, claims(iat="now")), "'iat' claim", id="iat-as-string"),
    # subject
    pytest.param(lambda k: signed(k, claims(sub=DROP)), "lacks the 'sub'", id="no-sub"),
    pytest.param(lambda k: signed(k, claims(sub="")), "'sub' claim", id="empty-sub"),
    pytest.param(lambda k: signed(k, claims(sub=42)), "'sub' claim", id="sub-number"),
    pytest.param(lambda k: signed(k, claims(sub="a" * 129)), "'sub' claim", id="sub-too-long"),
    pytest.param(lambda k: signed(k, claims(sub="bob\nadmin")), "'sub' claim", id="sub-newline"),
    pytest.param(lambda k: signed(k, claims(sub="x:y")), "'sub' claim", id="sub-colon"),
    # roles and purposes: the app passes on only what it holds
    pytest.param(
        lambda k: signed(k, claims(roles=["collector", "dpo"])),
        "role 'dpo' is not allowed for app 'collection_app'",
        id="role-escalation",
    ),
    pytest.param(
        lambda k: signed(k, claims(purposes=["dpo_review"])),
        "purpose 'dpo_review' is not allowed for app 'collection_app'",
        id="purpose-escalation",
    ),
    pytest.param(
        lambda k: signed(k, claims(ES_ISS, roles=["collector"])),
        "role 'collector' is not allowed for app 'hr_app'",
        id="role-of-another-app",
    ),
    pytest.param(lambda k: signed(k, claims(roles=DROP)), "lacks the 'roles'", id="no-roles"),
    pytest.param(lambda k: signed(k, claims(roles=[])), "'roles' claim", id="empty-roles"),
    pytest.param(lambda k: signed(k, claims(roles="collector")), "'roles'", id="roles-string"),
    pytest.param(lambda k: signed(k, claims(roles=[1])), "'roles' claim", id="role-number"),
    pytest.param(
        lambda k: signed(k, claims(roles=["Robert'); DROP TABLE x"])),
        "'roles' claim is not valid",
        id="role-not-a-name",
    ),
    pytest.param(
        lambda k: signed(k, claims(roles=["collector\n"])),
        "'roles' claim is not valid",
        id="role-trailing-newline",
    ),
    pytest.param(
        lambda k: signed(k, claims(roles=["collector"] * 33)), "'roles'", id="too-many-roles"
    ),
    pytest.param(lambda k: signed(k, claims(purposes=DROP)), "'purposes'", id="no-purposes"),
    pytest.param(
        lambda k: signed(k, claims(default_purpose="labour_relations")),
        "'default_purpose' is not one",
        id="default-purpose-outside",
    ),
    # attributes
    pytest.param(
        lambda k: signed(k, claims(attributes={"region": 5})),
        "'attributes.region' claim",
        id="region-number",
    ),
    pytest.param(
        lambda k: signed(k, claims(attributes={"region": "x" * 65})),
        "'attributes.region' claim",
        id="region-too-long",
    ),
    pytest.param(
        lambda k: signed(k, claims(attributes={"employee_id": "17"})),
        "'attributes.employee_id'",
        id="employee-id-string",
    ),
    pytest.param(
        lambda k: signed(k, claims(attributes={"employee_id": True})),
        "'attributes.employee_id'",
        id="employee-id-boolean",
    ),
    pytest.param(
        lambda k: signed(k, claims(attributes={"assigned_cases": list(range(1, 1002))})),
        "'attributes.assigned_cases'",
        id="too-many-cases",
    ),
    pytest.param(
        lambda k: signed(k, claims(attributes={"assigned_cases": [1, "2"]})),
        "'attributes.assigned_cases'",
        id="case-not-a-number",
    ),
    pytest.param(
        lambda k: signed(k, claims(attributes={"is_admin": True})),
        "attribute the proxy does not know",
        id="unknown-attribute",
    ),
    pytest.param(
        lambda k: signed(k, claims(attributes=[REGION])), "'attributes'", id="attributes-list"
    ),
    pytest.param(lambda k: signed(k, claims(jti="j" * 129)), "'jti' claim", id="jti-too-long"),
    # not a token at all
    pytest.param(lambda k: "", "malformed", id="empty"),
    pytest.param(lambda k: "a.b.c", "malformed", id="garbage-segments"),
    pytest.param(lambda k: "x" * 9000, "too long", id="too-long-string"),
    pytest.param(lambda k: signed(k, claims()) + ".x", "malformed", id="four-segments"),
    pytest.param(lambda k: f"{b64(b'{}')}.{b64(b'[1]')}.", "malformed", id="payload-array"),
    pytest.param(
        lambda k: f"{b64(b'not json')}.{b64(json.dumps(claims()).encode())}.{b64(b'sig')}",
        "malformed",
        id="header-not-json",
    ),
    pytest.param(
        lambda k: signed(k, claims())[:-6], "signature is not valid", id="truncated-signature"
    ),
]


@pytest.mark.parametrize(("make", "reason"), REFUSED)
def test_bad_tokens_are_refused_with_a_reason(
    verifier: JwtVerifier, keys: Keys, make: Make, reason: str
) -> None:
    token = make(keys)
    with pytest.raises(AuthenticationFailed) as caught:
        verifier.verify(token)
    message = caught.value.message
    assert reason in message
    assert (caught.value.sqlstate, caught.value.http_status) == ("28000", 401)
    for secret in (SUBJECT, REGION, "Robert", token[:40] or "<none>"):
        assert secret not in message


def test_a_proxy_without_issuers_refuses_every_token(keys: Keys) -> None:
    with pytest.raises(AuthenticationFailed, match="trusts no token issuers"):
        JwtVerifier(()).verify(signed(keys, claims()))


# --- telling a JWT from an API key ------------------------------------------------------------

SHAPES: list[Any] = [
    pytest.param(lambda k: signed(k, claims()), True, id="jwt"),
    pytest.param(lambda k: forged({"alg": "none"}, claims(), None), True, id="unsigned-jwt"),
    pytest.param(lambda k: "palata-demo-collector", False, id="demo-token"),
    pytest.param(lambda k: "q8Yk3mZ0+/AbCdEfGhIjKlMnOpQrStUvWxYz0123456=", False, id="api-key"),
    pytest.param(lambda k: "key.with.dots", False, id="dotted-api-key"),
    pytest.param(lambda k: f"{b64(b'[1]')}.e30.", False, id="header-not-object"),
    pytest.param(lambda k: "eyJhbGciOiJub25lIn0.e30", False, id="two-segments"),
]


@pytest.mark.parametrize(("make", "expected"), SHAPES)
def test_looks_like_jwt(keys: Keys, make: Make, expected: bool) -> None:
    assert looks_like_jwt(make(keys)) is expected


def test_verifier_reports_what_it_trusts(verifier: JwtVerifier) -> None:
    assert verifier.issuers == (RS_ISS, ES_ISS, HS_ISS)
    assert verifier.allows_hs256
