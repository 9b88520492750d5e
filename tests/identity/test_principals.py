"""Principals: tokens stored as digests, and principal files that fail loudly when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.errors import AuthenticationFailed, ConfigError
from proxy.identity.principals import PrincipalDirectory, token_digest
from tests.conftest import REPO

DEMO = {
    "palata-demo-collector": "collector",
    "palata-demo-hr": "hr_officer",
    "palata-demo-dpo": "dpo",
    "palata-demo-security": "security_analyst",
}


@pytest.fixture(scope="module")
def repo_principals() -> PrincipalDirectory:
    return PrincipalDirectory.from_policies(REPO / "policies")


@pytest.mark.parametrize(("token", "name"), DEMO.items(), ids=DEMO.values())
def test_demo_tokens_authenticate(
    repo_principals: PrincipalDirectory, token: str, name: str
) -> None:
    assert repo_principals.authenticate(token).name == name


@pytest.mark.parametrize("token", ["", "palata-demo-collector ", "PALATA-DEMO-DPO", "x" * 500])
def test_other_tokens_are_refused(repo_principals: PrincipalDirectory, token: str) -> None:
    with pytest.raises(AuthenticationFailed):
        repo_principals.authenticate(token)


def test_the_repo_file_holds_no_token_in_clear() -> None:
    text = (REPO / "policies" / "principals.toml").read_text(encoding="utf-8")
    for token in DEMO:
        assert f'"{token}"' not in text
        assert token_digest(token) in text


def test_collector_carries_its_region(repo_principals: PrincipalDirectory) -> None:
    collector = repo_principals.principals["collector"]
    assert collector.attributes["region"] == "Алматы"
    assert collector.default_purpose == "debt_collection"


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
