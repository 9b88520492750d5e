"""Chunks are the same bytes whichever process generates them, and arrive in order."""

from __future__ import annotations

from proxy.synth.chunk import generate_chunk
from proxy.synth.plan import CHUNK_SIZE
from proxy.synth.producer import _inline, _pooled
from proxy.synth.world import build_world


async def test_worker_processes_produce_the_same_chunks_as_the_loading_process() -> None:
    world, _ = build_world(21, 2 * CHUNK_SIZE + 17)
    count = world.plan.chunk_count
    pooled = [chunk async for chunk in _pooled(world, count, workers=2)]
    inline = [chunk async for chunk in _inline(world, count)]
    assert pooled == inline
    assert pooled[1] == generate_chunk(world, 1)
    assert [len(chunk["debtors"].splitlines()) for chunk in pooled] == [CHUNK_SIZE, CHUNK_SIZE, 17]


def test_chunk_rows_start_with_the_planned_ids() -> None:
    world, _ = build_world(22, CHUNK_SIZE + 10)
    second = world.plan.chunk(1)
    rows = generate_chunk(world, 1)
    for table, data in rows.items():
        first_id = int(data.split(b"\t", 1)[0])
        assert first_id == second.first_ids[table], table
