"""The detector discovery runs over each sampled value: the proxy's own detection engine.

The analyzer comes from `proxy.detection.engine.build_analyzer` and findings go through the same
`drop_nested` as redaction's, so a column the scan calls personal is one the redactor would
catch in free text, and the other way round. The name tagger is by far the slowest recognizer,
so a scan asks in two steps: everything but names for every value, then names only for the
columns that need them (see `evidence`). `ValueDetector` is the seam: the classification core
takes findings, not Presidio.
"""

from __future__ import annotations

from typing import Protocol

from presidio_analyzer import AnalyzerEngine

from proxy.detection.engine import ANALYSIS_LANGUAGE, Finding, build_analyzer, drop_nested

NAME_ENTITY = "PERSON"


class ValueDetector(Protocol):
    def structured(self, value: str) -> tuple[Finding, ...]:
        """Everything but person names."""

    def names(self, value: str) -> tuple[Finding, ...]:
        """Person names only."""


class ScanDetector:
    """The proxy's analyzer, uncached: a scan reads each value once and keeps none."""

    def __init__(self, analyzer: AnalyzerEngine | None = None) -> None:
        self._analyzer = analyzer if analyzer is not None else build_analyzer()
        supported = self._analyzer.get_supported_entities(language=ANALYSIS_LANGUAGE)
        self._structured = sorted(set(supported) - {NAME_ENTITY})

    def structured(self, value: str) -> tuple[Finding, ...]:
        return self._analyze(value, self._structured)

    def names(self, value: str) -> tuple[Finding, ...]:
        if not any(c.isalpha() for c in value):
            return ()
        return self._analyze(value, [NAME_ENTITY])

    def _analyze(self, value: str, entities: list[str]) -> tuple[Finding, ...]:
        results = self._analyzer.analyze(text=value, language=ANALYSIS_LANGUAGE, entities=entities)
        return drop_nested([Finding(r.start, r.end, r.entity_type, r.score) for r in results])
