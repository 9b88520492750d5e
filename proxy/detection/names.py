"""Person names in Russian and Kazakh text: natasha's Russian NER sharpened by name rules.

natasha's tagger ships inside its wheel (nothing is downloaded). It is trained on Russian, so the
nine Kazakh letters are folded to the Russian letters people type in their place before tagging;
the folding is one character for one, so the offsets it returns are valid on the original text.
The tagger is loaded once and shared by every language's recognizer. Its spans then pass the
rules of `name_rules` (a name part must be in them, streets and organisations named after people
are not persons), which also add the names it missed and join the pieces of one name; the rules
are regular expressions and set lookups, so the tagger's time dominates.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from proxy.detection.name_context import names_a_person
from proxy.detection.name_cues import cue_spans, split_genitive_pairs
from proxy.detection.name_lexicon import KAZAKH_FOLD, lexicon
from proxy.detection.name_rules import (
    Span,
    merged,
    rule_spans,
    titled_spans,
    vetted_tagger_spans,
    widened,
)
from proxy.detection.name_tokens import tokenize

__all__ = ["KAZAKH_FOLD", "PERSON_SCORE", "NatashaPersonRecognizer", "person_spans"]

PERSON_SCORE = 0.85


@cache
def _tagger() -> Any:
    from natasha import NewsEmbedding, NewsNERTagger  # 0.7 s and ~190 MB: load on first use

    return NewsNERTagger(NewsEmbedding())


def tagger_spans(text: str) -> list[Span]:
    """The PER spans natasha finds in `text`, Kazakh letters folded first."""
    markup = _tagger()(text.translate(KAZAKH_FOLD))
    return [(span.start, span.stop) for span in markup.spans if span.type == "PER"]


def person_spans(text: str) -> list[Span]:
    """Start and end offsets of the person names in `text`."""
    words = lexicon()
    tokens = tokenize(text, words)
    found = (
        vetted_tagger_spans(tagger_spans(text), tokens)
        + rule_spans(tokens, text)
        + titled_spans(tokens, text, words)
        + cue_spans(tokens, text, words)
    )
    spans = merged((widened(span, tokens, text) for span in found), text)
    spans = split_genitive_pairs(spans, tokens, words)
    return [(start, end) for start, end in spans if names_a_person(text, start, end, words)]


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
