"""The pseudonym key: inline or from a file, long enough, never echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.config import load_settings
from proxy.errors import ConfigError

KEY = "0123456789abcdef0123456789abcdef"


def test_no_key_by_default() -> None:
    assert load_settings(None, {}, {}).redaction.pseudonym_key_bytes() is None


def test_an_inline_key_comes_from_the_environment() -> None:
    settings = load_settings(None, {"PALATA_REDACTION_PSEUDONYM_KEY": KEY}, {})
    assert settings.redaction.pseudonym_key_bytes() == KEY.encode()
    assert KEY not in repr(settings), "the key is a secret: never in a repr or a log line"


def test_a_key_file_is_read_and_stripped(tmp_path: Path) -> None:
    path = tmp_path / "pseudonym.key"
    path.write_text(f"{KEY}\n")
    settings = load_settings(None, {"PALATA_REDACTION_PSEUDONYM_KEY_FILE": str(path)}, {})
    assert settings.redaction.pseudonym_key_bytes() == KEY.encode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot be read"),
        ("short", "at least 32 bytes"),
    ],
    ids=["missing", "short"],
)
def test_a_bad_key_file_is_refused_naming_the_key(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "pseudonym.key"
    if content is not None:
        path.write_text(content)
    settings = load_settings(None, {"PALATA_REDACTION_PSEUDONYM_KEY_FILE": str(path)}, {})
    with pytest.raises(ConfigError, match=message) as caught:
        settings.redaction.pseudonym_key_bytes()
    assert "redaction.pseudonym_key_file" in caught.value.message
    if content is not None:
        assert content not in caught.value.message.replace(str(path), "")
