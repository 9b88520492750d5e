"""Benchmark: a 1-row masked lookup by primary key through the HTTP door vs asyncpg directly.

It sits beside the data path, not in it: it makes a scratch database on a PostgreSQL server,
loads the red-team fixture (enlarged with copies of its debtors), starts the real `palata-proxy
serve` on it and times `SELECT id, iin, full_name, debt_amount FROM debtors WHERE id = $1` as the
collector through the door, against the same text sent straight to the database with an asyncpg
pool, against the proxy's rewritten (masking) text sent straight too, and against that text run
through the proxy's own execution steps in this process (so the door's cost shows apart from the
database's). It reports p50/p90/p99 at one client and throughput at `--clients` clients, then
stops the proxy and drops the database, Ctrl-C included.
Run from the repository: `.venv/bin/python -m bench.masked_lookup --help`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench.harness import (
    CONFIG,
    REGION,
    BenchError,
    add_upstream_argument,
    create_database,
    drop_database,
    load_fixture,
    running_bare_server,
    running_proxy,
    scratch_dsn,
)
from bench.http_client import KeepAliveClient, keep_alive_client
from bench.load import Latency, Lookup, Throughput, concurrent, sequential
from proxy.config import load_settings
from proxy.identity.principals import PrincipalDirectory
from proxy.pipeline.plan import StatementPlan, plan_statement
from proxy.policy import PolicyEngine
from proxy.sql import analyze_sql, load_catalog_snapshot
from proxy.upstream.execute import ExecutionLimits, Shapes, run_statement
from proxy.upstream.pool import PINNED_SETTINGS

LOOKUP_SQL = "SELECT id, iin, full_name, debt_amount FROM debtors WHERE id = $1"
PRINCIPAL, TOKEN, PURPOSE = "collector", "collector-secret", "debt_collection"
POOL_SIZE = 10  # the proxy's default upstream.pool_max_size: both sides get as many connections


@dataclass(frozen=True)
class Target:
    name: str
    latency: Latency
    throughput: Throughput


# -- the ways to look a debtor up --------------------------------------------------------


AUDIT_OFF = {"PALATA_AUDIT_ENABLED": "false"}  # the baseline of the audit's cost only


async def rewritten_plan(dsn: str) -> StatementPlan:
    """What the proxy sends the database for the collector's lookup, planned in-process."""
    settings = load_settings(CONFIG, {}, {"upstream.dsn": dsn})
    engine = PolicyEngine.load(settings.policies.dir, settings.policies.model_path)
    principal = PrincipalDirectory.from_policies(settings.policies.dir).principals[PRINCIPAL]
    conn = await asyncpg.connect(dsn, server_settings=PINNED_SETTINGS)
    try:
        snapshot = await load_catalog_snapshot(conn)
    finally:
        await conn.close()
    [(parsed, analysis)] = analyze_sql(LOOKUP_SQL, snapshot)
    max_rows = settings.query.max_rows
    return plan_statement(parsed, analysis, snapshot, engine, principal, PURPOSE, max_rows)


def direct_lookup(pool: asyncpg.Pool, sql: str) -> Lookup:
    # fetch, not fetchrow: fetchrow asks the server for one row only, which lets a scan stop at
    # the first match; the proxy reads the whole result, and so must its baseline
    async def lookup(key: int) -> object:
        rows = await pool.fetch(sql, key)
        if len(rows) != 1:
            raise BenchError(f"debtor {key}: {len(rows)} rows directly, expected 1")
        return rows

    return lookup


def executed_lookup(pool: asyncpg.Pool, plan: StatementPlan) -> Lookup:
    """The proxy's own execution steps on the rewritten SQL, in this process: no HTTP, no
    analysis; the query's shape remembered, its rows bounded in its text (one round trip)."""
    limits = ExecutionLimits(timeout_s=30.0, max_rows=10_000)  # the proxy's defaults
    shapes = Shapes()

    async def lookup(key: int) -> object:
        async with pool.acquire() as conn:
            return await run_statement(
                conn,
                plan.sql,
                (key,),
                limits,
                is_query=True,
                scrub_errors=True,
                row_bounded=plan.row_bounded,
                shapes=shapes,
            )

    return lookup


