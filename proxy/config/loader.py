"""Builds `Settings` from three layers: the TOML file, `PALATA_…` environment variables, flags.

Later layers win (flags over environment over file). Every key remembers where it came from, so
a wrong value fails at start with a message naming the key and its source. Relative paths in the
file are taken relative to the file, so a config works from any working directory.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from proxy.config.settings import Settings
from proxy.errors import ConfigError

ENV_PREFIX = "PALATA_"

Layer = dict[str, dict[str, Any]]


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge the layers and validate; raise ConfigError naming every bad key."""
    data: Layer = {}
    sources: dict[str, str] = {}
    if config_file is not None:
        _merge(data, sources, _read_toml(config_file), lambda s, k: f"config file {config_file}")
    _merge(data, sources, _env_layer(environ or {}), env_variable)
    _merge(data, sources, _flag_layer(flags or {}), lambda s, k: "command line")
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, sources)) from None


def env_name(section: str, key: str) -> str:
    return f"{ENV_PREFIX}{section}_{key}".upper()


def env_variable(section: str, key: str) -> str:
    return f"environment variable {env_name(section, key)}"


def _section_models() -> dict[str, type[BaseModel]]:
    models: dict[str, type[BaseModel]] = {}
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        assert isinstance(annotation, type) and issubclass(annotation, BaseModel)
        models[name] = annotation
    return models


def _path_keys() -> set[str]:
    return {
        f"{section}.{key}"
        for section, model in _section_models().items()
        for key, field in model.model_fields.items()
        if field.annotation is Path or Path in get_args(field.annotation)
    }


def _read_toml(path: Path) -> Layer:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    layer: Layer = {}
    for section, values in raw.items():
        if not isinstance(values, dict):
            raise ConfigError(f"config file {path}: '{section}' must be a [section] table")
        layer[section] = dict(values)
    _anchor_paths(layer, path.parent)
    return layer


def _anchor_paths(layer: Layer, base: Path) -> None:
    for dotted in _path_keys():
        section, key = dotted.split(".")
        value = layer.get(section, {}).get(key)
        if isinstance(value, str):
            path = Path(value).expanduser()
            layer[section][key] = str(path if path.is_absolute() else (base / path).resolve())


def _env_layer(environ: Mapping[str, str]) -> Layer:
    known = {
        env_name(section, key): (section, key)
        for section, model in _section_models().items()
        for key in model.model_fields
    }
    unknown = sorted(n for n in environ if n.startswith(ENV_PREFIX) and n not in known)
    if unknown:
        raise ConfigError(
            f"unknown environment variable {unknown[0]}; the proxy reads only these: "
            + ", ".join(sorted(known))
        )
    layer: Layer = {}
    for name, (section, key) in known.items():
        if name in environ:
            layer.setdefault(section, {})[key] = environ[name]
    return layer


def _flag_layer(flags: Mapping[str, Any]) -> Layer:
    layer: Layer = {}
    for dotted, value in flags.items():
        if value is None:
            continue
        section, key = dotted.split(".")
        layer.setdefault(section, {})[key] = value
    return layer


def _merge(
    data: Layer, sources: dict[str, str], layer: Layer, origin: Callable[[str, str], str]
) -> None:
    for section, values in layer.items():
        for key, value in values.items():
            data.setdefault(section, {})[key] = value
            sources[f"{section}.{key}"] = origin(section, key)


def _describe(exc: ValidationError, sources: Mapping[str, str]) -> str:
    lines = ["invalid configuration:"]
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        key = ".".join(loc[:2])
        source = sources.get(key) or next(
            (where for k, where in sources.items() if k.startswith(f"{key}.")), None
        )
        origin = f" ({source})" if source else ""
        if error["type"] == "extra_forbidden":
            reason = "unknown key"
        else:
            reason = error["msg"]
            if reason.startswith("Value error, "):
                reason = reason[len("Value error, ") :]
        lines.append(f"  {key or '(top level)'}{origin}: {reason}")
    return "\n".join(lines)
