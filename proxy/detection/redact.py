"""Redaction of free text: personal data replaced by `<ENTITY>` placeholders.

The analyzer runs with Presidio's no-op NLP engine, so no language model is loaded or
downloaded; the recognizers are pattern- and checksum-based. Redaction is CPU work: callers on
the event loop run it in a thread (`redact_all`). Results are cached per text, because the same
note is often read many times.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import lru_cache

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import NoOpNlpEngine
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig

import proxy.detection  # noqa: F401  (pins tldextract offline before Presidio loads)
from proxy.detection.recognizers import LANGUAGES, kz_recognizers

ANALYSIS_LANGUAGE = "ru"  # the recognizers are the same for every language; one pass suffices
CACHE_SIZE = 65_536


class Redactor:
    """Finds personal data in text and replaces each finding with `<ENTITY_TYPE>`."""

    def __init__(self) -> None:
        registry = RecognizerRegistry(supported_languages=list(LANGUAGES))
        for language in LANGUAGES:
            for recognizer in kz_recognizers(language):
                registry.add_recognizer(recognizer)
        nlp = NoOpNlpEngine(
            models=[{"lang_code": lang, "model_name": "no_op"} for lang in LANGUAGES]
        )
        self._analyzer = AnalyzerEngine(
            registry=registry, nlp_engine=nlp, supported_languages=list(LANGUAGES)
        )
        self._anonymizer = AnonymizerEngine()  # type: ignore[no-untyped-call]
        self.redact = lru_cache(maxsize=CACHE_SIZE)(self._redact)

    def _redact(self, text: str) -> str:
        findings = self._analyzer.analyze(text=text, language=ANALYSIS_LANGUAGE)
        if not findings:
            return text
        operators = {
            f.entity_type: OperatorConfig("replace", {"new_value": f"<{f.entity_type}>"})
            for f in findings
        }
        return str(
            self._anonymizer.anonymize(
                text=text,
                # the analyzer's and the anonymizer's RecognizerResult: one shape, two classes
                analyzer_results=findings,  # type: ignore[arg-type]
                operators=operators,
            ).text
        )

    async def redact_all(self, texts: Sequence[str | None]) -> list[str | None]:
        """Redact many values in one worker thread, off the event loop; None stays None."""
        return await asyncio.to_thread(
            lambda: [None if t is None else self.redact(t) for t in texts]
        )
