"""How many rows each table gets, and which ids each chunk of debtors owns.

Debtors are generated in chunks of CHUNK_SIZE. Every per-debtor table receives a fixed number of
rows per chunk (spread at random over the chunk's debtors), so each chunk's id ranges are known
before it is generated. Chunks can therefore be built in any process, in any order, and the
same seed and size always give the same rows with contiguous ids.
"""

from __future__ import annotations

from dataclasses import dataclass

CHUNK_SIZE = 5_000

# Tables loaded once from the "world" (reference data, staff, organisations), in load order.
WORLD_TABLES = ("regions", "employees", "counterparties", "counterparty_contacts", "employers")

# Rows per chunk of n debtors: n * numerator // denominator.
PER_DEBTOR: dict[str, tuple[int, int]] = {
    "debtors": (1, 1),
    "relatives": (6, 5),
    "employments": (3, 5),
    "loans": (3, 2),
    "payments": (9, 2),
    "contact_events": (4, 1),
    "complaints": (3, 20),
    "applications": (1, 10),
    "enforcement_proceedings": (1, 4),
    "court_cases": (1, 8),
    "tax_arrears": (1, 40),
    "consents": (1, 1),
    "case_assignments": (6, 5),
}

CHUNK_TABLES = tuple(PER_DEBTOR)

# Every Palata table, in an order that satisfies foreign keys when loaded front to back.
TABLES = WORLD_TABLES + CHUNK_TABLES


def rows_for(table: str, debtors: int) -> int:
    numerator, denominator = PER_DEBTOR[table]
    return debtors * numerator // denominator


@dataclass(frozen=True)
class Chunk:
    """One chunk: its index, its debtors and the first id it uses in each table."""

    index: int
    size: int
    first_ids: dict[str, int]

    @property
    def first_debtor(self) -> int:
        return self.first_ids["debtors"]


@dataclass(frozen=True)
class Plan:
    """The chunks of a dataset of `debtors` debtors; `world_consents` ids precede debtors'."""

    debtors: int
    world_consents: int

    @property
    def chunk_count(self) -> int:
        return -(-self.debtors // CHUNK_SIZE)

    def chunk(self, index: int) -> Chunk:
        if not 0 <= index < self.chunk_count:
            raise ValueError("chunk index out of range")
        size = min(CHUNK_SIZE, self.debtors - index * CHUNK_SIZE)
        first_ids = {table: index * rows_for(table, CHUNK_SIZE) + 1 for table in CHUNK_TABLES}
        first_ids["consents"] += self.world_consents
        return Chunk(index, size, first_ids)

    def total(self, table: str) -> int:
        """Rows of a per-debtor table over all chunks."""
        full, last = divmod(self.debtors, CHUNK_SIZE)
        return full * rows_for(table, CHUNK_SIZE) + rows_for(table, last)
