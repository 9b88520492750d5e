"""Principals: tokens stored as digests, principal files that fail loudly when wrong, and demo
tokens kept out of production."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.errors import AuthenticationFailed, ConfigError
from proxy.identity.demo import (
    DEMO_PRINCIPALS_FILE,
    DEMO_TOKENS,
    refuse_demo_tokens,
    working_demo_tokens,
)
from proxy.identity.principals import PRINCIPALS_FILE, PrincipalDirectory, token_digest
from tests.support import REPO

POLICIES = REPO / "policies"


@pytest.fixture(scope="module")
def demo_principals() -> PrincipalDirectory:
    return PrincipalDirectory.from_policies(POLICIES, DEMO_PRINCIPALS_FILE)


@pytest.mark.parametrize(("name", "token"), DEMO_TOKENS.items(), ids=DEMO_TOKENS.keys())
def test_demo_tokens_authenticate(
    demo_principals: PrincipalDirectory, name: str, token: str
) -> None:
    assert demo_principals.authenticate(token).name == name


def test_every_demo_principal_has_a_working_token(demo_principals: PrincipalDirectory) -> None:
    assert set(working_demo_tokens(demo_principals)) == set(demo_principals.principals)


@pytest.mark.parametrize("token", ["", "palata-demo-collector ", "PALATA-DEMO-DPO", "x" * 500])
def test_other_tokens_are_refused(demo_principals: PrincipalDirectory, token: str) -> None:
    with pytest.raises(AuthenticationFailed):
        demo_principals.authenticate(token)


@pytest.mark.parametrize("file", [PRINCIPALS_FILE, DEMO_PRINCIPALS_FILE], ids=["prod", "demo"])
def test_principal_files_hold_no_token_in_clear(file: str) -> None:
    text = (POLICIES / file).read_text(encoding="utf-8")
    for token in DEMO_TOKENS.values():
        assert token not in text


def test_collector_carries_its_region(demo_principals: PrincipalDirectory) -> None:
    collector = demo_principals.principals["collector"]
    assert collector.attributes["region"] == "Алматы"
    assert collector.default_purpose == "debt_collection"


def test_production_file_accepts_no_demo_token() -> None:
    production = PrincipalDirectory.from_policies(POLICIES)
    refuse_demo_tokens(production, POLICIES / PRINCIPALS_FILE)
    for token in DEMO_TOKENS.values():
        with pytest.raises(AuthenticationFailed):
            production.authenticate(token)


def test_demo_tokens_are_refused_for_production(demo_principals: PrincipalDirectory) -> None:
    with pytest.raises(ConfigError, match="uses a public demo token"):
        refuse_demo_tokens(demo_principals, POLICIES / DEMO_PRINCIPALS_FILE)


GOOD = f'roles = ["r"]\npurposes = ["p"]\ntoken_sha256 = "{token_digest("t")}"\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("[a]\nroles = []\n" + GOOD.split("\n", 1)[1], "a.roles", id="no-roles"),
        pytest.param('[a]\nroles = ["r"]\ntoken_sha256 = "abc"\n', "a.token_sha256", id="digest"),
        pytest.param(
            "[a]\n" + GOOD + 'default_purpose = "q"\n',
            "default_purpose must be one",
            id="default-purpose",
        ),
        pytest.param("[a]\n" + GOOD + "colour = 1\n", "a.colour", id="unknown-key"),
        pytest.param("[a]\n" + GOOD + "[b]\n" + GOOD, "share one token", id="shared-token"),
        pytest.param("a = 1\n", "'a' must be a [table]", id="not-table"),
        pytest.param("[a\n", "cannot be read", id="toml-syntax"),
    ],
)
def test_bad_principal_files_are_named(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "principals.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        PrincipalDirectory.from_file(path)
    assert expected in caught.value.message
    assert str(path) in caught.value.message
