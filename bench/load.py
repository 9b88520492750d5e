"""The timing loops of the benchmarks: one client in sequence, or many at once (no I/O of its own).

A workload is an async callable taking a primary key; the loops draw keys from a seeded random
stream so every target sees the same sequence. Every loop is bounded by time and by count, and a
warm-up of the same shape runs first and is discarded.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

Lookup = Callable[[int], Awaitable[object]]

MAX_REQUESTS = 5_000_000  # a bound on every loop, whatever the clock says
SEED = 94


@dataclass(frozen=True)
class Latency:
    requests: int
    p50_ms: float
    p90_ms: float
    p99_ms: float


@dataclass(frozen=True)
class Throughput:
    requests: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


async def sequential(lookup: Lookup, keys: Sequence[int], seconds: float, warmup: float) -> Latency:
    """One client, one request at a time: latency percentiles of `seconds` of requests."""
    await _sequential_samples(lookup, keys, warmup)
    samples = await _sequential_samples(lookup, keys, seconds)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return Latency(len(samples), cuts[49] * 1e3, cuts[89] * 1e3, cuts[98] * 1e3)


async def concurrent(
    lookup: Lookup, keys: Sequence[int], clients: int, seconds: float, warmup: float
) -> Throughput:
    """`clients` loops at once, each sending its next request when the last one answered."""
    await _concurrent_count(lookup, keys, clients, warmup)
    started = time.perf_counter()
    requests = await _concurrent_count(lookup, keys, clients, seconds)
    return Throughput(requests, time.perf_counter() - started)


async def _sequential_samples(lookup: Lookup, keys: Sequence[int], seconds: float) -> list[float]:
    rng = random.Random(SEED)
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(samples) < MAX_REQUESTS:
        key = rng.choice(keys)
        started = time.perf_counter()
        await lookup(key)
        finished = time.perf_counter()
        samples.append(finished - started)
        if finished >= deadline:
            break
    return samples


async def _concurrent_count(
    lookup: Lookup, keys: Sequence[int], clients: int, seconds: float
) -> int:
    deadline = time.perf_counter() + seconds
    budget = MAX_REQUESTS // clients

    async def client(index: int) -> int:
        rng = random.Random(SEED + index)
        done = 0
        while done < budget and time.perf_counter() < deadline:
            await lookup(rng.choice(keys))
            done += 1
        return done

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(client(i), name=f"bench-client-{i}") for i in range(clients)]
    return sum(task.result() for task in tasks)
