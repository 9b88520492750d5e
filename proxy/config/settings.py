"""The one validated settings object, built once at start and passed explicitly.

Every section is a frozen pydantic model that forbids unknown keys, so a typo in the TOML file
fails at start instead of being silently ignored. `proxy.config.loader` fills these models from
the TOML file, the environment and the command line; nothing else reads the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from proxy.errors import ConfigError

MIN_KEY_BYTES = 32
DEFAULT_SPOOL_DIR = Path(".palata-audit")  # the audit spool, relative to the working folder
Port = Annotated[int, Field(ge=1, le=65535)]
Host = Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.:_-]+$")]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic's lax mode reads `port = true` as 1; no setting here is a boolean
        if isinstance(value, bool):
            raise ValueError(f"{info.field_name} must not be a boolean")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _expand_home(cls, value: Any) -> Any:
        return value.expanduser() if isinstance(value, Path) else value


class ProxySection(_Section):
    instance: str = Field(default="palata-proxy", pattern=r"^[A-Za-z0-9._-]{1,64}$")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class UpstreamSection(_Section):
    dsn: str | None = None
    pool_min_size: int = Field(default=1, ge=0, le=100)
    pool_max_size: int = Field(default=10, ge=1, le=500)
    connect_timeout_s: float = Field(default=5.0, gt=0, le=120)
    ready_timeout_s: float = Field(default=2.0, gt=0, le=60)
    # set: each statement runs as the provisioned database role <prefix><role> (defence in
    # depth, see `palata-proxy provision`); unset: as the proxy's own login
    role_prefix: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,30}$")
    # how often the catalogue fingerprint is compared, so a schema change reaches the analysis
    # even without the DDL event trigger `provision` installs (which pushes it at once)
    catalog_check_interval_s: float = Field(default=30.0, ge=0.5, le=3600)

    @field_validator("dsn")
    @classmethod
    def _postgres_uri(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a PostgreSQL URI starting with postgresql://")
        try:
            _ = urlsplit(value).port  # parses the netloc; a bad port or bracket raises
        except ValueError:
            raise ValueError("is not a well-formed URI (check the host and port)") from None
        return value

    @model_validator(mode="after")
    def _pool_bounds(self) -> UpstreamSection:
        if self.pool_min_size > self.pool_max_size:
            raise ValueError("pool_min_size must not exceed pool_max_size")
        return self


class HttpSection(_Section):
    host: Host = "127.0.0.1"
    port: Port = 8080
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    shutdown_timeout_s: float = Field(default=5.0, ge=0, le=300)


class QuerySection(_Section):
    statement_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    max_rows: int = Field(default=10_000, ge=1, le=1_000_000)


class PgWireSection(_Section):
    host: Host = "127.0.0.1"
    port: Port | None = None  # unset: no wire door
    # the database name clients connect to; unset: the upstream DSN's database
    database: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_$-]{0,62}$")
    # TLS: `offer` answers SSLRequest with the certificate below, `require` also refuses
    # clients that log in without it; `off` declines every SSLRequest
    tls: Literal["off", "offer", "require"] = "off"
    tls_cert: Path | None = None  # PEM certificate chain
    tls_key: Path | None = None  # PEM private key
    # rows of one statement run are held until its audit record is durable: past this size the
    # run is refused (a cursor or a fetch size reads a large result in parts)
    max_result_bytes: int = Field(default=64 * 1_048_576, ge=65_536, le=4 * 1_073_741_824)

    @model_validator(mode="after")
    def _tls_has_its_files(self) -> PgWireSection:
        if self.tls != "off" and (self.tls_cert is None or self.tls_key is None):
            raise ValueError("pgwire.tls needs pgwire.tls_cert and pgwire.tls_key")
        return self


class PoliciesSection(_Section):
    dir: Path = Path("policies")
    model: Path | None = None  # the Casbin model; by default models.conf beside the policies
    token_issuers: Path | None = None  # apps that sign end users' JWTs; unset: JWTs refused

    @property
    def model_path(self) -> Path:
        return self.model if self.model is not None else self.dir.parent / "models.conf"


class RedactionSection(_Section):
    """The secret behind `pseudonym` masks (HMAC-SHA256): inline, or in a file only the proxy
    may read. Never logged or echoed; needed only when a policy names a `pseudonym` mask."""

    pseudonym_key: SecretStr | None = None
    pseudonym_key_file: Path | None = None

    @model_validator(mode="after")
    def _one_key(self) -> RedactionSection:
        if self.pseudonym_key is not None and self.pseudonym_key_file is not None:
            raise ValueError(
                "set redaction.pseudonym_key or redaction.pseudonym_key_file, not both"
            )
        if self.pseudonym_key is not None:
            _check_key_length(self.pseudonym_key.get_secret_value().encode())
        return self

    def pseudonym_key_bytes(self) -> bytes | None:
        """The key, read from its file if it lives in one; None when none is configured."""
        if self.pseudonym_key is not None:
            return self.pseudonym_key.get_secret_value().encode()
        if self.pseudonym_key_file is None:
            return None
        return read_key_file(self.pseudonym_key_file, "redaction.pseudonym_key_file", "pseudonym")


def read_key_file(path: Path, setting: str, what: str) -> bytes:
    """A secret kept in a file (surrounding whitespace dropped); ConfigError naming `setting`
    when it cannot be read or is too short. The key itself is never echoed."""
    try:
        key = path.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(
            f"{setting} {path} cannot be read: {exc.strerror or type(exc).__name__}"
        ) from None
    try:
        _check_key_length(key, what)
    except ValueError as exc:
        raise ConfigError(f"{setting} {path}: {exc}") from None
    return key


def _check_key_length(key: bytes, what: str = "pseudonym") -> None:
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"the {what} key must be at least {MIN_KEY_BYTES} bytes (e.g. `openssl rand -hex 32`)"
        )


class AuditSection(_Section):
    """The audit trail (`proxy.audit`): one chained, signed record per statement, written to
    schema `palata_audit` of `dsn` (else the upstream database) or, while that is down, to a
    local fsync'd spool. The key (inline or in a file, at least 32 bytes) signs the chain and
    keys the subject and parameter fingerprints; it is required when audit is on, checked
    where it is used (`key_bytes`), and never logged or echoed."""

    enabled: bool = True  # off only for benchmarks: statements are then served unaudited
    dsn: str | None = None
    key: SecretStr | None = None
    key_file: Path | None = None
    spool_dir: Path = DEFAULT_SPOOL_DIR
    batch_max: int = Field(default=256, ge=1, le=10_000)
    subject_cap: int = Field(default=1000, ge=0, le=100_000)
    retention_days: int = Field(default=1827, ge=1, le=36_500)
    search_roles: tuple[str, ...] = ("dpo", "security_analyst")

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        # the one boolean setting: TOML `enabled = false` or PALATA_AUDIT_ENABLED=false; numbers
        # and words such as "off" are refused so a typo cannot switch the audit off
        if info.field_name == "enabled":
            return _strict_boolean(value)
        if isinstance(value, bool):
            raise ValueError(f"{info.field_name} must not be a boolean")
        return value

    @field_validator("dsn")
    @classmethod
    def _postgres_uri(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a PostgreSQL URI starting with postgresql://")
        return value

    @field_validator("search_roles", mode="before")
    @classmethod
    def _roles_from_text(cls, value: Any) -> Any:
        # from the environment: PALATA_AUDIT_SEARCH_ROLES=dpo,security_analyst
        if isinstance(value, str):
            return tuple(role.strip() for role in value.split(",") if role.strip())
        return value

    @model_validator(mode="after")
    def _one_key(self) -> AuditSection:
        if self.key is not None and self.key_file is not None:
            raise ValueError("set audit.key or audit.key_file, not both")
        if self.key is not None:
            _check_key_length(self.key.get_secret_value().encode(), "audit")
        return self

    def key_bytes(self) -> bytes:
        """The audit key, read from its file if it lives in one; ConfigError when none is set."""
        if self.key is not None:
            return self.key.get_secret_value().encode()
        if self.key_file is None:
            raise ConfigError(
                "audit.key_file (or audit.key) is required while audit is on: e.g. "
                "`openssl rand -hex 32 > audit.key; chmod 600 audit.key`, or set "
                "PALATA_AUDIT_KEY; `audit.enabled = false` is for benchmarks only"
            )
        return read_key_file(self.key_file, "audit.key_file", "audit")


def _strict_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError("enabled must be true or false")


class WebhookTarget(_Section):
    """Where alerts are posted as JSON. With a secret (inline or in a file), each body is
    signed: header `X-Palata-Signature: sha256=<hex HMAC of the body>`."""

    url: str
    secret: SecretStr | None = None
    secret_file: Path | None = None
    timeout_s: float = Field(default=5.0, gt=0, le=120)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _one_secret(self) -> WebhookTarget:
        if self.secret is not None and self.secret_file is not None:
            raise ValueError("set secret or secret_file, not both")
        return self

    def secret_bytes(self) -> bytes | None:
        if self.secret is not None:
            return self.secret.get_secret_value().encode()
        if self.secret_file is None:
            return None
        return read_key_file(self.secret_file, "detection.webhooks.secret_file", "webhook")


class DetectionSection(_Section):
    """Watching the audit trail for unlawful access (`proxy.watch`): the rules are policy
    (`rules`, by default `detection.toml` in the policies folder); how often they run, who may
    read alerts and lift suspensions, and where alerts are posted are deployment."""

    enabled: bool = True
    rules: Path | None = None  # unset: <policies.dir>/detection.toml
    interval_s: float = Field(default=10.0, ge=0.1, le=3600)
    settle_s: float = Field(default=5.0, ge=0, le=600)  # records younger than this wait a tick
    security_roles: tuple[str, ...] = ("dpo", "security_analyst")
    webhooks: tuple[WebhookTarget, ...] = ()
    webhook_queue_max: int = Field(default=1000, ge=1, le=1_000_000)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name == "enabled":  # the one boolean: true or false, nothing else
            return _strict_boolean(value)
        if isinstance(value, bool):
            raise ValueError(f"{info.field_name} must not be a boolean")
        return value

    @field_validator("security_roles", mode="before")
    @classmethod
    def _roles_from_text(cls, value: Any) -> Any:
        # from the environment: PALATA_DETECTION_SECURITY_ROLES=dpo,security_analyst
        if isinstance(value, str):
            return tuple(role.strip() for role in value.split(",") if role.strip())
        return value


class DemoSection(_Section):
    data_dir: Path = Path(".palata-demo")
    database: str = Field(default="palata", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    debtors: int = Field(default=10_000, ge=1, le=10_000_000)
    seed: int = Field(default=20261125, ge=0, le=2**63 - 1)


class Settings(_Section):
    proxy: ProxySection = ProxySection()
    upstream: UpstreamSection = UpstreamSection()
    http: HttpSection = HttpSection()
    query: QuerySection = QuerySection()
    pgwire: PgWireSection = PgWireSection()
    policies: PoliciesSection = PoliciesSection()
    redaction: RedactionSection = RedactionSection()
    audit: AuditSection = AuditSection()
    detection: DetectionSection = DetectionSection()
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

    @property
    def detection_rules(self) -> Path:
        """The detection rules' file: `detection.rules`, else detection.toml in the policies."""
        return self.detection.rules or self.policies.dir / "detection.toml"
