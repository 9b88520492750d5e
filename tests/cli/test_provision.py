"""`palata-proxy provision` on the red-team fixture: a dry run changes nothing, a run applies and
checks, and a privilege beyond the policy (here through PUBLIC) fails the command.

The subcommand is driven in-process through its own parser (`add_parser` + `run`), with a role
prefix of this module's own; every role it creates is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator

import asyncpg
import pytest

from proxy.cli import provision
from proxy.errors import ConfigError, ProxyError, UpstreamUnavailable
from tests.provision.support import drop_roles, load_schema, unique_prefix
from tests.support import REPO

CONFIG = REPO / "tests" / "redteam" / "proxy.toml"


@pytest.fixture(scope="module")
def prefix(fresh_dsn: str) -> Iterator[str]:
    load_schema(fresh_dsn)
    chosen = unique_prefix()
    yield chosen
    drop_roles(fresh_dsn, chosen)


def _provision(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    provision.add_parser(parser.add_subparsers())
    args = parser.parse_args(["provision", "--config", str(CONFIG), *argv])
    status: int = args.run(args)
    return status


def _roles(dsn: str, prefix: str) -> set[str]:
    async def fetch() -> set[str]:
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(
                "SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)", prefix
            )
            return {row["rolname"] for row in rows}
        finally:
            await conn.close()

    return asyncio.run(fetch())


def _execute(dsn: str, sql: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def test_dry_run_prints_grants_and_creates_nothing(
    fresh_dsn: str, prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("--upstream", fresh_dsn, "--role-prefix", prefix, "--role-set", "dpo,collector")
    assert _provision(*argv, "--dry-run") == 0
    out = capsys.readouterr().out
    assert f"collector+dpo -> {prefix}collector__dpo" in out
    assert f"collector -> {prefix}collector" in out
    assert "SELECT public.debtors (debt_amount, id, iin, notes, region)" in out
    assert f"intern -> {prefix}intern: nothing" in out
    assert _roles(fresh_dsn, prefix) == set()


def test_run_applies_checks_and_is_idempotent(
    fresh_dsn: str, prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _provision("--upstream", fresh_dsn, "--role-prefix", prefix) == 0
    first = capsys.readouterr().out
    assert "created the role (NOLOGIN NOINHERIT)" in first
    assert "Check: every database role holds exactly what its policy gives." in first
    assert _roles(fresh_dsn, prefix) == {
        prefix + r for r in ("collector", "dpo", "intern", "staff")
    }
    assert _provision("--upstream", fresh_dsn, "--role-prefix", prefix) == 0
    second = capsys.readouterr().out
    assert second.count(": no change") == 4


def test_excess_through_public_fails(fresh_dsn: str, prefix: str) -> None:
    _execute(fresh_dsn, "GRANT SELECT (salary) ON employees TO PUBLIC")
    try:
        with pytest.raises(ProxyError) as raised:
            _provision("--upstream", fresh_dsn, "--role-prefix", prefix)
    finally:
        _execute(fresh_dsn, "REVOKE SELECT (salary) ON employees FROM PUBLIC")
    # neither a configuration nor a connection error: `palata-proxy` exits with status 1
    assert not isinstance(raised.value, ConfigError | UpstreamUnavailable)
    assert raised.value.sqlstate == "42501"


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        pytest.param(
            ("--upstream", "postgresql://nobody@127.0.0.1:1/x"), UpstreamUnavailable, id="no-db"
        ),
        pytest.param(("--role-prefix", "Bad-Prefix"), ConfigError, id="bad-prefix"),
    ],
)
def test_refusals(
    fresh_dsn: str, prefix: str, argv: tuple[str, ...], error: type[ProxyError]
) -> None:
    argv = argv if "--upstream" in argv else ("--upstream", fresh_dsn, *argv)
    with pytest.raises(error):
        _provision(*argv)
