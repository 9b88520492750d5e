"""One scan: connect, list the tables, sample and classify each column, one at a time.

Memory stays bounded by one column's sample (at most `limit` values of `max_chars` characters);
what survives a column is its `Verdict`, which holds counts only. Columns that cannot be read
are kept with the reason, so the report shows the scan was incomplete.
"""

from __future__ import annotations

import time
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from proxy.discovery.classify import Verdict, classify_column
from proxy.discovery.detector import ValueDetector
from proxy.discovery.evidence import ColumnInfo, gather_evidence
from proxy.discovery.sampling import ColumnUnreadable, TableInfo, list_tables, sample_column
from proxy.upstream.pool import single_connection

DEFAULT_SAMPLE = 200
MAX_CHARS = 2_000  # longer values are cut before classification (free text stays free text)


@dataclass(frozen=True)
class ScanOptions:
    sample: int = DEFAULT_SAMPLE
    max_chars: int = MAX_CHARS
    statement_timeout_s: float = 30.0
    connect_timeout_s: float = 5.0


@dataclass(frozen=True)
class ScanResult:
    tables: tuple[TableInfo, ...]
    verdicts: tuple[Verdict, ...]
    unreadable: tuple[tuple[ColumnInfo, str], ...]
    seconds: float


async def scan_database(dsn: str, detector: ValueDetector, options: ScanOptions) -> ScanResult:
    started = time.monotonic()
    verdicts: list[Verdict] = []
    unreadable: list[tuple[ColumnInfo, str]] = []
    async with _connection(dsn, options.connect_timeout_s) as conn:
        tables = await list_tables(conn)
        for table in tables:
            for info in table.columns:
                try:
                    sample = await sample_column(
                        conn,
                        table,
                        info,
                        limit=options.sample,
                        max_chars=options.max_chars,
                        timeout_s=options.statement_timeout_s,
                    )
                except ColumnUnreadable as exc:
                    unreadable.append((info, exc.message))
                    continue
                evidence = gather_evidence(info, sample.values, detector, sample.truncated)
                verdicts.append(classify_column(info, evidence))
    return ScanResult(tuple(tables), tuple(verdicts), tuple(unreadable), time.monotonic() - started)


def _connection(dsn: str, timeout_s: float) -> AbstractAsyncContextManager[Any]:
    return single_connection(
        dsn, timeout_s=timeout_s, server_settings={"default_transaction_read_only": "on"}
    )
