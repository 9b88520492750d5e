"""Person names in Russian and Kazakh text: natasha's Russian NER as a Presidio recognizer.

natasha's tagger ships inside its wheel (nothing is downloaded). It is trained on Russian, so the
nine Kazakh letters are folded to the Russian letters people type in their place before tagging;
the folding is one character for one, so the offsets it returns are valid on the original text.
The tagger is loaded once and shared by every language's recognizer. Gazetteers and Kazakh name
endings that sharpen precision come with the detection issue.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

KAZAKH_FOLD = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")
PERSON_SCORE = 0.85


@cache
def _tagger() -> Any:
    from natasha import NewsEmbedding, NewsNERTagger  # 0.7 s and ~190 MB: load on first use

    return NewsNERTagger(NewsEmbedding())


def person_spans(text: str) -> list[tuple[int, int]]:
    """Start and end offsets of the person names natasha finds in `text`."""
    markup = _tagger()(text.translate(KAZAKH_FOLD))
    return [(span.start, span.stop) for span in markup.spans if span.type == "PER"]


class NatashaPersonRecognizer(EntityRecognizer):
    def __init__(self, supported_language: str) -> None:
        super().__init__(
            supported_entities=["PERSON"],
            supported_language=supported_language,
            name=f"natasha-person-{supported_language}",
        )

    def load(self) -> None:
        """The tagger is shared and loaded on first use (see `_tagger`)."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        if "PERSON" not in entities:
            return []
        return [
            RecognizerResult("PERSON", start, end, PERSON_SCORE)
            for start, end in person_spans(text)
        ]
