"""Generation of one chunk of debtors with every row that hangs off them, as COPY text.

`generate_chunk(world, index)` is a pure function of the seed, the world and the chunk index:
its own random stream, its own id ranges (from the plan), its own person and organisation
indexes. That is what lets the loader run it in worker processes and still get byte-identical
data for the same seed and size.
"""

from __future__ import annotations

from collections.abc import Callable
from random import Random

from proxy.synth import casework, loans, registers, subjects
from proxy.synth.fastrandom import FastRandom
from proxy.synth.organisations import BinSource
from proxy.synth.people import IdentitySource
from proxy.synth.permute import derive_key
from proxy.synth.plan import CHUNK_TABLES, Chunk, rows_for
from proxy.synth.world import World


def spread(rng: Random, total: int, owners: int, at_least_one: bool) -> list[int]:
    """How many of `total` rows each of `owners` owners gets, at random."""
    counts = [1] * owners if at_least_one else [0] * owners
    for _ in range(total - sum(counts)):
        counts[rng.randrange(owners)] += 1
    return counts


class _ChunkWriter:
    """Holds a chunk's random stream, row lists and id counters while it is generated."""

    def __init__(self, world: World, chunk: Chunk) -> None:
        self.world, self.chunk = world, chunk
        self.rng = FastRandom(derive_key(world.seed, "chunk", chunk.index))
        self.people = IdentitySource(world.seed)
        self.bins = BinSource(world.seed)
        self.rows: dict[str, list[str]] = {table: [] for table in CHUNK_TABLES}
        self.next_id = dict(chunk.first_ids)
        n = chunk.size
        self.counts = {
            table: spread(self.rng, rows_for(table, n), n, table in ("loans", "case_assignments"))
            for table in CHUNK_TABLES
            if table not in ("debtors", "payments", "consents")
        }
        self.payments = spread(self.rng, rows_for("payments", n), rows_for("loans", n), False)

    def take_id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def emit(self, table: str, line: str) -> None:
        self.rows[table].append(line)

    def each(self, table: str, count: int, make: Callable[[int], str]) -> None:
        """Emit `count` rows of `table`, each made from its new id."""
        for _ in range(count):
            self.rows[table].append(make(self.take_id(table)))

    def run(self) -> dict[str, list[str]]:
        for i in range(self.chunk.size):
            self._debtor(i)
        return self.rows

    def _debtor(self, i: int) -> None:
        rng, world, people, counts = self.rng, self.world, self.people, self.counts
        debtor = subjects.new_debtor(rng, people, self.chunk.first_debtor + i)
        first_person = world.persons.relatives_start - 1
        self.each(
            "relatives",
            counts["relatives"][i],
            lambda row_id: subjects.relative_row(
                rng, debtor, row_id, people, first_person + row_id
            ),
        )
        jobs = counts["employments"][i]
        for n in range(jobs):
            employer = rng.randrange(len(world.employers))
            self.emit(
                "employments",
                subjects.employment_row(
                    rng,
                    debtor,
                    self.take_id("employments"),
                    employer + 1,
                    world.employers[employer],
                    current=n == jobs - 1,
                ),
            )
        self._loans(debtor, counts["loans"][i])
        self.emit("debtors", subjects.debtor_row(rng, debtor))
        self._casework(debtor, i)
        self._registers(debtor, i)
        self.emit("consents", casework.consent_row(rng, debtor, self.take_id("consents")))

    def _loans(self, debtor: subjects.Debtor, count: int) -> None:
        rng, first_loan = self.rng, self.chunk.first_ids["loans"]
        for _ in range(count):
            loan = loans.new_loan(rng, self.world, debtor, self.take_id("loans"))
            debtor.loans.append(loan)
            self.emit("loans", loans.loan_row(loan, debtor.id))
            for _ in range(self.payments[loan.id - first_loan]):
                payment_id = self.take_id("payments")
                self.emit("payments", loans.payment_row(rng, payment_id, loan, debtor.id))

    def _casework(self, debtor: subjects.Debtor, i: int) -> None:
        rng, world, counts = self.rng, self.world, self.counts
        count = counts["case_assignments"][i]
        first = self.next_id["case_assignments"]
        self.next_id["case_assignments"] += count
        lines, collectors = casework.assignment_rows(rng, world, debtor, first, count)
        self.rows["case_assignments"] += lines
        self.each(
            "contact_events",
            counts["contact_events"][i],
            lambda row_id: casework.contact_event_row(rng, world, debtor, row_id, collectors),
        )
        self.each(
            "complaints",
            counts["complaints"][i],
            lambda row_id: casework.complaint_row(rng, world, debtor, row_id),
        )
        self.each(
            "applications",
            counts["applications"][i],
            lambda row_id: casework.application_row(rng, world, debtor, row_id),
        )

    def _registers(self, debtor: subjects.Debtor, i: int) -> None:
        rng, counts, taxpayers = self.rng, self.counts, self.world.taxpayers_start - 1
        self.each(
            "enforcement_proceedings",
            counts["enforcement_proceedings"][i],
            lambda row_id: registers.enforcement_row(rng, row_id, debtor, rng.choice(debtor.loans)),
        )
        self.each(
            "court_cases",
            counts["court_cases"][i],
            lambda row_id: registers.court_row(rng, row_id, debtor, rng.choice(debtor.loans)),
        )
        self.each(
            "tax_arrears",
            counts["tax_arrears"][i],
            lambda row_id: registers.tax_row(rng, row_id, debtor, self.bins, taxpayers + row_id),
        )


def generate_chunk(world: World, index: int) -> dict[str, bytes]:
    """COPY text (UTF-8) of every per-debtor table for chunk `index`."""
    rows = _ChunkWriter(world, world.plan.chunk(index)).run()
    return {table: ("\n".join(lines) + "\n").encode() for table, lines in rows.items() if lines}
