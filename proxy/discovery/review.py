"""The scan's verdicts beside the existing catalogue: what is new, what agrees, what disagrees.

Pure: takes verdicts and a `Catalogue` (or none) and sorts every column into one group, so the
report can put proposals (new) apart from what a reviewer only needs to glance at.
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy.discovery.classify import Verdict
from proxy.policy.catalogue import Catalogue, SubjectRef
from proxy.policy.masks import Kind


@dataclass(frozen=True)
class Disagreement:
    verdict: Verdict
    catalogued: Kind  # what the catalogue says; the verdict's kind is what the sample says


@dataclass(frozen=True)
class CatalogueOnly:
    """A column the catalogue classifies and the sample did not show (or could not read)."""

    table: str
    column: str
    catalogued: Kind
    verdict: Verdict | None  # None: the column was not sampled or no longer exists


@dataclass(frozen=True)
class Review:
    new: tuple[Verdict, ...]  # personal, not in the catalogue: the proposals
    agreed: tuple[Verdict, ...]  # personal, catalogued with the same kind
    disagreed: tuple[Disagreement, ...]
    catalogue_only: tuple[CatalogueOnly, ...]
    doubts: tuple[Verdict, ...]  # not personal by the values, but the name suggests a kind
    subjects: dict[str, tuple[SubjectRef, ...]]  # catalogued subjects of tables with proposals


def review_verdicts(verdicts: tuple[Verdict, ...], catalogue: Catalogue | None) -> Review:
    tables = catalogue.tables if catalogue is not None else {}
    new, agreed, disagreed, doubts = [], [], [], []
    seen: dict[tuple[str, str], Verdict] = {}
    for verdict in verdicts:
        info = verdict.info
        seen[(info.table, info.column)] = verdict
        entry = catalogue.column(info.table, info.column) if catalogue is not None else None
        if verdict.kind is None:
            if verdict.hint is not None and entry is None:
                doubts.append(verdict)
        elif entry is None:
            new.append(verdict)
        elif entry.kind == verdict.kind:
            agreed.append(verdict)
        else:
            disagreed.append(Disagreement(verdict, entry.kind))
    catalogue_only = [
        CatalogueOnly(table.name, column.name, column.kind, seen.get((table.name, column.name)))
        for table in tables.values()
        for column in table.columns.values()
        if (found := seen.get((table.name, column.name))) is None or found.kind is None
    ]
    subjects = {v.info.table: tables[v.info.table].subjects for v in new if v.info.table in tables}
    return Review(
        tuple(new),
        tuple(agreed),
        tuple(disagreed),
        tuple(catalogue_only),
        tuple(doubts),
        subjects,
    )
