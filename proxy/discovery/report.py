"""The proposals file a person reads and merges, and the summary printed after a scan.

The file is TOML in the catalogue's own format (`policies/catalogue.toml`): the new columns are
entries that can be moved into the catalogue as they are, each with a comment giving the
evidence; everything else (agreements, disagreements, catalogued columns the sample did not
show, suggestive names, columns that could not be read) is comments. Only names, kinds and
counts are written: never a sampled value.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from proxy.discovery import thresholds as classify
from proxy.discovery.classify import Basis, Verdict
from proxy.discovery.review import Review
from proxy.discovery.scan import ScanResult
from proxy.policy.catalogue import SubjectRef

PLACEHOLDER_CATEGORY = "REVIEW"  # not a category, so the catalogue refuses to load it unreviewed
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class ReportHeader:
    database: str  # with any password redacted
    scanned_at: str
    sample: int
    catalogue: str  # the catalogue compared against, or a note that there was none


def render_proposals(header: ReportHeader, result: ScanResult, review: Review) -> str:
    lines = _preamble(header, result)
    lines += _section(f"Proposed: {len(review.new)} column(s) the catalogue does not list")
    lines += _proposals(result, review)
    lines += _section(
        f"Disagreements: {len(review.disagreed)} (the catalogue says, the sample says)"
    )
    lines += [
        f"# {_name(d.verdict)}: catalogue {d.catalogued.value}, sample "
        f"{d.verdict.kind.value if d.verdict.kind else '-'} ({_evidence(d.verdict)})"
        for d in review.disagreed
    ]
    lines += _section(f"Already classified: {len(review.agreed)} (the sample agrees)")
    lines += [
        f"# {_name(v)}: {v.kind.value if v.kind else '-'} ({_evidence(v)})" for v in review.agreed
    ]
    lines += _section(f"In the catalogue, not shown by the sample: {len(review.catalogue_only)}")
    lines += [
        f"# {_key(c.table)}.{_key(c.column)}: catalogue {c.catalogued.value} "
        f"({_evidence(c.verdict) if c.verdict else 'not sampled or not in the database'})"
        for c in review.catalogue_only
    ]
    lines += _section(
        f"Names suggesting personal data the values do not show: {len(review.doubts)}"
    )
    lines += [f"# {_name(v)}: {_evidence(v)}" for v in review.doubts]
    lines += _section(f"Not sampled: {len(result.unreadable)}")
    lines += [f"# {_key(i.table)}.{_key(i.column)}: {why}" for i, why in result.unreadable]
    return "\n".join(lines) + "\n"


def summarise(result: ScanResult, review: Review, out: str) -> str:
    personal = [v for v in result.verdicts if v.personal]
    by_name = sum(1 for v in personal if v.basis is Basis.NAME_ONLY)
    columns = sum(len(t.columns) for t in result.tables)
    return (
        f"Scanned {len(result.tables)} tables, {columns} columns in {result.seconds:.1f} s: "
        f"{len(personal)} personal-data columns ({len(personal) - by_name} from values, "
        f"{by_name} by name only).\n"
        f"  new {len(review.new)}, already classified {len(review.agreed)}, "
        f"disagreements {len(review.disagreed)}, catalogue only {len(review.catalogue_only)}, "
        f"doubtful names {len(review.doubts)}, not sampled {len(result.unreadable)}\n"
        f"Proposals written to {out}"
    )


def _preamble(header: ReportHeader, result: ScanResult) -> list[str]:
    columns = sum(len(t.columns) for t in result.tables)
    return [
        "# Personal-data catalogue proposals, written by `palata-proxy scan`.",
        f"# Database: {header.database}; scanned {header.scanned_at}.",
        f"# Compared with {header.catalogue}.",
        f"# {len(result.tables)} tables, {columns} columns, up to {header.sample} non-null "
        f"values sampled per column, {result.seconds:.1f} s.",
        "#",
        "# Thresholds: a column is a structured kind when at least "
        f"{classify.STRUCTURED_SHARE:.0%} of its sampled",
        f"# values are wholly that kind ({classify.HINTED_SHARE:.0%} when the column's name "
        "suggests the same kind); free text when",
        f"# its values average {classify.FREE_TEXT_MIN_WORDS:.0f}+ words and at least "
        f"{classify.FREE_TEXT_SHARE:.0%} contain personal data; with fewer than "
        f"{classify.MIN_SAMPLED} values, every",
        "# value must agree. Birth dates, sex, salary and employment cannot be seen in values:",
        '# those entries say "BY NAME ONLY" and need a reviewer\'s eye most.',
        "#",
        "# To merge: check each entry's evidence, correct the kind if needed, give tables new to",
        f'# the catalogue their subjects (category "{PLACEHOLDER_CATEGORY}" will not load until '
        "replaced by",
        "# employee, counterparty or applicant), then move the entries into catalogue.toml.",
        "# No sampled value is written here: only column names, kinds and counts.",
    ]


def _section(title: str) -> list[str]:
    return ["", f"# ==== {title} ====", ""]


def _proposals(result: ScanResult, review: Review) -> list[str]:
    by_table: dict[str, list[Verdict]] = defaultdict(list)
    for verdict in review.new:
        by_table[verdict.info.table].append(verdict)
    keys = {t.name: t.primary_key for t in result.tables}
    lines: list[str] = []
    for table, verdicts in by_table.items():
        subjects = review.subjects.get(table)
        lines.append(f"[tables.{_quoted(table)}]")
        lines.append(_subjects_line(table, subjects, keys.get(table, ())))
        lines.append(f"[tables.{_quoted(table)}.columns]")
        lines += [_entry_line(v) for v in verdicts]
        lines.append("")
    return lines


def _subjects_line(table: str, known: tuple[SubjectRef, ...] | None, key: tuple[str, ...]) -> str:
    if known:  # the catalogue already knows whose rows these are
        refs = ", ".join(
            f"{{ key = {_quoted(s.column)}, of = {_quoted(s.table)}, "
            f"category = {_quoted(s.category.value)} }}"
            for s in known
        )
        return f"subjects = [{refs}]  # as in the catalogue"
    guess = key[0] if len(key) == 1 else "id"
    return (
        f"subjects = [{{ key = {_quoted(guess)}, of = {_quoted(table)}, "
        f'category = "{PLACEHOLDER_CATEGORY}" }}]  # whose rows? key and category to review'
    )


def _entry_line(verdict: Verdict) -> str:
    kind = verdict.kind.value if verdict.kind else ""
    flag = "BY NAME ONLY: " if verdict.basis is Basis.NAME_ONLY else ""
    return (
        f"{_key(verdict.info.column)} = {{ kind = {_quoted(kind)} }}  # {flag}{_evidence(verdict)}"
    )


def _evidence(verdict: Verdict) -> str:
    evidence = verdict.evidence
    parts = [verdict.reason, f"{evidence.sampled} sampled"]
    if evidence.contains:
        found = ", ".join(f"{e} {n}" for e, n in sorted(evidence.contains.items()))
        parts.append(f"values containing {found}")
    if evidence.truncated:
        parts.append(f"{evidence.truncated} cut to the classification limit")
    return "; ".join(parts)


def _name(verdict: Verdict) -> str:
    return f"{_key(verdict.info.table)}.{_key(verdict.info.column)}"


def _key(name: str) -> str:
    """A TOML key: bare when it can be, else a quoted string (never a raw control character)."""
    return name if _BARE_KEY.fullmatch(name) else _quoted(name)


def _quoted(text: str) -> str:
    """A TOML basic string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c.isprintable() else f"\\U{ord(c):08x}" for c in escaped)
    return f'"{escaped}"'