def proxy_lookup(session: aiohttp.ClientSession, url: str) -> Lookup:
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async def lookup(key: int) -> object:
        body = {"sql": LOOKUP_SQL, "params": [key], "purpose": PURPOSE}
        async with session.post(f"{url}/v1/query", json=body, headers=headers) as response:
            payload = await response.read()
            if response.status != 200:
                raise BenchError(f"the proxy answered {response.status}: {payload[:300]!r}")
            return payload

    return lookup


def lean_proxy_lookup(client: KeepAliveClient) -> Lookup:
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async def lookup(key: int) -> object:
        body = {"sql": LOOKUP_SQL, "params": [key], "purpose": PURPOSE}
        status, payload = await client.post_json("/v1/query", body, headers)
        if status != 200:
            raise BenchError(f"the proxy answered {status}: {payload[:300]!r}")
        return payload

    return lookup


async def check_masked(
    session: aiohttp.ClientSession, url: str, pool: asyncpg.Pool, key: int
) -> None:
    """The proxy must answer the lookup masked before any timing means anything."""
    clear = await pool.fetchrow(LOOKUP_SQL, key)
    body = {"sql": LOOKUP_SQL, "params": [key], "purpose": PURPOSE}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with session.post(f"{url}/v1/query", json=body, headers=headers) as response:
        answer: dict[str, Any] = await response.json()
        status = response.status
    rows = answer.get("rows") or []
    if status != 200 or len(rows) != 1:
        raise BenchError(f"the proxy did not return one row for debtor {key}: {status} {answer}")
    _, iin, full_name, _ = rows[0]
    expected_iin = "*" * 8 + clear["iin"][-4:]
    if iin != expected_iin or full_name is not None:
        raise BenchError(
            f"the proxy's row is not masked as the policy says (iin {iin!r}, full_name "
            f"{'null' if full_name is None else 'present'}): refusing to time it"
        )


# -- the run --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    targets: dict[str, Target]  # by name, in the order timed
    keys: int
    rewritten_sql: str


DIRECT = "direct asyncpg, client's SQL"
REWRITTEN = "direct asyncpg, rewritten SQL"
EXECUTED = "proxy's execution steps, rewritten SQL"
DOOR_AIOHTTP = "proxy HTTP door, aiohttp client"
DOOR = "proxy HTTP door, lean client"
UNAUDITED = "the door with audit off, lean client"
BARE = "bare aiohttp server, lean client"


