"""The upstream DSN as the wire door reads it: where and as whom the proxy logs in (pure).

`parse_dsn` takes a `postgresql://` URI or a libpq `key=value` string and gives an
`UpstreamTarget`. Only the keywords the door acts on are accepted; any other (`options`,
`passfile`, `sslcert`, ...) is refused rather than ignored, since dropping it silently would
connect differently from what was configured. The password never reaches a repr or a message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from proxy.errors import ConfigError

DEFAULT_PORT = 5432
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# the keywords the door understands; any other (`options`, `passfile`, `sslcert`...) is refused
# rather than ignored, since silently dropping it would connect differently from what was asked
DSN_KEYWORDS = frozenset(
    {"host", "port", "user", "password", "dbname", "sslmode", "sslrootcert"}
    | {"connect_timeout", "application_name"}  # accepted; the door sets both itself
)
_KEYWORD_VALUE = re.compile(r"\s*(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|(?:[^\s'\\]|\\.)*)")


@dataclass(frozen=True, slots=True)
class UpstreamTarget:
    """Where and as whom the proxy logs in; `host` starting with `/` is a socket directory."""

    host: str
    port: int
    user: str
    database: str
    password: str | None = field(default=None, repr=False)
    sslmode: str = "prefer"
    sslrootcert: str | None = None

    @property
    def socket_path(self) -> str | None:
        if not self.host.startswith("/"):
            return None
        return f"{self.host.rstrip('/')}/.s.PGSQL.{self.port}"

    @property
    def address(self) -> str:
        """The server, for messages (never the password)."""
        return self.socket_path or f"{self.host}:{self.port}"


def parse_dsn(dsn: str) -> UpstreamTarget:
    """A target from a `postgresql://` URI or a libpq `key=value` string."""
    if dsn.startswith(("postgresql://", "postgres://")):
        return _from_keywords(_uri_keywords(dsn))
    return _from_keywords(_libpq_keywords(dsn))


def _uri_keywords(dsn: str) -> dict[str, str]:
    rest = dsn.split("://", 1)[1]
    rest, _, query = rest.partition("?")
    netloc, _, path = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    keywords: dict[str, str] = {}
    if at:
        user, colon, password = userinfo.partition(":")
        keywords.update(user=_unquote(user), password=_unquote(password) if colon else "")
    keywords.update(_host_port(hostport))
    if path:
        keywords["dbname"] = _unquote(path)
    for item in filter(None, query.split("&")):
        name, _, value = item.partition("=")
        keywords[_unquote(name)] = _unquote(value)
    return keywords


def _host_port(hostport: str) -> dict[str, str]:
    if "," in hostport:
        raise ConfigError("the upstream DSN names several hosts; the wire door needs one")
    if hostport.startswith("["):
        host, _, port = hostport[1:].partition("]")
        port = port.removeprefix(":")
    else:
        host, _, port = hostport.partition(":")
    found = {"host": _unquote(host), "port": port}
    return {name: value for name, value in found.items() if value}


def _unquote(text: str) -> str:
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise ConfigError("the upstream DSN has an invalid percent-encoding") from None


def _libpq_keywords(dsn: str) -> dict[str, str]:
    keywords: dict[str, str] = {}
    position, text = 0, dsn.strip()
    while position < len(text):
        match = _KEYWORD_VALUE.match(text, position)
        if match is None:
            raise ConfigError("the upstream DSN is neither a postgresql:// URI nor key=value pairs")
        value = match.group(2)
        if value.startswith("'"):
            value = value[1:-1]
        keywords[match.group(1)] = re.sub(r"\\(.)", r"\1", value)
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    return keywords


def _from_keywords(keywords: Mapping[str, str]) -> UpstreamTarget:
    unknown = sorted(set(keywords) - DSN_KEYWORDS)
    if unknown:
        raise ConfigError(f"the upstream DSN has parameters the wire door refuses: {unknown}")
    host, user = keywords.get("host"), keywords.get("user")
    if not host:
        raise ConfigError("the upstream DSN names no host (give a host, or host=/socket/dir)")
    if not user:
        raise ConfigError("the upstream DSN names no user")
    sslmode = keywords.get("sslmode") or "prefer"
    if sslmode not in SSL_MODES:
        raise ConfigError(f"the upstream DSN has an unknown sslmode; use one of {SSL_MODES}")
    return UpstreamTarget(
        host=host,
        port=_port(keywords.get("port")),
        user=user,
        database=keywords.get("dbname") or user,
        password=keywords.get("password") or None,
        sslmode=sslmode,
        sslrootcert=keywords.get("sslrootcert") or None,
    )


def _port(text: str | None) -> int:
    if not text:
        return DEFAULT_PORT
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigError("the upstream DSN has an invalid port")
    return int(text)
