"""`palata-proxy audit verify` on a real store: 0 on a good chain; 1 naming the record that was
altered or removed; and the crash test: a writer killed with SIGKILL mid-load (part of it
spooled during an outage) loses no acknowledged record, and verify passes after a restart."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg

from proxy.audit.startup import open_audit
from tests.audit.cli_runner import run_audit_cli
from tests.audit.conftest import AuditDatabase
from tests.audit.support import KEY, make_record
from tests.support import REPO


async def write_records(db: AuditDatabase, spool: Path, instance: str, count: int) -> None:
    async with open_audit(db.settings(spool), instance) as sink:
        for n in range(1, count + 1):
            await sink.write(make_record(n, instance))


async def admin(db: AuditDatabase, statement: str) -> None:
    conn = await asyncpg.connect(db.admin_dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def verify(db: AuditDatabase, key: bytes = KEY) -> subprocess.CompletedProcess[str]:
    return run_audit_cli(["audit", "verify", "--upstream", db.dsn], key.decode())


# one row per tampering, applied one after another to the same store, each repaired after
TAMPERING = [
    ("altered", "UPDATE palata_audit.records SET rows = rows + 1 WHERE seq = 3",
     "UPDATE palata_audit.records SET rows = rows - 1 WHERE seq = 3",
     "record seq 3 (id verify-000003) was altered"),
    ("removed", "CREATE TABLE saved AS SELECT * FROM palata_audit.records WHERE seq = 3; "
     "DELETE FROM palata_audit.records WHERE seq = 3",
     "INSERT INTO palata_audit.records SELECT * FROM saved; DROP TABLE saved",
     "seq 3 were removed"),
    ("signed with another key", "", "", "signature does not match"),
]  # fmt: skip


def test_verify_passes_then_names_each_tampered_record(
    audit_db: AuditDatabase, tmp_path: Path
) -> None:
    asyncio.run(write_records(audit_db, tmp_path, "verify", 6))
    good = verify(audit_db)
    assert good.returncode == 0, good.stderr
    assert "instance verify: 6 records verified, seq 1..6: OK" in good.stdout
    for name, tamper, repair, message in TAMPERING:
        if tamper:
            asyncio.run(admin(audit_db, tamper))
        bad = verify(audit_db, KEY if tamper else b"another-key-0123456789abcdef-0123456789")
        assert bad.returncode == 1, name
        assert message in bad.stderr, (name, bad.stderr)
        assert "instance verify" in bad.stderr
        if repair:
            asyncio.run(admin(audit_db, repair))
    assert verify(audit_db).returncode == 0


def test_without_a_key_verify_says_which_setting(audit_db: AuditDatabase) -> None:
    result = run_audit_cli(["audit", "verify", "--upstream", audit_db.dsn], "")
    assert result.returncode == 2
    assert "audit.key" in result.stderr


def test_a_killed_writer_loses_no_acknowledged_record(
    audit_db: AuditDatabase, tmp_path: Path
) -> None:
    instance = "crash"
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.audit.crash_writer", audit_db.dsn, str(tmp_path), instance],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    acknowledged: dict[int, str] = {}
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        _read_acks(writer, acknowledged, 300)
        asyncio.run(audit_db.take_down())  # the rest goes to the spool
        _read_acks(writer, acknowledged, 300)
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
        _read_acks(writer, acknowledged, None)  # what it printed before it died
    finally:
        if writer.poll() is None:
            writer.kill()
        asyncio.run(audit_db.bring_back())
    assert (tmp_path / f"{instance}.jsonl").stat().st_size > 0, "some records were spooled"

    async def restart() -> set[tuple[int, str]]:
        async with open_audit(audit_db.settings(tmp_path), instance) as sink:
            await sink.write(make_record(10**6, instance))  # the chain goes on after the crash
        conn = await asyncpg.connect(audit_db.admin_dsn)
        try:
            rows = await conn.fetch(
                "SELECT seq, id FROM palata_audit.records WHERE instance = $1", instance
            )
        finally:
            await conn.close()
        return {(row["seq"], row["id"]) for row in rows}

    stored = asyncio.run(restart())
    assert set(acknowledged.items()) <= stored
    result = verify(audit_db)
    assert result.returncode == 0, result.stderr
    assert f"instance {instance}:" in result.stdout


def _read_acks(writer: subprocess.Popen[str], into: dict[int, str], count: int | None) -> None:
    assert writer.stdout is not None
    read = 0
    while count is None or read < count:
        line = writer.stdout.readline()
        if not line:
            return
        if line.startswith("ack ") and line.endswith("\n"):  # a torn last line was not an ack
            _, seq, id_ = line.split()
            into[int(seq)] = id_
            read += 1