async def measure(url: str, dsn: str, keys: list[int], options: argparse.Namespace) -> Results:
    plan = await rewritten_plan(dsn)
    connector = aiohttp.TCPConnector(limit=options.clients, keepalive_timeout=60)
    pool = await asyncpg.create_pool(
        dsn, min_size=POOL_SIZE, max_size=POOL_SIZE, server_settings=PINNED_SETTINGS
    )
    try:
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            keep_alive_client(url, options.clients) as lean,
        ):
            await check_masked(session, url, pool, keys[len(keys) // 2])
            lookups = {
                DIRECT: direct_lookup(pool, LOOKUP_SQL),
                REWRITTEN: direct_lookup(pool, plan.sql),
                EXECUTED: executed_lookup(pool, plan),
                DOOR_AIOHTTP: proxy_lookup(session, url),
                DOOR: lean_proxy_lookup(lean),
            }
            targets = [await time_target(name, fn, keys, options) for name, fn in lookups.items()]
            answer = await door_answer(lean, keys[0])
        with (
            tempfile.TemporaryDirectory() as tmp,
            running_proxy(dsn, Path(tmp) / "unaudited.log", AUDIT_OFF) as unaudited_url,
        ):
            async with keep_alive_client(unaudited_url, options.clients) as unaudited:
                lookup = lean_proxy_lookup(unaudited)
                targets.append(await time_target(UNAUDITED, lookup, keys, options))
        with (
            tempfile.TemporaryDirectory() as tmp,
            running_bare_server(answer, Path(tmp)) as bare_url,
        ):
            async with keep_alive_client(bare_url, options.clients) as bare:
                targets.append(await time_target(BARE, lean_proxy_lookup(bare), keys, options))
    finally:
        await pool.close()
    return Results({t.name: t for t in targets}, len(keys), plan.sql)


async def door_answer(client: KeepAliveClient, key: int) -> bytes:
    """The door's answer to one lookup, for the bare server to give back."""
    lookup = lean_proxy_lookup(client)
    answer = await lookup(key)
    assert isinstance(answer, bytes)
    return answer


async def time_target(name: str, lookup: Lookup, keys: list[int], options: Any) -> Target:
    print(f"timing {name} ...", file=sys.stderr, flush=True)
    latency = await sequential(lookup, keys, options.seconds, options.warmup)
    throughput = await concurrent(lookup, keys, options.clients, options.seconds, options.warmup)
    return Target(name, latency, throughput)


def report(results: Results, options: argparse.Namespace) -> str:
    n = options.clients
    lines = [
        f"1-row lookup by primary key among {results.keys:,} debtors in {REGION}; "
        f"{options.seconds:g} s per phase after {options.warmup:g} s warm-up; pool {POOL_SIZE}",
        f"{'':40} {'1 client: p50':>14} {'p90':>8} {'p99 ms':>8} {f'{n} clients: req/s':>20}",
        *(_row(t) for t in results.targets.values()),
    ]
    direct, rewritten = results.targets[DIRECT], results.targets[REWRITTEN]
    heavy, proxy, bare = results.targets[DOOR_AIOHTTP], results.targets[DOOR], results.targets[BARE]
    unaudited = results.targets[UNAUDITED]
    lines += [
        f"throughput ratio at {n} clients: proxy/direct {_ratio(proxy, direct):.3f} (aim >= 0.5), "
        f"proxy/rewritten-direct {_ratio(proxy, rewritten):.3f}; with aiohttp's client as the "
        f"load generator {_ratio(heavy, direct):.3f}",
        f"audit on/off at {n} clients: {_ratio(proxy, unaudited):.3f} (aim >= 0.9); "
        f"added p50 of the audit {proxy.latency.p50_ms - unaudited.latency.p50_ms:.3f} ms",
        f"the HTTP framework's ceiling: a bare aiohttp server/direct {_ratio(bare, direct):.3f}",
        f"added p50 at 1 client: {proxy.latency.p50_ms - direct.latency.p50_ms:.3f} ms vs direct "
        f"(aim < 1 ms), {proxy.latency.p50_ms - rewritten.latency.p50_ms:.3f} ms vs "
        "rewritten-direct",
        f"rewritten SQL: {results.rewritten_sql}",
    ]
    return "\n".join(lines)


def _row(target: Target) -> str:
    lat = target.latency
    return (
        f"{target.name:40} {lat.p50_ms:14.3f} {lat.p90_ms:8.3f} {lat.p99_ms:8.3f} "
        f"{target.throughput.per_second:20,.0f}"
    )


def _ratio(a: Target, b: Target) -> float:
    return a.throughput.per_second / b.throughput.per_second


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_upstream_argument(parser, "create databases")
    parser.add_argument("--seconds", type=float, default=5.0, help="timed seconds per phase")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per phase")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument(
        "--debtors",
        type=int,
        default=100_000,
        help="debtors added in the collector's region (default: %(default)s)",
    )
    return parser.parse_args(argv)


def run(options: argparse.Namespace) -> str:
    name = f"palata_bench_{os.getpid()}"
    dsn = scratch_dsn(options.upstream, name)
    try:
        asyncio.run(create_database(options.upstream, name))
        keys = asyncio.run(load_fixture(dsn, options.debtors))
        with (
            tempfile.TemporaryDirectory() as tmp,
            running_proxy(dsn, Path(tmp) / "serve.log") as url,
        ):
            results = asyncio.run(measure(url, dsn, keys, options))
        return report(results, options)
    finally:
        asyncio.run(drop_database(options.upstream, name))


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        print(run(options))
    except BenchError as exc:
        print(f"masked_lookup: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "masked_lookup: interrupted; the proxy is stopped and the database dropped",
            file=sys.stderr,
        )
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
