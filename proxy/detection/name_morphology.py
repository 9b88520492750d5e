"""A second opinion on unknown capitalised words: does Russian morphology take it for a given name?

The gazetteer cannot list every name (Ростислав, Анжелика, Гүлшахира). pymorphy2, which natasha
already brings with its dictionaries, tags given names with the `Name` grammeme and guesses it for
unknown words by their endings. It is asked only about capitalised words no list recognised, and
its answers are cached, so it adds little to the tagger's time.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from proxy.detection.name_lexicon import KAZAKH_FOLD

NAME_LIKELIHOOD = 0.5  # summed score of the parses that call the word a given name


@cache
def _morphology() -> Any:
    from natasha import MorphVocab  # pymorphy2 dictionaries, inside natasha's dependencies

    return MorphVocab()


@lru_cache(maxsize=65536)
def looks_like_given_name(word: str) -> bool:
    parses = _morphology().parse(word.translate(KAZAKH_FOLD))
    likelihood: float = sum(p.score for p in parses if "Name" in p.tag)
    return likelihood >= NAME_LIKELIHOOD


@lru_cache(maxsize=65536)
def is_known_russian_word(word: str) -> bool:
    """Whether Russian morphology knows the word from its dictionary (not a guess by ending)."""
    return bool(_morphology().word_is_known(word.translate(KAZAKH_FOLD)))
