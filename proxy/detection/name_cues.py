"""Names no list knows, found by the words around them and by the Kazakh case they carry.

A rare Kazakh given name (one no list holds and no name part builds) still gives itself away:
it stands right after a kinship word ("ағасы Серік", "сын Ерлана") or in the genitive right
before one ("Серіктің інісі"), right before a verb of speaking or paying ("Серік сказал"), after
a Russian preposition while spelt with Kazakh letters ("с Шолпан" in Russian text), or carries a
Kazakh case suffix while capitalised in the middle of a sentence ("Сот Серікке жазды"). A
sentence's first word is capitalised anyway, so there a case suffix counts only after a known
name beginning (Айжанмен, Нұрсәуледен). Every rule is a set lookup on the neighbouring tokens.
"""

from __future__ import annotations

import re

from proxy.detection.name_lexicon import NameLexicon, word_key
from proxy.detection.name_morphology import is_known_russian_word
from proxy.detection.name_tokens import Kind, Token, joined

Span = tuple[int, int]

_KAZAKH_LETTERS = re.compile(r"[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
_CYRILLIC_WORD = re.compile(r"[А-ЯЁӘҒҚҢӨҰҮҺІа-яёәғқңөұүһі]+")
# Case suffixes (letters folded) a person's name takes in Kazakh, longest first: genitive,
# dative, accusative, ablative, instrumental. Locative and the possessive are left out (names
# seldom take them; Республикасы, Сотта do).
_GENITIVE = ("нын", "нин", "дын", "дин", "тын", "тин")
_CASE_SUFFIXES = (
    *_GENITIVE,
    "дан", "ден", "тан", "тен", "нан", "нен",
    "мен", "бен", "пен",
    "га", "ге", "ка", "ке",
    "ны", "ни", "ды", "ди", "ты", "ти",
)  # fmt: skip
_MIN_STEM = 3
# Stems of verb forms and abstract nouns that begin like a name (айтқаннан, айырмашылықтың).
_NOT_A_NAME_STEM = re.compile(r"(ган|ген|кан|кен|у|ю|ым|им|тын|тин|лык|лик)$")
_PREPOSITIONS = frozenset({"с", "со", "у", "от", "для", "к", "ко", "про", "через"})
_MAX_WORDS = 3


def cue_spans(tokens: list[Token], text: str, lexicon: NameLexicon) -> list[Span]:
    spans: list[Span] = []
    for index, token in enumerate(tokens):
        word = token.text.lower()
        previous = tokens[index - 1] if index > 0 else None
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if word in lexicon.kinship_words:
            spans.extend(_after_kinship(tokens, index, text))
            if previous is not None and _genitive_before(previous, token, text):
                spans.append((previous.start, previous.end))
        elif word in lexicon.speech_verbs and previous is not None:
            if _unknown_word(previous) and joined(previous, token, text):
                spans.append((previous.start, previous.end))
        elif word in _PREPOSITIONS and following is not None:
            kazakh = _KAZAKH_LETTERS.search(following.text) is not None
            if kazakh and _unknown_word(following) and joined(token, following, text):
                spans.append((following.start, following.end))
        if _carries_a_name_case(token, lexicon):
            spans.append((token.start, token.end))
    return spans


def _usable(token: Token) -> bool:
    return Kind.CAPITALISED in token.kind and Kind.NOT_NAME not in token.kind


def _after_kinship(tokens: list[Token], index: int, text: str) -> list[Span]:
    """ "ағасы Серік Омаров", "сын Ерлана": the capitalised words right after a kinship word."""
    run: list[Token] = []
    previous = tokens[index]
    for token in tokens[index + 1 : index + 1 + _MAX_WORDS]:
        usable = _usable(token) and Kind.OPENS_SENTENCE not in token.kind
        if not usable or not joined(previous, token, text) or Kind.INITIALS in token.kind:
            break
        run.append(token)
        previous = token
    return [(run[0].start, run[-1].end)] if run else []


def _genitive_before(token: Token, kinship: Token, text: str) -> bool:
    """ "Серіктің інісі": a capitalised genitive right before a kinship word."""
    if not _usable(token) or not joined(token, kinship, text):
        return False
    key = word_key(token.text)
    return any(key.endswith(s) and len(key) - len(s) >= _MIN_STEM for s in _GENITIVE)


def _unknown_word(token: Token) -> bool:
    """A capitalised Cyrillic word no list placed, spelt with a Kazakh letter or unknown to
    Russian morphology ("Клиент сказал" is not a name)."""
    if not _usable(token) or token.kind.is_name_part or Kind.ADJECTIVAL in token.kind:
        return False  # a name part is the other rules' call: "Фонд Депозитов ответил"
    if not _CYRILLIC_WORD.fullmatch(token.text):
        return False
    if _KAZAKH_LETTERS.search(token.text):
        return True
    return not is_known_russian_word(token.text.lower())


def _case_stem(key: str) -> str | None:
    for suffix in _CASE_SUFFIXES:
        if key.endswith(suffix) and len(key) - len(suffix) >= _MIN_STEM:
            return key[: -len(suffix)]
    return None


def _carries_a_name_case(token: Token, lexicon: NameLexicon) -> bool:
    """A capitalised word no list placed that carries a Kazakh case suffix: anywhere in the
    middle of a sentence, and first in it only when its stem begins like a Kazakh name."""
    if not _usable(token) or token.kind.is_name_part or Kind.ADJECTIVAL in token.kind:
        return False
    if not _CYRILLIC_WORD.fullmatch(token.text):
        return False
    key = word_key(token.text)
    stem = _case_stem(key)
    if stem is None or lexicon.is_common_word(stem) or lexicon.is_not_name(stem):
        return False
    if Kind.OPENS_SENTENCE not in token.kind:
        return not is_known_russian_word(token.text.lower())
    if _NOT_A_NAME_STEM.search(stem):
        return False
    beginnings = lexicon.name_beginnings_cased
    return any(stem[:n] in beginnings and len(stem) >= n + 3 for n in range(2, 6))


def split_genitive_pairs(
    spans: list[Span], tokens: list[Token], lexicon: NameLexicon
) -> list[Span]:
    """ "Жена Азамата Динара": a Russian genitive of a man's name beside a nominative given name
    is two people, since the words of one full name agree in case."""
    result: list[Span] = []
    for start, end in spans:
        inside = [t for t in tokens if t.start >= start and t.end <= end]
        if len(inside) == 2 and _genitive_then_given(inside[0], inside[1], lexicon):
            result.extend([(inside[0].start, inside[0].end), (inside[1].start, inside[1].end)])
        else:
            result.append((start, end))
    return result


def _genitive_then_given(first: Token, second: Token, lexicon: NameLexicon) -> bool:
    others = Kind.SURNAME | Kind.PATRONYMIC | Kind.INITIALS
    if Kind.GIVEN not in first.kind or Kind.GIVEN not in second.kind:
        return False
    if (first.kind | second.kind) & others:
        return False
    key = word_key(first.text)
    stem = key[:-1]
    if not key.endswith("а") or key in lexicon.given_names or stem[-1:] in "аеиоуыэюяй":
        return False
    return stem in lexicon.given_names or lexicon.is_built_like_a_name(stem, mid_sentence=True)
