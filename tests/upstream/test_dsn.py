"""DSN helpers: another database on the same server; passwords never printed."""

from __future__ import annotations

import pytest

from proxy.upstream.dsn import redact_dsn, with_database


@pytest.mark.parametrize(
    ("dsn", "database", "expected"),
    [
        ("postgresql://u@h:5432/postgres", "palata", "postgresql://u@h:5432/palata"),
        (
            "postgresql://postgres:@/postgres?host=/tmp/pg",
            "x",
            "postgresql://postgres:@/x?host=/tmp/pg",
        ),
        ("postgresql://h", "palata", "postgresql://h/palata"),
    ],
    ids=["tcp", "unix-socket", "no-path"],
)
def test_with_database(dsn: str, database: str, expected: str) -> None:
    assert with_database(dsn, database) == expected


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        ("postgresql://u:s3cret@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u:p%40ss%3Aw@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("postgresql://u:a@b@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u@h/db?password=s3cret", "postgresql://u@h/db?password=***"),
        (
            "postgresql://u@h/db?sslmode=require&sslpassword=k&passfile=/p",
            "postgresql://u@h/db?sslmode=require&sslpassword=***&passfile=***",
        ),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        (
            "postgresql://postgres:@/postgres?host=/tmp",
            "postgresql://postgres:@/postgres?host=/tmp",
        ),
    ],
    ids=["password", "encoded", "at-in-password", "query", "ssl-query", "none", "empty"],
)
def test_redact_dsn(dsn: str, expected: str) -> None:
    assert redact_dsn(dsn) == expected
    assert "s3cret" not in redact_dsn(dsn)
