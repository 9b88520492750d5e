"""`palata-proxy audit search|export`: output formats, the run's own audit record, refusals."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from proxy.audit.record import AuditRecord
from proxy.audit.subjects import MalformedSubject
from proxy.cli import audit_search
from proxy.config import Settings, load_settings
from tests.audit.search_support import (
    debtor,
    make_record,
    records_database,
)
from tests.support import REPO

POLICIES = REPO / "tests" / "redteam" / "policies"
DEBTOR_1_IIN = "570913378601"
AUDIT_KEY = "search-tests-audit-key-0123456789abcdef"
RECORDS = [
    make_record(1, subjects=(debtor(1),), subject_count=1),
    make_record(2, principal="dpo", roles=("dpo",), purpose="dpo_review"),
    make_record(3, subjects=(debtor(2),), subject_count=1, principal='odd"]name'),
]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="palata-proxy")
    commands = parser.add_subparsers(dest="command", required=True)
    audit = commands.add_parser("audit").add_subparsers(dest="audit_command", required=True)
    audit_search.add_subparsers(audit)
    return parser.parse_args(["audit", *argv])


@pytest.fixture(scope="module")
def fixture_dsn(admin_dsn: str) -> Iterator[str]:
    with records_database(admin_dsn, "audit_cli", RECORDS) as dsn:
        yield dsn


def settings_for(dsn: str) -> Settings:
    return load_settings(
        None,
        {"PALATA_AUDIT_KEY": AUDIT_KEY},
        {"upstream.dsn": dsn, "policies.dir": POLICIES},
    )


async def run(
    argv: list[str], dsn: str, written: list[AuditRecord] | None = None
) -> tuple[int, str, list[AuditRecord]]:
    args = parse(argv)
    written = [] if written is None else written

    async def write(record: AuditRecord) -> None:
        written.append(record)

    out = io.StringIO()
    action = audit_search._search if args.audit_command == "search" else audit_search._export
    status = await action(args, settings_for(dsn), write, out)
    return status, out.getvalue(), written


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["search", "--format", "jsonl"], ["rec-3", "rec-2", "rec-1"], id="all"),
        pytest.param(["search", "--format", "jsonl", "--principal", "dpo"], ["rec-2"], id="who"),
        pytest.param(
            ["search", "--format", "jsonl", "--iin", DEBTOR_1_IIN], ["rec-1"], id="by-iin"
        ),
        pytest.param(
            ["search", "--format", "jsonl", "--subject", "public.debtors=2"], ["rec-3"], id="key"
        ),
        pytest.param(["export", "--format", "jsonl"], ["rec-1", "rec-2", "rec-3"], id="export"),
        pytest.param(
            ["export", "--format", "jsonl", "--since", "2026-03-02T09:02:00Z"],
            ["rec-2", "rec-3"],
            id="export-since",
        ),
    ],
)
async def test_jsonl_output(fixture_dsn: str, argv: list[str], expected: list[str]) -> None:
    status, out, written = await run(argv, fixture_dsn)
    assert status == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == expected
    (record,) = written
    assert (record.door, record.principal, record.outcome) == (
        "cli",
        f"cli:{audit_search.os_user()}",
        "served",
    )
    assert record.kind == ("audit_search" if argv[0] == "search" else "audit_export")
    assert DEBTOR_1_IIN not in json.dumps(record.to_json())


async def test_syslog_and_table_output(fixture_dsn: str) -> None:
    _, syslog, _ = await run(["search", "--format", "syslog"], fixture_dsn)
    assert [line.split(" ")[5] for line in syslog.splitlines()] == ["served"] * 3
    assert 'principal="odd\\"\\]name"' in syslog
    _, table, _ = await run(["search", "--principal", "dpo"], fixture_dsn)
    header, row = table.splitlines()
    assert header.split() == [
        *("at", "(UTC)", "principal", "roles", "purpose", "kind", "outcome", "rows", "subjects")
    ]
    assert row.split() == [
        *("2026-03-02", "09:02:00", "dpo", "dpo", "dpo_review", "select", "served", "1", "0")
    ]


async def test_an_iin_search_is_audited_by_its_count(fixture_dsn: str) -> None:
    _, _, (record,) = await run(["search", "--iin", DEBTOR_1_IIN], fixture_dsn)
    assert record.extra == {"filter": {"limit": 100, "paged": False, "subjects": 1}}


async def test_a_malformed_iin_is_refused_audited_and_not_echoed(fixture_dsn: str) -> None:
    written: list[AuditRecord] = []
    with pytest.raises(MalformedSubject) as refused:
        await run(["search", "--iin", "57091337860X"], fixture_dsn, written)
    assert "57091337860" not in refused.value.message
    (record,) = written
    assert (record.outcome, record.sqlstate) == ("denied", "22023")
    assert "57091337860" not in json.dumps(record.to_json())


async def test_export_to_a_file(fixture_dsn: str, tmp_path: Path) -> None:
    out = tmp_path / "trail.log"
    status, stdout, _ = await run(["export", "--format", "syslog", "--out", str(out)], fixture_dsn)
    assert (status, stdout) == (0, "")
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trail.log"]  # noqa: ASYNC240
