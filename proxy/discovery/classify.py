"""Deciding a column's kind from its evidence and its name and type: pure, and the one place
the thresholds live.

- Structured: the values that are wholly of one kind make up at least STRUCTURED_SHARE of the
  sampled non-null values, or HINTED_SHARE when the column's name suggests that same kind.
  Person names count as one family (the detector says "a name"); which part — surname, given
  name, patronymic, full name — comes from the column's name when it says, else from the values'
  shape (a majority).
- Free text: values of FREE_TEXT_MIN_WORDS words or more on average, of which at least
  FREE_TEXT_SHARE contain personal data the detector finds.
- By name only: kinds no value can show (birth date, sex, salary, employment), when the name
  suggests one and the type fits; and any kind the name suggests when fewer than MIN_SAMPLED
  values could be read (an empty table, a column of NULLs). Such a proposal says so.
- With fewer than MIN_SAMPLED values, a value-based decision needs every value to agree.

A column whose name suggests a kind its values clearly do not show gets no kind, but keeps the
hint so that the report can ask a reviewer about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from proxy.discovery.evidence import ColumnEvidence, ColumnInfo
from proxy.discovery.hints import name_hint, name_only_hint
from proxy.discovery.shapes import NAME_KINDS
from proxy.discovery.thresholds import (
    FREE_TEXT_MIN_WORDS,
    FREE_TEXT_SHARE,
    HINTED_SHARE,
    MIN_SAMPLED,
    STRUCTURED_SHARE,
)
from proxy.policy.masks import Kind


class Basis(StrEnum):
    VALUES = "values"  # the sampled values show the kind (the name may have helped)
    NAME_ONLY = "name only"  # the name and type suggest it; values cannot or could not show it


@dataclass(frozen=True)
class Verdict:
    """What the scan makes of one column: a kind (or none), on what basis, and why."""

    info: ColumnInfo
    evidence: ColumnEvidence
    kind: Kind | None
    basis: Basis | None
    hint: Kind | None  # what the column's name suggests
    reason: str  # for the reviewer; counts and names only, never a value

    @property
    def personal(self) -> bool:
        return self.kind is not None


def classify_column(info: ColumnInfo, evidence: ColumnEvidence) -> Verdict:
    hint = name_hint(info.column)
    structured = _structured(info, evidence, hint)
    if structured is not None:
        return structured
    if _is_free_text(evidence):
        share = evidence.share(evidence.with_entity)
        reason = f"{share:.0%} of values contain personal data, {evidence.mean_words:.0f} words"
        return Verdict(info, evidence, Kind.FREE_TEXT, Basis.VALUES, hint, reason + " on average")
    return _by_name(info, evidence, hint)


def _structured(info: ColumnInfo, evidence: ColumnEvidence, hint: Kind | None) -> Verdict | None:
    passing = [
        (evidence.share(count), kind)
        for kind, count in evidence.whole.items()
        if _enough(count, evidence.sampled, _threshold(kind, hint))
    ]
    if not passing:
        return None
    share, kind = max(passing, key=lambda item: (item[0], item[1].value))
    reason = f"{share:.0%} of values are wholly {_family(kind)}"
    if hint is not None and _same_family(kind, hint):
        reason += " (the column's name agrees)"
    if kind is Kind.FULL_NAME:
        kind, how = _name_part(evidence, hint)
        reason += f"; {kind.value} {how}"
    return Verdict(info, evidence, kind, Basis.VALUES, hint, reason)


def _is_free_text(evidence: ColumnEvidence) -> bool:
    return evidence.mean_words >= FREE_TEXT_MIN_WORDS and _enough(
        evidence.with_entity, evidence.sampled, FREE_TEXT_SHARE
    )


def _by_name(info: ColumnInfo, evidence: ColumnEvidence, hint: Kind | None) -> Verdict:
    only = name_only_hint(info.column, info.type_category)
    if only is not None:
        reason = f"the name suggests {only.value} and the type ({info.type_name}) fits"
        return Verdict(info, evidence, only, Basis.NAME_ONLY, hint, reason)
    if hint is not None and evidence.sampled < MIN_SAMPLED:
        reason = f"the name suggests {hint.value}; only {evidence.sampled} value(s) to check"
        return Verdict(info, evidence, hint, Basis.NAME_ONLY, hint, reason)
    if hint is not None:
        reason = f"the name suggests {hint.value}, but the values do not show it"
        return Verdict(info, evidence, None, None, hint, reason)
    return Verdict(info, evidence, None, None, None, "no kind of personal data found")


def _enough(count: int, sampled: int, threshold: float) -> bool:
    """A share at or above the threshold; with a small sample, every value."""
    if sampled < MIN_SAMPLED:
        return sampled > 0 and count == sampled
    return count / sampled >= threshold


def _threshold(kind: Kind, hint: Kind | None) -> float:
    return HINTED_SHARE if hint is not None and _same_family(kind, hint) else STRUCTURED_SHARE


def _same_family(kind: Kind, other: Kind) -> bool:
    return kind == other or (kind in NAME_KINDS and other in NAME_KINDS)


def _family(kind: Kind) -> str:
    return "a person's name" if kind in NAME_KINDS else kind.value


def _name_part(evidence: ColumnEvidence, hint: Kind | None) -> tuple[Kind, str]:
    """Which part of a name: the column's name when it says, else the values' majority shape."""
    if hint is not None and hint in NAME_KINDS:
        return hint, "by the column's name"
    part, count = max(evidence.name_parts.items(), key=lambda item: (item[1], item[0].value))
    return part, f"by shape ({count} of {evidence.whole[Kind.FULL_NAME]} name values)"
