"""Counts of what a column's sampled values look like: the only thing kept from a sample.

For each value: the kind its whole text has (a detector entity covering nearly all of it, or a
shape from `shapes`), the detector entities it merely contains, and its length in words. Values
are read once and dropped; `ColumnEvidence` holds numbers and entity names, never text, so it
can be logged, compared and written out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from proxy.detection.engine import Finding, drop_nested
from proxy.discovery.detector import ValueDetector
from proxy.discovery.shapes import ENTITY_KINDS, identifier_kind, name_part, shape_kind
from proxy.discovery.thresholds import COVERAGE, MIN_SAMPLED, STRUCTURED_SHARE
from proxy.policy.masks import Kind

STRING_CATEGORY = "S"  # pg_type.typcategory of text, varchar, char: the only home of shapes
# Categories whose text form can hold an identifier, a name or prose: strings, numbers, JSON and
# other user types, arrays, enums. Dates, booleans, intervals, network and geometric values are
# counted but not analysed (a birth date is found by its column's name, see `hints`).
ANALYSED_CATEGORIES = frozenset({"S", "N", "U", "A", "E"})


@dataclass(frozen=True)
class ColumnInfo:
    """A column of a table, as the database describes it."""

    table: str  # schema.table
    column: str
    type_name: str  # format_type(), e.g. character(12)
    type_category: str  # pg_type.typcategory: S string, N numeric, D date/time, B boolean, ...

    @property
    def qualified(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass
class ColumnEvidence:
    """What the sampled non-null values of one column showed."""

    sampled: int = 0
    whole: Counter[Kind] = field(default_factory=Counter)  # values that are entirely a kind
    name_parts: Counter[Kind] = field(default_factory=Counter)  # of the values that are a name
    contains: Counter[str] = field(default_factory=Counter)  # values containing each entity
    with_entity: int = 0  # values containing at least one entity
    words: int = 0  # total words, for the mean length
    truncated: int = 0  # values cut to the classification limit when sampled

    @property
    def mean_words(self) -> float:
        return self.words / self.sampled if self.sampled else 0.0

    def share(self, count: int) -> float:
        return count / self.sampled if self.sampled else 0.0


def gather_evidence(
    info: ColumnInfo, values: Iterable[str], detector: ValueDetector, truncated: int = 0
) -> ColumnEvidence:
    """Count, for one column, what its values look like; each distinct value is analysed once.

    Names are looked for only when the structured findings and shapes do not already settle
    the column (STRUCTURED_SHARE of its values wholly of one kind): a column of e-mails or
    addresses never meets the slow name tagger.
    """
    counts = Counter(values)
    evidence = ColumnEvidence(sampled=counts.total(), truncated=truncated)
    evidence.words = sum(len(value.split()) * times for value, times in counts.items())
    if info.type_category not in ANALYSED_CATEGORIES:
        return evidence
    found = {value: detector.structured(value) for value in counts if value.strip()}
    if not _settled(info, counts, found):
        found = {value: drop_nested([*f, *detector.names(value)]) for value, f in found.items()}
    for value, findings in found.items():
        _count_value(evidence, info, value, counts[value], findings)
    return evidence


def _settled(info: ColumnInfo, counts: Counter[str], found: dict[str, tuple[Finding, ...]]) -> bool:
    kinds: Counter[Kind] = Counter()
    for value, findings in found.items():
        kind = whole_value_kind(info, value, findings)
        if kind is not None:
            kinds[kind] += counts[value]
    total = counts.total()
    return bool(kinds) and total >= MIN_SAMPLED and max(kinds.values()) >= STRUCTURED_SHARE * total


def _count_value(
    evidence: ColumnEvidence,
    info: ColumnInfo,
    value: str,
    times: int,
    findings: tuple[Finding, ...],
) -> None:
    entities = {f.entity_type for f in findings}
    for entity in entities:
        evidence.contains[entity] += times
    if entities:
        evidence.with_entity += times
    kind = whole_value_kind(info, value, findings)
    if kind is not None:
        evidence.whole[kind] += times
        if kind is Kind.FULL_NAME:
            evidence.name_parts[name_part(value)] += times


def whole_value_kind(info: ColumnInfo, value: str, findings: tuple[Finding, ...]) -> Kind | None:
    """The kind the whole value has: a covering entity first, else a shape (text columns)."""
    for entity in _covering_entities(value, findings):
        kind = ENTITY_KINDS.get(entity)
        if kind is Kind.IIN:
            return identifier_kind(value)
        if kind is not None:
            return kind
    if info.type_category == STRING_CATEGORY:
        return shape_kind(value)
    return None


def _covering_entities(value: str, findings: tuple[Finding, ...]) -> list[str]:
    """Entities whose spans together cover COVERAGE of the value's non-space characters, best
    coverage first."""
    total = sum(1 for c in value if not c.isspace())
    covered: dict[str, set[int]] = {}
    for finding in findings:
        covered.setdefault(finding.entity_type, set()).update(range(finding.start, finding.end))
    shares = {
        entity: sum(1 for i in offsets if i < len(value) and not value[i].isspace()) / total
        for entity, offsets in covered.items()
        if total
    }
    ranked = sorted(shares, key=lambda entity: (-shares[entity], entity))
    return [entity for entity in ranked if shares[entity] >= COVERAGE]
