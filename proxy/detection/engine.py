"""The one detection engine: builds the Presidio analyzer and turns text into findings.

Redaction on the data path (`redact`), the `palata-proxy detect` command and the evaluation all
call `Detector`, so what is measured is what the proxy does. The analyzer runs with Presidio's
no-op NLP engine: no language model is loaded or downloaded. Findings come back ordered and with
nested duplicates removed (a finding inside a longer one, such as digits inside a card number,
adds nothing); findings that only partly overlap are both kept, and redaction merges them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import NoOpNlpEngine

import proxy.detection  # noqa: F401  (pins tldextract offline before Presidio loads)
from proxy.detection.recognizers import LANGUAGES, kz_recognizers

ANALYSIS_LANGUAGE = "ru"  # the recognizers are the same for every language; one pass suffices
CACHE_SIZE = 65_536


@dataclass(frozen=True, order=True)
class Finding:
    """Personal data found in a text: its type and span (Python string offsets, end exclusive)."""

    start: int
    end: int
    entity_type: str
    score: float


def build_analyzer() -> AnalyzerEngine:
    """Presidio's analyzer with the proxy's recognizers for every language, fully offline."""
    registry = RecognizerRegistry(supported_languages=list(LANGUAGES))
    for language in LANGUAGES:
        for recognizer in kz_recognizers(language):
            registry.add_recognizer(recognizer)
    nlp = NoOpNlpEngine(models=[{"lang_code": lang, "model_name": "no_op"} for lang in LANGUAGES])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=list(LANGUAGES))


class Detector:
    """Finds personal data in text; results are cached per text (`cache_size` 0: no cache).

    `entities` narrows the search to some types (all when None): a column known to hold phones
    need not run the name tagger.
    """

    def __init__(self, cache_size: int = CACHE_SIZE, entities: Sequence[str] | None = None) -> None:
        self._analyzer = build_analyzer()
        self._entities = None if entities is None else list(entities)
        self.find = lru_cache(maxsize=cache_size)(self._find)

    def _find(self, text: str) -> tuple[Finding, ...]:
        results = self._analyzer.analyze(
            text=text, language=ANALYSIS_LANGUAGE, entities=self._entities
        )
        findings = [Finding(r.start, r.end, r.entity_type, r.score) for r in results]
        return drop_nested(findings)

    def clear_cache(self) -> None:
        self.find.cache_clear()


def drop_nested(findings: list[Finding]) -> tuple[Finding, ...]:
    """The findings in text order, without any that lies inside a longer structured one.

    A name's span never swallows a structured finding: the tagger sometimes runs a name on over
    "(ИИН 850215312346)", and the IIN must still be reported as one.
    """
    structured = sorted(
        (f for f in findings if f.entity_type != "PERSON"),
        key=lambda f: (f.start - f.end, -f.score, f.start),
    )
    kept: list[Finding] = []
    for finding in structured:
        if not _inside_any(finding, kept):
            kept.append(finding)
    names = [f for f in findings if f.entity_type == "PERSON"]
    kept.extend(f for f in names if not _inside_any(f, kept))
    return tuple(sorted(set(kept)))


def _inside_any(finding: Finding, others: list[Finding]) -> bool:
    return any(o.start <= finding.start and finding.end <= o.end for o in others)
