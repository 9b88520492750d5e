"""`palata-proxy generate` as a real process: builds, refuses to overwrite, replaces on request."""

from __future__ import annotations

import asyncpg
import pytest

from tests.cli.process import run_cli


@pytest.fixture(scope="module")
def built(fresh_dsn: str) -> str:
    result = run_cli(["generate", "--upstream", fresh_dsn, "--debtors", "200", "--quiet"])
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_generate_reports_what_it_built(built: str) -> None:
    assert "200 debtors, seed 20261125" in built
    assert "rows/s" in built


async def test_the_database_holds_what_was_reported(fresh_dsn: str, built: str) -> None:
    conn = await asyncpg.connect(fresh_dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM debtors") == 200
    finally:
        await conn.close()
    line = next(x for x in built.splitlines() if x.strip().startswith("debtors "))
    assert line.split()[-1] == "200"


def test_an_existing_dataset_is_not_overwritten(fresh_dsn: str, built: str) -> None:
    result = run_cli(["generate", "--upstream", fresh_dsn, "--debtors", "100", "--quiet"])
    assert result.returncode == 1
    assert "already holds Palata tables" in result.stderr
    assert "--replace" in result.stderr
    assert "Traceback" not in result.stderr


def test_replace_rebuilds(fresh_dsn: str, built: str) -> None:
    result = run_cli(
        [
            "generate",
            "--upstream",
            fresh_dsn,
            "--debtors",
            "100",
            "--seed",
            "7",
            "--replace",
            "--quiet",
        ]
    )
    assert result.returncode == 0, result.stderr
    assert "100 debtors, seed 7" in result.stdout


def test_generate_needs_a_database() -> None:
    result = run_cli(["generate", "--quiet"])
    assert result.returncode == 2
    assert "upstream.dsn is required" in result.stderr
