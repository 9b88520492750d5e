"""What a statement returned, as plain values: the one shape both doors encode from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


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
        return len(self.rows)
