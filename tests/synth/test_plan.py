"""Chunk plan: contiguous ids, exact totals, one seeded permutation per identifier space."""

from __future__ import annotations

import pytest

from proxy.synth.permute import Permutation
from proxy.synth.plan import CHUNK_SIZE, CHUNK_TABLES, Plan, rows_for


@pytest.mark.parametrize(
    "debtors",
    [1, 299, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE - 7],
    ids=lambda n: f"{n}-debtors",
)
def test_chunk_id_ranges_are_contiguous(debtors: int) -> None:
    plan = Plan(debtors, world_consents=10)
    for table in CHUNK_TABLES:
        expected_next = plan.chunk(0).first_ids[table]
        for index in range(plan.chunk_count):
            chunk = plan.chunk(index)
            assert chunk.first_ids[table] == expected_next
            expected_next += rows_for(table, chunk.size)
        assert expected_next - plan.chunk(0).first_ids[table] == plan.total(table)
    assert plan.chunk(0).first_ids["consents"] == 11
    assert sum(plan.chunk(i).size for i in range(plan.chunk_count)) == debtors


@pytest.mark.parametrize(
    ("space", "key"),
    [(2, 0), (7, 1), (1000, 2), (4097, 3), (65_536, 4)],
    ids=lambda v: str(v),
)
def test_permutation_is_a_bijection(space: int, key: int) -> None:
    permutation = Permutation(space, key)
    assert sorted(permutation(i) for i in range(space)) == list(range(space))


def test_permutation_depends_on_the_key() -> None:
    first, second = Permutation(10_000, 1), Permutation(10_000, 2)
    assert [first(i) for i in range(50)] != [second(i) for i in range(50)]
