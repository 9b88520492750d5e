"""Building, reusing and replacing a dataset: determinism, the dataset record, argument checks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from proxy.synth import TABLES, DatasetError, build_dataset, existing_dataset
from proxy.synth import build as build_module

from .db import table_digests

SMALL = 300


def build(dsn: str, **kwargs: Any) -> Any:
    return asyncio.run(build_dataset(dsn, **kwargs))


def test_build_is_deterministic_reusable_and_replaceable(fresh_dsn: str) -> None:
    assert asyncio.run(existing_dataset(fresh_dsn)) is None

    first = build(fresh_dsn, debtors=SMALL, seed=1)
    digests = table_digests(fresh_dsn, TABLES)
    assert asyncio.run(existing_dataset(fresh_dsn)) == first

    with pytest.raises(DatasetError, match="replace"):
        build(fresh_dsn, debtors=SMALL, seed=1)
    assert table_digests(fresh_dsn, TABLES) == digests, "a refused build must change nothing"

    again = build(fresh_dsn, debtors=SMALL, seed=1, replace=True)
    assert again.rows == first.rows
    assert table_digests(fresh_dsn, TABLES) == digests, "same seed and size, different data"

    other = build(fresh_dsn, debtors=SMALL, seed=2, replace=True)
    changed = table_digests(fresh_dsn, TABLES)
    assert changed["regions"] == digests["regions"]
    differing = [t for t in TABLES if t != "regions" and changed[t] != digests[t]]
    assert len(differing) == len(TABLES) - 1, "another seed should change every data table"
    assert asyncio.run(existing_dataset(fresh_dsn)) == other


def test_report_arithmetic(fresh_dsn: str) -> None:
    report = build(fresh_dsn, debtors=10, seed=3, replace=True)
    assert report.total_rows == sum(report.rows.values())
    assert report.rows_per_second == pytest.approx(report.total_rows / report.seconds)
    assert report.rows["debtors"] == 10


def test_a_build_failing_half_way_keeps_the_previous_dataset(
    fresh_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = build(fresh_dsn, debtors=10, seed=4, replace=True)
    digests = table_digests(fresh_dsn, TABLES)

    async def failing_finish(conn: Any, progress: bool) -> None:
        await conn.execute("SELECT 1 / 0")  # fails after every row was loaded

    monkeypatch.setattr(build_module, "_finish", failing_finish)
    with pytest.raises(DatasetError, match="SQLSTATE 22012"):
        build(fresh_dsn, debtors=20, seed=5, replace=True)
    assert table_digests(fresh_dsn, TABLES) == digests
    assert asyncio.run(existing_dataset(fresh_dsn)) == previous


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"debtors": 0}, "between 1 and", id="zero-debtors"),
        pytest.param({"debtors": -5}, "between 1 and", id="negative-debtors"),
        pytest.param({"debtors": 10**9}, "between 1 and", id="too-many-debtors"),
        pytest.param({"debtors": 2.5}, "integer", id="float-debtors"),
        pytest.param({"debtors": True}, "integer", id="bool-debtors"),
        pytest.param({"seed": -1}, "seed", id="negative-seed"),
        pytest.param({"seed": "1"}, "integer", id="string-seed"),
    ],
)
def test_invalid_arguments_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        build("postgresql://nobody@127.0.0.1:1/none", **kwargs)


def test_unreachable_database_is_a_dataset_error() -> None:
    with pytest.raises(DatasetError, match="cannot connect"):
        build("postgresql://nobody@127.0.0.1:1/none", debtors=1)
