"""The one validated settings object, built once at start and passed explicitly.

Every section is a frozen pydantic model that forbids unknown keys, so a typo in the TOML file
fails at start instead of being silently ignored. `proxy.config.loader` fills these models from
the TOML file, the environment and the command line; nothing else reads the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from proxy.errors import ConfigError

Port = Annotated[int, Field(ge=1, le=65535)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProxySection(_Section):
    instance: str = Field(default="palata-proxy", min_length=1, max_length=64)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class UpstreamSection(_Section):
    dsn: str | None = None
    pool_min_size: int = Field(default=1, ge=0, le=100)
    pool_max_size: int = Field(default=10, ge=1, le=500)
    connect_timeout_s: float = Field(default=5.0, gt=0, le=120)
    ready_timeout_s: float = Field(default=2.0, gt=0, le=60)

    @field_validator("dsn")
    @classmethod
    def _postgres_uri(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a PostgreSQL URI starting with postgresql://")
        return value

    @model_validator(mode="after")
    def _pool_bounds(self) -> UpstreamSection:
        if self.pool_min_size > self.pool_max_size:
            raise ValueError("pool_min_size must not exceed pool_max_size")
        return self


class HttpSection(_Section):
    host: str = "127.0.0.1"
    port: Port = 8080
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)


class PgWireSection(_Section):
    host: str = "127.0.0.1"
    port: Port | None = None


class PoliciesSection(_Section):
    dir: Path = Path("policies")


class DemoSection(_Section):
    data_dir: Path = Path(".palata-demo")
    database: str = Field(default="palata", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    debtors: int = Field(default=10_000, ge=1, le=10_000_000)
    seed: int = 20261125


class Settings(_Section):
    proxy: ProxySection = ProxySection()
    upstream: UpstreamSection = UpstreamSection()
    http: HttpSection = HttpSection()
    pgwire: PgWireSection = PgWireSection()
    policies: PoliciesSection = PoliciesSection()
    demo: DemoSection = DemoSection()

    @property
    def upstream_dsn(self) -> str:
        """The upstream DSN, which `serve` cannot run without."""
        if self.upstream.dsn is None:
            raise ConfigError(
                "upstream.dsn is required: set it in the config file, "
                "in PALATA_UPSTREAM_DSN or with --upstream"
            )
        return self.upstream.dsn
