"""The shape shared by the proxy's own recognizers: a regular expression finds candidates, a
judge (check digit, structure, context) keeps or drops each one and names its entity type.

Presidio's `PatternRecognizer` scores by pattern and context tokens; without an NLP engine the
context part is inert, and a candidate's type can depend on what it is (an IIN or a BIN), so the
proxy's recognizers decide per match in plain Python instead.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from typing import Any, NamedTuple

from presidio_analyzer import EntityRecognizer, RecognizerResult


class Verdict(NamedTuple):
    entity_type: str
    score: float


class RegexRecognizer(EntityRecognizer):
    """Candidates by `PATTERN` (group 0 is the span), each judged by `judge`."""

    PATTERN: re.Pattern[str]
    ENTITIES: tuple[str, ...]

    def __init__(self, supported_language: str) -> None:
        super().__init__(
            supported_entities=list(self.ENTITIES),
            supported_language=supported_language,
            name=f"{type(self).__name__}-{supported_language}",
        )

    def load(self) -> None:
        """Nothing to load: patterns are compiled with the class."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        wanted = set(entities) & set(self.ENTITIES)
        if not wanted:
            return []
        results = []
        for match in self.PATTERN.finditer(text):
            verdict = self.judge(text, match)
            if verdict is not None and verdict.entity_type in wanted:
                results.append(
                    RecognizerResult(verdict.entity_type, match.start(), match.end(), verdict.score)
                )
        return results

    @abstractmethod
    def judge(self, text: str, match: re.Match[str]) -> Verdict | None:
        """The entity type and score for a candidate, or None to drop it."""
