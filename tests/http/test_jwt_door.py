"""End users through the HTTP door: a JWT signed by a trusted app, on a real database."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer

from proxy.http.app import create_app
from proxy.identity.jwt_tokens import JwtVerifier
from proxy.identity.principals import PrincipalDirectory, token_digest
from proxy.pipeline import Pipeline
from proxy.upstream.pool import open_upstream
from tests.http.conftest import Client, settings_for

SECRET = "a-development-secret-of-40-characters!!!"
ISSUER, AUDIENCE = "https://collect.dev", "palata-proxy"


@pytest.fixture
async def client(fresh_dsn: str, tmp_path: Path) -> AsyncIterator[Client]:
    (tmp_path / "principals.toml").write_text(
        f'[collection_app]\nroles = ["collector"]\npurposes = ["debt_collection"]\n'
        f'default_purpose = "debt_collection"\ntoken_sha256 = "{token_digest("app-key-xyz")}"\n',
        encoding="utf-8",
    )
    (tmp_path / "token_issuers.toml").write_text(
        "allow_hs256_for_development = true\n[[issuers]]\n"
        f'issuer = "{ISSUER}"\naudience = "{AUDIENCE}"\nalgorithms = ["HS256"]\n'
        f'hs256_secret = "{SECRET}"\napp_principal = "collection_app"\n',
        encoding="utf-8",
    )
    principals = PrincipalDirectory.from_file(tmp_path / "principals.toml")
    verifier = JwtVerifier.from_file(tmp_path / "token_issuers.toml", principals)
    settings = settings_for(fresh_dsn)
    async with open_upstream(settings.upstream_dsn, settings.upstream) as upstream:
        pipeline = await Pipeline.build(settings, upstream)
        app = create_app(settings, upstream, principals, pipeline, verifier)
        async with TestClient(TestServer(app)) as c:
            yield c


def token(**overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": "user-42", "iat": now, "exp": now + 300,
        "roles": ["collector"], "purposes": ["debt_collection"],
        "attributes": {"region": "Алматы"},
    } | overrides  # fmt: skip
    return jwt.encode(claims, SECRET, algorithm="HS256")


async def test_an_end_user_is_named_with_the_app(client: Client) -> None:
    response = await client.get("/v1/whoami", headers={"Authorization": f"Bearer {token()}"})
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["principal"] == "collection_app:user-42"
    assert body["roles"] == ["collector"]
    assert body["attributes"] == {"region": "Алматы"}


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"roles": ["dpo"]}, id="role-the-app-does-not-hold"),
        pytest.param({"exp": int(time.time()) - 600}, id="expired"),
        pytest.param({"aud": "someone-else"}, id="audience"),
    ],
)
async def test_bad_tokens_are_refused(client: Client, overrides: dict[str, Any]) -> None:
    response = await client.get(
        "/v1/whoami", headers={"Authorization": f"Bearer {token(**overrides)}"}
    )
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "28000"


async def test_the_app_key_still_works_for_the_service_itself(client: Client) -> None:
    response = await client.get("/v1/whoami", headers={"Authorization": "Bearer app-key-xyz"})
    assert (await response.json())["principal"] == "collection_app"
