"""The local audit spool: where chained records go, durably, while the audit store cannot
take them, until they are replayed into it (blocking file I/O; the sink runs it in a thread).

One append-only file per instance, `<spool_dir>/<instance>.jsonl`, mode 0600, one record per
line in its stored JSON form (`stored_json`). A batch is acknowledged only after its lines are
written and the file fsync'd (and, when the file is new, its directory too, so the file itself
survives a crash). A crash mid-write leaves a torn last line (no newline): it was never
acknowledged, so it is cut off when the spool is opened. A damaged line anywhere else held an
acknowledged record: the spool refuses to open rather than silently lose it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from proxy.audit.chain import ChainTail
from proxy.audit.codec import record_from_json
from proxy.audit.errors import AuditSpoolCorrupt
from proxy.audit.record import AuditRecord, stored_json

FILE_MODE = 0o600
DIR_MODE = 0o700


class Spool:
    """One instance's spool file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._size = 0

    @classmethod
    def open(cls, spool_dir: Path, instance: str) -> Spool:
        """The instance's spool, its torn last line (if any) cut off."""
        spool = cls(spool_dir / f"{instance}.jsonl")
        if not spool_dir.exists():
            spool_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            _fsync_dir(spool_dir.parent)
        spool._cut_torn_tail()
        return spool

    def reopen(self) -> None:
        """Find the spool's end again from the file, after a write whose outcome is unknown."""
        self._size = 0
        self._cut_torn_tail()

    @property
    def pending(self) -> bool:
        """Whether the spool holds records not yet replayed."""
        return self._size > 0

    def append(self, records: Sequence[AuditRecord]) -> None:
        """Write and fsync the records; on failure, cut the file back to where it was."""
        self.append_stored([stored_json(r) for r in records])

    def append_stored(self, stored: Sequence[bytes]) -> None:
        """`append` for records in their stored JSON form (as `Chain.link` makes it)."""
        data = b"".join(line + b"\n" for line in stored)
        created = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        try:
            try:
                _write_all(fd, data)
                os.fsync(fd)
            except OSError:
                os.ftruncate(fd, self._size)  # never leave half a batch for a replay to find
                raise
        finally:
            os.close(fd)
        if created:
            _fsync_dir(self.path.parent)
        self._size += len(data)

    def read(self) -> list[AuditRecord]:
        """Every acknowledged record in the spool, in the order written."""
        if not self.pending:
            return []
        content = self.path.read_bytes()[: self._size]
        return [_parse(line, number) for number, line in enumerate(content.splitlines(), 1)]

    def tail(self) -> ChainTail | None:
        records = self.read()
        return ChainTail(records[-1].seq, records[-1].hash) if records else None

    def clear(self) -> None:
        """Empty the spool once its records are in the store."""
        if self.path.exists():
            with self.path.open("r+b") as file:
                file.truncate(0)
                os.fsync(file.fileno())
        self._size = 0

    def _cut_torn_tail(self) -> None:
        if not self.path.exists():
            return
        os.chmod(self.path, FILE_MODE)
        content = self.path.read_bytes()
        complete = content.rfind(b"\n") + 1  # 0 when no line is complete
        if complete < len(content):
            with self.path.open("r+b") as file:
                file.truncate(complete)
                os.fsync(file.fileno())
        self._size = complete
        self.read()  # a damaged acknowledged line stops the start here


def _parse(line: bytes, number: int) -> AuditRecord:
    try:
        return record_from_json(json.loads(line))
    except (ValueError, KeyError, TypeError):
        raise AuditSpoolCorrupt(
            f"the audit spool has a damaged record on line {number}: "
            "move the file aside and compare it with `palata-proxy audit verify`"
        ) from None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
