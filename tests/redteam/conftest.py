"""The red-team fixture behind a real `palata-proxy serve`, and the worlds outcomes compare to.

`fixture_dsn` holds shared/redteam/schema.sql as loaded by its owner. `collector_world_dsn` is
what the collector may see, built independently of the proxy: the same data with the debtors
outside its region removed. ALLOW cases must return exactly what the same SQL returns there.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.cli.process import run_cli, running_cli, unused_port, wait_for_http
from tests.conftest import new_database
from tests.provision.support import drop_roles, unique_prefix
from tests.redteam.corpus import SECRETS, load_fixture_schema
from tests.support import REPO

CONFIG = REPO / "tests" / "redteam" / "proxy.toml"
COLLECTOR_REGION = "Алматы"


async def _load_fixture(dsn: str, *, collector_world: bool) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await load_fixture_schema(conn)
        if collector_world:
            await conn.execute("ALTER TABLE payments DROP CONSTRAINT payments_debtor_id_fkey")
            await conn.execute("DELETE FROM debtors WHERE region <> $1", COLLECTOR_REGION)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def fixture_dsn(admin_dsn: str) -> Iterator[str]:
    import asyncio

    with new_database(admin_dsn, "redteam") as dsn:
        asyncio.run(_load_fixture(dsn, collector_world=False))
        yield dsn


@pytest.fixture(scope="session")
def collector_world_dsn(admin_dsn: str) -> Iterator[str]:
    import asyncio

    with new_database(admin_dsn, "redteam_collector_world") as dsn:
        asyncio.run(_load_fixture(dsn, collector_world=True))
        yield dsn


@pytest.fixture(scope="session")
def role_prefix() -> str:
    """The prefix of the database roles `proxy_url` provisions (roles are cluster-wide)."""
    return unique_prefix()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, for the wire door's TLS (made per test run)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "palata-proxy test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "wire.crt", folder / "wire.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass(frozen=True)
class RedteamProxy:
    url: str  # the HTTP door
    pg_port: int  # the wire door, database `redteam`


@pytest.fixture(scope="session")
def redteam_proxy(
    fixture_dsn: str, role_prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RedteamProxy]:
    """`palata-proxy provision` then `palata-proxy serve` on the fixture with both doors, as
    the issues' commands start them: every case runs as a least-privilege database role, under
    a role prefix of its own (roles are cluster-wide) that is dropped at the end."""
    folder = tmp_path_factory.mktemp("redteam")
    prefix = role_prefix
    config = folder / "proxy.toml"
    config.write_text(
        CONFIG.read_text(encoding="utf-8")
        .replace(
            "[pgwire]",
            f'[upstream]\nrole_prefix = "{prefix}"\n\n[pgwire]',
        )
        .replace('dir = "policies"', f'dir = "{CONFIG.parent / "policies"}"')
        .replace('model = "../../models.conf"', f'model = "{REPO / "models.conf"}"')
        .replace("[audit]", f'[audit]\nspool_dir = "{folder / "audit-spool"}"'),
        encoding="utf-8",
    )
    provisioned = run_cli(["provision", "--config", str(config), "--upstream", fixture_dsn])
    assert provisioned.returncode == 0, provisioned.stderr + provisioned.stdout
    cert, key = self_signed_certificate(folder)
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "[pgwire]", f'[pgwire]\ntls = "offer"\ntls_cert = "{cert}"\ntls_key = "{key}"'
        ),
        encoding="utf-8",
    )
    port, pg_port = unused_port(), unused_port()
    args = ["serve", "--config", str(config), "--upstream", fixture_dsn]
    args += ["--http-port", str(port), "--pg-port", str(pg_port)]
    try:
        with running_cli(args, folder / "serve.log") as process:
            wait_for_http(f"http://127.0.0.1:{port}/healthz", process, timeout=60)
            yield RedteamProxy(f"http://127.0.0.1:{port}", pg_port)
    finally:
        drop_roles(fixture_dsn, prefix)


@pytest.fixture(scope="session")
def proxy_url(redteam_proxy: RedteamProxy) -> str:
    return redteam_proxy.url


@pytest.fixture(scope="session")
def wire_dsn(redteam_proxy: RedteamProxy) -> Callable[[str], str]:
    """The wire door's DSN for a principal, with its published password."""

    def dsn(principal: str) -> str:
        password = SECRETS[principal]
        return f"postgresql://{principal}:{password}@127.0.0.1:{redteam_proxy.pg_port}/redteam"

    return dsn
