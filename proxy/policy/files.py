"""Reading the policy files: the only I/O of the policy core, done once when an engine is built.

Every failure becomes a ConfigError naming the file (and, where the callers know it, the line or
key), so a broken policy stops the proxy at start or makes a reload keep the engine in force.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from proxy.errors import ConfigError

# Names of schemas, tables, columns, roles, purposes and attributes in policy files. Anything
# else (dots, glob characters, quotes) could change what a glob or a message means.
NAME = re.compile(r"[a-z_][a-z0-9_$]{0,62}")


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"policy file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"policy file {path} cannot be read: {exc}") from None


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"policy file {path} is not valid TOML: {exc}") from None


def digest(paths: Iterable[Path]) -> str:
    """A version for the set of files: SHA-256 over their names and bytes, in the given order."""
    hasher = hashlib.sha256()
    for path in paths:
        data = read_text(path).encode("utf-8")
        hasher.update(f"{path.name}\0{len(data)}\0".encode())
        hasher.update(data)
    return hasher.hexdigest()[:16]


def table_name(path: Path, key: str, value: str) -> tuple[str, str]:
    """Split `schema.table`, refusing anything that is not two plain names."""
    parts = value.split(".")
    if len(parts) != 2 or not all(NAME.fullmatch(part) for part in parts):
        raise ConfigError(f"policy file {path}: {key}: '{value}' is not a schema.table name")
    return parts[0], parts[1]


def require_table(path: Path, key: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"policy file {path}: {key} must be a table")
    return value


def require_name(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise ConfigError(f"policy file {path}: {key} must be a lower-case SQL name")
    return value
