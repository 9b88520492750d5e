"""Scoring the detector against labelled sentences (`../shared/pii_eval` rules).

A labelled file holds one JSON object per line, `{"text": ..., "entities": [{"type", "start",
"end"}]}`, offsets in Python characters, end exclusive. A structured finding counts only on the
exact span and type; a PERSON finding counts when it overlaps a labelled name by at least half
the labelled span. Each label and each finding is matched at most once. Per type: precision,
recall and F1; over all types: micro F1. Run `python -m proxy.detection.evaluation FILE...` for
the table.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from proxy.detection.engine import Detector, Finding

OVERLAP_TYPES = frozenset({"PERSON"})


@dataclass(frozen=True)
class Span:
    entity_type: str
    start: int
    end: int


@dataclass(frozen=True)
class Example:
    text: str
    labels: tuple[Span, ...]


@dataclass(frozen=True)
class TypeScore:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        labelled = self.true_positives + self.false_negatives
        return self.true_positives / labelled if labelled else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Report:
    per_type: dict[str, TypeScore]
    micro: TypeScore
    sentences: int
    misses: list[str] = field(default_factory=list)


def load_examples(path: Path) -> list[Example]:
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            labels = tuple(Span(e["type"], e["start"], e["end"]) for e in record["entities"])
            examples.append(Example(record["text"], labels))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: line {number} is not a labelled example") from exc
    return examples


def matches(label: Span, found: Span) -> bool:
    if label.entity_type != found.entity_type:
        return False
    if label.entity_type not in OVERLAP_TYPES:
        return (label.start, label.end) == (found.start, found.end)
    overlap = min(label.end, found.end) - max(label.start, found.start)
    return overlap * 2 >= label.end - label.start


def count_sentence(labels: Sequence[Span], found: Sequence[Span]) -> tuple[Counter[str], ...]:
    """True positives, false positives and false negatives per type for one sentence."""
    tp: Counter[str] = Counter()
    unmatched = list(found)
    for label in labels:
        hit = next((f for f in unmatched if matches(label, f)), None)
        if hit is not None:
            unmatched.remove(hit)
            tp[label.entity_type] += 1
    fp = Counter(f.entity_type for f in unmatched)
    fn = Counter(label.entity_type for label in labels) - tp
    return tp, fp, fn


def evaluate(examples: Iterable[Example], find: Callable[[str], Sequence[Finding]]) -> Report:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    misses: list[str] = []
    count = 0
    for example in examples:
        count += 1
        found = [Span(f.entity_type, f.start, f.end) for f in find(example.text)]
        s_tp, s_fp, s_fn = count_sentence(example.labels, found)
        tp, fp, fn = tp + s_tp, fp + s_fp, fn + s_fn
        if s_fp or s_fn:
            misses.append(_describe_miss(example, found))
    types = sorted(set(tp) | set(fp) | set(fn))
    per_type = {t: TypeScore(tp[t], fp[t], fn[t]) for t in types}
    micro = TypeScore(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return Report(per_type, micro, count, misses)


def _describe_miss(example: Example, found: Sequence[Span]) -> str:
    """A line for a developer reading a synthetic set; never used on real data."""

    def show(spans: Iterable[Span]) -> str:
        return ", ".join(f"{s.entity_type}:{example.text[s.start : s.end]!r}" for s in spans)

    return f"{example.text}\n    labelled: {show(example.labels)}\n    found:    {show(found)}"


def format_table(report: Report, title: str) -> str:
    lines = [
        f"{title} ({report.sentences} sentences)",
        f"  {'type':<16}{'P':>7}{'R':>7}{'F1':>7}{'TP':>6}{'FP':>5}{'FN':>5}",
    ]
    rows = [*report.per_type.items(), ("micro", report.micro)]
    for name, score in rows:
        lines.append(
            f"  {name:<16}{score.precision:>7.3f}{score.recall:>7.3f}{score.f1:>7.3f}"
            f"{score.true_positives:>6}{score.false_positives:>5}{score.false_negatives:>5}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    """Print the table for each labelled file; `--misses` also prints the sentences missed."""
    parser = argparse.ArgumentParser(
        prog="python -m proxy.detection.evaluation",
        description="Precision, recall and F1 of the detector on labelled JSON lines.",
    )
    parser.add_argument("--misses", action="store_true", help="print the sentences missed")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE.jsonl")
    args = parser.parse_args(argv)
    detector = Detector()
    for path in args.files:
        try:
            examples = load_examples(path)
        except OSError as exc:
            print(f"cannot read {path}: {exc.strerror or type(exc).__name__}", file=sys.stderr)
            return 1
        report = evaluate(examples, detector.find)
        print(format_table(report, str(path)))
        if args.misses:
            print("\n".join(report.misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
