"""Building the synthetic Palata database, and finding one already built.

`build_dataset` creates the tables, streams every chunk in with COPY, then adds keys, foreign
keys and indexes, and records the dataset in palata_meta.dataset — all in ONE transaction, so an
interrupted build leaves nothing behind and a recorded dataset is always complete. The CLI's
`generate` command and the demo call it; the demo calls `existing_dataset` first to reuse a
dataset instead of rebuilding it.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Mapping
from contextlib import aclosing
from dataclasses import dataclass

import asyncpg
from tqdm import tqdm

from proxy.synth import schema
from proxy.synth.errors import DatasetError
from proxy.synth.plan import CHUNK_TABLES, TABLES, WORLD_TABLES
from proxy.synth.producer import chunks
from proxy.synth.world import World, build_world

log = logging.getLogger(__name__)

GENERATOR_VERSION = "1"
DEFAULT_DEBTORS = 10_000
DEFAULT_SEED = 20261125
MAX_DEBTORS = 10_000_000


@dataclass(frozen=True)
class DatasetReport:
    """A completed dataset: its seed and size, rows per table, and how long the build took."""

    seed: int
    debtors: int
    rows: Mapping[str, int]
    seconds: float
    version: str = GENERATOR_VERSION

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds > 0 else 0.0


async def build_dataset(
    dsn: str,
    *,
    debtors: int = DEFAULT_DEBTORS,
    seed: int = DEFAULT_SEED,
    progress: bool = False,
    replace: bool = False,
) -> DatasetReport:
    """Build the dataset in the database at `dsn`; same seed and size, same data, byte for byte.

    Raises DatasetError if Palata tables already exist and `replace` is false, and for any
    database failure (the build is then rolled back entirely).
    """
    _validate(dsn, debtors, seed)
    started = time.perf_counter()
    conn = await _connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", schema.BUILD_LOCK_KEY)
            await _prepare(conn, replace)
            rows = await _load(conn, seed, debtors, progress)
            await _finish(conn, progress)
            seconds = time.perf_counter() - started
            report = DatasetReport(seed, debtors, rows, seconds)
            await _record(conn, report)
    except asyncpg.PostgresError as exc:
        raise DatasetError(_failure("building the dataset", exc)) from None
    finally:
        await conn.close()
    log.info(
        "built the Palata dataset: %d debtors, %d rows in %.1f s",
        debtors,
        report.total_rows,
        report.seconds,
    )
    return report


async def existing_dataset(dsn: str) -> DatasetReport | None:
    """The completed dataset recorded in the database, or None if there is none."""
    if not isinstance(dsn, str) or not dsn:
        raise DatasetError("the database DSN must be a non-empty string")
    conn = await _connect(dsn)
    try:
        if await conn.fetchval("SELECT to_regclass($1)", schema.META_TABLE) is None:
            return None
        if await conn.fetchval("SELECT to_regclass('public.debtors')") is None:
            return None
        row = await conn.fetchrow(
            f"SELECT seed, debtors, generator_version, row_counts::text AS row_counts, seconds "
            f"FROM {schema.META_TABLE} WHERE id = 1"
        )
    except asyncpg.PostgresError as exc:
        raise DatasetError(_failure("reading the dataset record", exc)) from None
    finally:
        await conn.close()
    if row is None:
        return None
    counts = {str(k): int(v) for k, v in json.loads(row["row_counts"]).items()}
    rows = {t: counts.pop(t) for t in TABLES if t in counts} | counts  # jsonb reorders keys
    return DatasetReport(
        row["seed"], row["debtors"], rows, row["seconds"], row["generator_version"]
    )


def _validate(dsn: object, debtors: object, seed: object) -> None:
    if not isinstance(dsn, str) or not dsn:
        raise DatasetError("the database DSN must be a non-empty string")
    if isinstance(debtors, bool) or not isinstance(debtors, int):
        raise DatasetError("debtors must be an integer")
    if not 1 <= debtors <= MAX_DEBTORS:
        raise DatasetError(f"debtors must be between 1 and {MAX_DEBTORS:,}, got {debtors:,}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise DatasetError("seed must be an integer")
    if not 0 <= seed < 2**63:
        raise DatasetError("seed must be between 0 and 2**63 - 1")


async def _connect(dsn: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(dsn)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        # the DSN may carry a password, so the message names only the kind of failure
        raise DatasetError(f"cannot connect to the database ({type(exc).__name__})") from None


def _failure(doing: str, exc: asyncpg.PostgresError) -> str:
    return f"{doing} failed: {type(exc).__name__} (SQLSTATE {exc.sqlstate})"


async def _prepare(conn: asyncpg.Connection, replace: bool) -> None:
    found = await conn.fetch(schema.EXISTING_TABLES_SQL, list(TABLES))
    recorded = await conn.fetchval("SELECT to_regclass($1)", schema.META_TABLE)
    if (found or (recorded and await _has_record(conn))) and not replace:
        raise DatasetError(
            f"the database already holds Palata tables ({len(found)} of {len(TABLES)}); "
            "pass replace=True (--replace) to drop and rebuild them"
        )
    await conn.execute(schema.drop_tables_sql())
    await conn.execute(schema.META_DDL)
    await conn.execute(f"DELETE FROM {schema.META_TABLE}")
    await conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
    await conn.execute("SET LOCAL synchronous_commit = off")
    await conn.execute(schema.create_tables_sql())


async def _has_record(conn: asyncpg.Connection) -> bool:
    return bool(await conn.fetchval(f"SELECT count(*) FROM {schema.META_TABLE}"))


async def _load(
    conn: asyncpg.Connection, seed: int, debtors: int, progress: bool
) -> dict[str, int]:
    world, world_lines = build_world(seed, debtors)
    for table in (*WORLD_TABLES, "consents"):
        await _copy(conn, table, ("\n".join(world_lines[table]) + "\n").encode())
    bar = tqdm(
        total=debtors,
        unit=" debtors",
        desc="generating",
        file=sys.stderr,
        disable=not progress,
        dynamic_ncols=True,
    )
    with bar:
        index = 0
        async with aclosing(chunks(world)) as stream:
            async for chunk in stream:
                for table, data in chunk.items():
                    await _copy(conn, table, data)
                bar.update(world.plan.chunk(index).size)
                index += 1
    return _row_counts(world, world_lines)


async def _copy(conn: asyncpg.Connection, table: str, data: bytes) -> None:
    async def source() -> object:
        yield data

    await conn.copy_to_table(
        table, source=source(), schema_name="public", format="text", freeze=True
    )


def _row_counts(world: World, world_lines: Mapping[str, list[str]]) -> dict[str, int]:
    rows = {table: len(world_lines[table]) for table in WORLD_TABLES}
    for table in CHUNK_TABLES:
        rows[table] = world.plan.total(table)
    rows["consents"] += len(world_lines["consents"])
    return {table: rows[table] for table in TABLES}


async def _finish(conn: asyncpg.Connection, progress: bool) -> None:
    statements = schema.constraint_statements()
    with tqdm(
        statements,
        desc="keys and indexes",
        unit=" statements",
        file=sys.stderr,
        disable=not progress,
        dynamic_ncols=True,
    ) as bar:
        for statement in bar:
            await conn.execute(statement)
    for table in TABLES:
        await conn.execute(f"ANALYZE public.{table}")


async def _record(conn: asyncpg.Connection, report: DatasetReport) -> None:
    await conn.execute(
        f"INSERT INTO {schema.META_TABLE} "
        "(id, seed, debtors, generator_version, row_counts, seconds) "
        "VALUES (1, $1, $2, $3, $4::jsonb, $5)",
        report.seed,
        report.debtors,
        report.version,
        json.dumps(dict(report.rows)),
        report.seconds,
    )
