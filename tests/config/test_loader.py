"""Settings: layers, precedence, and errors that name the key and where it came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.config import load_settings
from proxy.errors import ConfigError
from tests.support import REPO

DSN = "postgresql://proxy@db.internal:5432/palata"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "proxy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_layer() -> None:
    settings = load_settings()
    assert (settings.http.host, settings.http.port) == ("127.0.0.1", 8080)
    assert settings.upstream.dsn is None
    assert settings.pgwire.port is None


def test_flags_beat_environment_beat_file(tmp_path: Path) -> None:
    path = write(tmp_path, f'[http]\nport = 7000\nhost = "0.0.0.0"\n[upstream]\ndsn = "{DSN}"\n')
    only_file = load_settings(path)
    with_env = load_settings(path, {"PALATA_HTTP_PORT": "7100"})
    with_flag = load_settings(path, {"PALATA_HTTP_PORT": "7100"}, {"http.port": 7200})
    assert [s.http.port for s in (only_file, with_env, with_flag)] == [7000, 7100, 7200]
    assert with_flag.http.host == "0.0.0.0"
    assert with_flag.upstream_dsn == DSN


def test_unset_flags_do_not_override(tmp_path: Path) -> None:
    path = write(tmp_path, "[http]\nport = 7000\n")
    assert load_settings(path, {}, {"http.port": None}).http.port == 7000


def test_relative_paths_in_file_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "proxy.toml"
    path.write_text('[policies]\ndir = "../policies"\n', encoding="utf-8")
    assert load_settings(path).policies.dir == (tmp_path / "policies").resolve()


@pytest.mark.parametrize(
    ("toml", "environ", "flags", "expected"),
    [
        pytest.param("[http]\nport = 70000\n", {}, {}, "http.port (config file", id="port-range"),
        pytest.param("[http]\nprot = 1\n", {}, {}, "http.prot (config file", id="unknown-key"),
        pytest.param("[nope]\nx = 1\n", {}, {}, "nope (config file", id="unknown-section"),
        pytest.param(
            "",
            {"PALATA_HTTP_PORT": "eighty"},
            {},
            "http.port (environment variable PALATA_HTTP_PORT)",
            id="env-not-int",
        ),
        pytest.param(
            "", {}, {"upstream.dsn": "mysql://x"}, "upstream.dsn (command line)", id="dsn-scheme"
        ),
        pytest.param(
            "[upstream]\npool_min_size = 9\npool_max_size = 2\n",
            {},
            {},
            "pool_min_size must not exceed pool_max_size",
            id="pool-bounds",
        ),
        pytest.param('[proxy]\nlog_level = "LOUD"\n', {}, {}, "proxy.log_level", id="log-level"),
        pytest.param("[http]\nport = \n", {}, {}, "is not valid TOML", id="toml-syntax"),
        pytest.param("[http]\nport = true\n", {}, {}, "port must not be a boolean", id="bool"),
        pytest.param('[http]\nhost = ""\n', {}, {}, "http.host (config file", id="empty-host"),
        pytest.param(
            "", {}, {"upstream.dsn": "postgresql://h:abc/db"}, "not a well-formed", id="dsn-port"
        ),
        pytest.param("http = 1\n", {}, {}, "'http' must be a [section] table", id="not-table"),
        pytest.param(
            "",
            {"PALATA_HTTP_PROT": "1"},
            {},
            "unknown environment variable PALATA_HTTP_PROT",
            id="env-typo",
        ),
    ],
)
def test_bad_values_fail_naming_the_key(
    tmp_path: Path, toml: str, environ: dict[str, str], flags: dict[str, object], expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, toml), environ, flags)
    assert expected in caught.value.message


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "absent.toml")


def test_upstream_dsn_is_required_where_used() -> None:
    with pytest.raises(ConfigError, match=r"upstream\.dsn is required"):
        _ = load_settings().upstream_dsn


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.http.port = 1  # type: ignore[misc]


@pytest.mark.parametrize("name", ["proxy.example.toml", "container.toml"])
def test_shipped_configs_are_valid(name: str) -> None:
    settings = load_settings(REPO / "config" / name, {}, {"upstream.dsn": DSN})
    assert settings.policies.dir == (REPO / "policies").resolve()
    assert (settings.policies.dir / "principals.toml").is_file()


def test_model_defaults_beside_the_policies_and_anchors_to_the_file(tmp_path: Path) -> None:
    assert load_settings().policies.model_path == Path("models.conf")
    path = write(tmp_path, '[policies]\ndir = "p"\nmodel = "conf/model.conf"\n')
    assert load_settings(path).policies.model_path == (tmp_path / "conf" / "model.conf").resolve()
