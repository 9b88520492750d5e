"""The [audit] settings: an on/off switch that only takes true or false, a key that is long
enough, never echoed, and required where audit runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.config import load_settings
from proxy.errors import ConfigError

KEY = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("toml", "environ", "enabled"),
    [
        ("", {}, True),
        ("[audit]\nenabled = false\n", {}, False),
        ("", {"PALATA_AUDIT_ENABLED": "false"}, False),
        ("[audit]\nenabled = false\n", {"PALATA_AUDIT_ENABLED": "true"}, True),
    ],
    ids=["default on", "toml off", "env off", "env wins"],
)
def test_the_switch(tmp_path: Path, toml: str, environ: dict[str, str], enabled: bool) -> None:
    path = tmp_path / "proxy.toml"
    path.write_text(toml)
    assert load_settings(path, environ, {}).audit.enabled is enabled


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("enabled = 0", "enabled must be true or false"),
        ('enabled = "off"', "enabled must be true or false"),
        ("batch_max = true", "must not be a boolean"),
        ("batch_max = 0", "greater than or equal to 1"),
        ('key = "short"', "at least 32 bytes"),
        (f'key = "{KEY}"\nkey_file = "k"', "not both"),
        ('dsn = "mysql://x"', "PostgreSQL URI"),
    ],
    ids=["number", "word", "bool as number", "no batch", "short key", "two keys", "bad dsn"],
)
def test_bad_values_are_refused(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "proxy.toml"
    path.write_text(f"[audit]\n{toml}\n")
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(path, {}, {})
    assert "short" not in caught.value.message.replace("short key", "")


def test_the_key_is_required_where_audit_runs_and_never_echoed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"audit\.key_file \(or audit\.key\) is required"):
        load_settings(None, {}, {}).audit.key_bytes()
    settings = load_settings(None, {"PALATA_AUDIT_KEY": KEY}, {})
    assert settings.audit.key_bytes() == KEY.encode()
    assert KEY not in repr(settings)
    key_file = tmp_path / "audit.key"
    key_file.write_text(KEY + "\n")
    from_file = load_settings(None, {"PALATA_AUDIT_KEY_FILE": str(key_file)}, {})
    assert from_file.audit.key_bytes() == KEY.encode()


def test_the_demo_makes_its_key_once(tmp_path: Path) -> None:
    from proxy.cli.demo import with_demo_audit_key

    settings = load_settings(None, {}, {"demo.data_dir": tmp_path})
    first = with_demo_audit_key(settings)
    key_file = tmp_path / "audit.key"
    assert first.audit.key_file == key_file
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = first.audit.key_bytes()
    assert len(key) >= 32
    assert with_demo_audit_key(settings).audit.key_bytes() == key


@pytest.mark.parametrize(
    ("toml", "environ", "roles"),
    [
        ("", {}, ("dpo", "security_analyst")),
        ('[audit]\nsearch_roles = ["dpo"]\n', {}, ("dpo",)),
        ("", {"PALATA_AUDIT_SEARCH_ROLES": "dpo, auditor"}, ("dpo", "auditor")),
    ],
    ids=["default", "toml list", "env comma-separated"],
)
def test_search_roles(
    tmp_path: Path, toml: str, environ: dict[str, str], roles: tuple[str, ...]
) -> None:
    path = tmp_path / "proxy.toml"
    path.write_text(toml)
    assert load_settings(path, environ, {}).audit.search_roles == roles
