"""What a statement returned, as plain values: the one shape both doors encode from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WRITE_TAGS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE"})


@dataclass(frozen=True)
class ResultColumn:
    name: str
    type_name: str  # PostgreSQL's name for the type, e.g. "numeric", "int4[]", "bpchar"
    type_oid: int


@dataclass(frozen=True)
class ResultSet:
    columns: tuple[ResultColumn, ...]
    rows: Sequence[tuple[object, ...]]
    status: str  # the command tag, e.g. "SELECT 5", "UPDATE 1"

    @property
    def row_count(self) -> int:
        """Rows returned, or for a write the rows it affected (its command tag says)."""
        tag = self.status.split()
        if tag and tag[0] in WRITE_TAGS and tag[-1].isdigit():
            return int(tag[-1])
        return len(self.rows)
