"""The detector scored on labelled sentences: the issue's thresholds, and the scoring rules.

Run with `-s` to see the per-type tables. Structured types must reach F1 ≥ 0.99 on the public set
and on our held-out set (`heldout.jsonl`, built by `make_heldout.py`). PERSON is asserted only at
what natasha gives today; the names work raises it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.detection.engine import Detector, Finding
from proxy.detection.evaluation import (
    Example,
    Report,
    Span,
    evaluate,
    format_table,
    load_examples,
)
from proxy.detection.recognizers import STRUCTURED_TYPES
from tests.support import REPO

PUBLIC = REPO.parent / "shared" / "pii_eval" / "public.jsonl"
HELDOUT = Path(__file__).with_name("heldout.jsonl")
STRUCTURED_F1 = 0.99  # the bars
PERSON_F1 = 0.95
MICRO_F1 = 0.97


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


def scored(path: Path, detector: Detector) -> Report:
    assert path.exists(), f"{path} is missing: the evaluation sets are part of the test"
    report = evaluate(load_examples(path), detector.find)
    print("\n" + format_table(report, path.name))
    return report


@pytest.mark.parametrize("path", [PUBLIC, HELDOUT], ids=["public", "heldout"])
def test_structured_types_reach_the_threshold(path: Path, detector: Detector) -> None:
    report = scored(path, detector)
    structured = {t: s for t, s in report.per_type.items() if t in STRUCTURED_TYPES}
    assert structured, "the set labels no structured type"
    low = {t: round(s.f1, 3) for t, s in structured.items() if s.f1 < STRUCTURED_F1}
    assert not low, f"F1 below {STRUCTURED_F1}: {low}"


@pytest.mark.parametrize("path", [PUBLIC, HELDOUT], ids=["public", "heldout"])
def test_person_and_micro_reach_the_threshold(path: Path, detector: Detector) -> None:
    report = scored(path, detector)
    assert report.per_type["PERSON"].f1 >= PERSON_F1
    assert report.micro.f1 >= MICRO_F1


def test_heldout_is_big_enough_and_bilingual() -> None:
    examples = load_examples(HELDOUT)
    assert len(examples) >= 120
    kazakh = [e for e in examples if any(c in e.text for c in "әғқңөұүһі")]
    assert len(kazakh) >= 30


def finds(*spans: tuple[str, int, int]) -> list[Finding]:
    return [Finding(start, end, kind, 1.0) for kind, start, end in spans]


@pytest.mark.parametrize(
    ("labels", "found", "tp", "fp", "fn"),
    [
        pytest.param([("KZ_IIN", 4, 16)], [("KZ_IIN", 4, 16)], 1, 0, 0, id="exact"),
        pytest.param([("KZ_IIN", 4, 16)], [("KZ_IIN", 4, 15)], 0, 1, 1, id="structured-off-by-one"),
        pytest.param([("KZ_IIN", 4, 16)], [("KZ_BIN", 4, 16)], 0, 1, 1, id="wrong-type"),
        pytest.param([("PERSON", 0, 10)], [("PERSON", 5, 20)], 1, 0, 0, id="person-half-overlap"),
        pytest.param([("PERSON", 0, 10)], [("PERSON", 6, 20)], 0, 1, 1, id="person-under-half"),
        pytest.param(
            [("PERSON", 0, 10)],
            [("PERSON", 0, 4), ("PERSON", 5, 10)],
            1,
            1,
            0,
            id="person-split-counts-once",
        ),
        pytest.param([], [("PHONE_NUMBER", 0, 11)], 0, 1, 0, id="false-positive"),
    ],
)
def test_scoring_rules(
    labels: list[tuple[str, int, int]],
    found: list[tuple[str, int, int]],
    tp: int,
    fp: int,
    fn: int,
) -> None:
    example = Example("x" * 30, tuple(Span(*label) for label in labels))
    report = evaluate([example], lambda _text: finds(*found))
    assert (report.micro.true_positives, report.micro.false_positives) == (tp, fp)
    assert report.micro.false_negatives == fn


def test_a_malformed_label_file_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "entities": []}\n{"text": "b"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        load_examples(bad)
