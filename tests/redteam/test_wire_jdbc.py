"""pgjdbc, the real Java driver, against the wire door of a real `palata-proxy serve` (red-team
fixture): what a JDBC application or a tool built on it (DBeaver) sends, as the driver sends it.

tests/redteam/jdbc/WireCheck.java runs the checks as the collector and prints one
`name<TAB>result` line each; this module compiles it once, runs it once, and reads the lines as
a table. What pgjdbc 42.5.5 puts on the wire (named statements past prepareThreshold with binary
results and no Describe, BEGIN pipelined with a named portal read by Execute(max_rows)):
pgwire_and_bypass.md §1.2. The driver comes from Debian's `libpostgresql-jdbc-java`
(`scripts/client-tools` installs it); without it these tests fail, they do not skip.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest

from tests.redteam.conftest import COLLECTOR_REGION, RedteamProxy
from tests.redteam.corpus import SECRETS
from tests.redteam.wire_support import DATABASE

JAR = Path("/usr/share/java/postgresql.jar")
SOURCE = Path(__file__).parent / "jdbc" / "WireCheck.java"
MISSING_JAR = f"{JAR} is missing: install pgjdbc with `apt-get install -y libpostgresql-jdbc-java`"
TIMEOUT_S = 120
MASK = "********"


@dataclass(frozen=True)
class CollectorView:
    """What the collector should see, read past the proxy."""

    first_id: int  # the collector's first debtor by id
    first_iin_masked: str  # its IIN as the collector's mask shows it
    first_iin: str = field(repr=False)  # its real IIN: must not cross the door, nor show here
    visible: int  # how many debtors the collector sees
    role: str  # the database role the collector's statements must run as


def _require_pgjdbc() -> None:
    if not JAR.is_file():
        pytest.fail(MISSING_JAR, pytrace=False)


@pytest.fixture(scope="module")
def classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """WireCheck compiled against the installed pgjdbc, once per module."""
    _require_pgjdbc()
    javac = shutil.which("javac")
    assert javac is not None, "javac (Java 17) must be on PATH"
    out = tmp_path_factory.mktemp("jdbc")
    command = [javac, "-cp", str(JAR), "-d", str(out), str(SOURCE)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def checks(classes: Path, redteam_proxy: RedteamProxy, view: CollectorView) -> dict[str, str]:
    """Every `name<TAB>result` line WireCheck printed, by name, from one run as the collector;
    whatever a check expects, none of them may hold a real IIN."""
    java = shutil.which("java")
    assert java is not None, "java (17) must be on PATH"
    url = (
        f"jdbc:postgresql://127.0.0.1:{redteam_proxy.pg_port}/{DATABASE}"
        "?prepareThreshold=5&sslmode=disable"
    )
    command = [java, "-cp", f"{classes}:{JAR}", "WireCheck", url, "collector"]
    done = subprocess.run(
        [*command, SECRETS["collector"]], capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert done.returncode == 0, done.stderr
    lines = [line.split("\t", 1) for line in done.stdout.splitlines()]
    assert all(len(line) == 2 for line in lines), done.stdout
    found = {name: result for name, result in lines}
    assert len(found) == len(lines), "WireCheck printed a check twice"
    assert view.first_iin not in done.stdout, "a debtor's IIN crossed the door unmasked"
    return found


async def _fixture_facts(dsn: str) -> tuple[int, str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        sql = "SELECT id, iin FROM debtors WHERE region = $1 ORDER BY id LIMIT 1"
        first = await conn.fetchrow(sql, COLLECTOR_REGION)
        sql = "SELECT count(*) FROM debtors WHERE region = $1"
        visible = await conn.fetchval(sql, COLLECTOR_REGION)
        return int(first["id"]), str(first["iin"]), int(visible)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def view(fixture_dsn: str, role_prefix: str) -> CollectorView:
    first_id, iin, visible = asyncio.run(_fixture_facts(fixture_dsn))
    masked = MASK + iin[-4:]
    return CollectorView(first_id, masked, iin, visible, f"{role_prefix}collector")


def test_pgjdbc_is_installed() -> None:
    _require_pgjdbc()


# (check name, expected result; `{…}` names a field of CollectorView)
def _prepared_run(run: int, server: bool) -> object:
    expected = f"{{first_id}}:{{first_iin_masked}}|server={str(server).lower()}"
    return pytest.param(f"prepared.{run}", expected, id=f"prepared-run-{run}")


EXPECTED = [
    pytest.param("prepared.id", "{first_id}", id="prepared-visible-debtor"),
    *(_prepared_run(run, server=run >= 5) for run in range(1, 9)),
    pytest.param("fetch.count", "{visible}", id="fetch-size-2-all-rows"),
    pytest.param("fetch.iin_masked", "{visible}", id="fetch-size-2-iins-masked"),
    pytest.param("fetch.full_name_null", "{visible}", id="fetch-size-2-full-names-null"),
    pytest.param("fetch.commit", "ok", id="fetch-size-2-commit"),
    pytest.param("denied.autocommit", "42501", id="denied-autocommit"),
    pytest.param("denied.autocommit.next", "1", id="denied-autocommit-next-query"),
    pytest.param("denied.tx", "42501", id="denied-in-transaction"),
    pytest.param("denied.tx.after_rollback", "1", id="denied-in-transaction-after-rollback"),
    pytest.param("current_user", "{role}", id="current-user-is-provisioned-role"),
]


@pytest.mark.parametrize(("name", "expected"), EXPECTED)
def test_jdbc_check(checks: dict[str, str], view: CollectorView, name: str, expected: str) -> None:
    assert name in checks, f"WireCheck printed no line {name!r}"
    assert checks[name] == expected.format(**vars(view))


def test_current_user_ends_with_collector(checks: dict[str, str]) -> None:
    assert checks["current_user"].endswith("_collector"), checks["current_user"]


def test_failed_transaction_refuses_until_rollback(checks: dict[str, str]) -> None:
    """After the refusal inside a block, PostgreSQL's own rule: 25P02 until the rollback."""
    before = checks["denied.tx.before_rollback"]
    assert before.startswith("error|25P02|"), before


def test_metadata_columns(checks: dict[str, str]) -> None:
    """DatabaseMetaData.getColumns is pgjdbc's own catalogue query (pg_attribute, pg_class,
    pg_namespace, pg_type, pg_attrdef, pg_description): a schema browser's first question."""
    columns = checks["metadata.columns"]
    assert not columns.startswith("error|"), columns
    assert {"id", "iin", "full_name", "region"} <= set(columns.split(",")), columns
