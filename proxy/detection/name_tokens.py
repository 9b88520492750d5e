"""Words of free text as the person-name rules see them: position, shape and what kind of name part.

A word is classified once per call from its matching key (`name_lexicon.word_key`): a known
given name in any case, a surname (by ending or from the list), a patronymic (Russian -ович/-овна
or Kazakh -ұлы/-қызы), an initial ("Е.", "Е.К."), a word that is never a name, or just a
capitalised word. Tokenising is one regular expression; classifying is set lookups.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Flag, auto

from proxy.detection.name_lexicon import NameLexicon, has_kazakh_case, word_key
from proxy.detection.name_morphology import looks_like_given_name

_UPPER = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІ"
TOKEN = re.compile(
    rf"(?P<initials>(?<![^\W\d_])[{_UPPER}]\.(?:\s?[{_UPPER}]\.)?)"
    r"|(?P<word>[^\W\d_]+(?:[-'’][^\W\d_]+)*\.?)"
)
_CYRILLIC_WORD = re.compile(r"[А-ЯЁӘҒҚҢӨҰҮҺІа-яёәғқңөұүһі-]+")
# Words set apart by these (or by nothing, as in "Е.К.Ахметов") belong to one name.
_JOINING_GAP = re.compile(r"[ \t\u00a0]*")


class Kind(Flag):
    NONE = 0
    GIVEN = auto()
    SURNAME = auto()
    PATRONYMIC = auto()
    INITIALS = auto()
    NOT_NAME = auto()
    CAPITALISED = auto()
    ADJECTIVAL = auto()  # -ский/-ская: a surname, or a region's or a court's adjective
    OPENS_SENTENCE = auto()  # capitalised because it comes first: "Хат", "Подписал"
    LISTED = auto()  # a given name from the list or built from Kazakh name parts, not a guess
    COMMON_WORD = auto()  # a given name that is also an everyday word: Бақыт, Жеңіс, Роза
    KAZAKH_CASE = auto()  # a surname carrying a Kazakh case suffix: Қалиевке, Жақыповаға

    @property
    def is_name_part(self) -> bool:
        return bool(self & (Kind.GIVEN | Kind.SURNAME | Kind.PATRONYMIC | Kind.INITIALS))

    @property
    def may_join_a_name(self) -> bool:
        """Capitalised, not a word that is never a name, not just a sentence's first word."""
        if Kind.CAPITALISED not in self or Kind.NOT_NAME in self:
            return False
        return self.is_name_part or Kind.OPENS_SENTENCE not in self


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str
    kind: Kind

    @property
    def bare(self) -> str:
        """The word lower-cased, an abbreviation dot kept ("ул."), for the marker lists."""
        return self.text.lower()


def tokenize(text: str, lexicon: NameLexicon) -> list[Token]:
    tokens: list[Token] = []
    for match in TOKEN.finditer(text):
        start, end = match.span()
        word = match.group()
        if match.group("word") and word.endswith(".") and not _is_abbreviation(word):
            end -= 1  # a sentence's full stop, not part of the word
            word = word[:-1]
        opens = _opens_sentence(text, start, tokens[-1] if tokens else None)
        kind = classify(word, match.group("initials"), lexicon, mid_sentence=not opens)
        if opens:
            kind |= Kind.OPENS_SENTENCE
        tokens.append(Token(start, end, word, kind))
    return tokens


def _opens_sentence(text: str, start: int, previous: Token | None) -> bool:
    before = text[:start].rstrip()
    if not before:
        return True
    ends_sentence = before[-1] in ".!?…\n" and (previous is None or previous.end < len(before))
    return ends_sentence and (previous is None or Kind.INITIALS not in previous.kind)


def _is_abbreviation(word: str) -> bool:
    """ "ул.", "г.", "қ.": short lower-case words whose dot belongs to them."""
    return len(word) <= 5 and word[0].islower()


def classify(
    word: str, initials: str | None, lexicon: NameLexicon, mid_sentence: bool = True
) -> Kind:
    if initials:
        return Kind.INITIALS | Kind.CAPITALISED
    if not word[0].isupper():
        return Kind.NONE
    key = word_key(word.rstrip("."))
    if lexicon.is_not_name(key):
        return Kind.NOT_NAME | Kind.CAPITALISED
    kind = Kind.CAPITALISED
    if lexicon.is_given_name(key):
        kind |= Kind.GIVEN | Kind.LISTED
    if lexicon.is_surname_shaped(key) or lexicon.is_known_surname(key):
        kind |= Kind.SURNAME
    if lexicon.is_patronymic_shaped(key):
        kind |= Kind.PATRONYMIC
    if lexicon.is_adjective_shaped(key):
        kind |= Kind.ADJECTIVAL
    if not kind.is_name_part and _is_acronym(word):
        return Kind.NOT_NAME | Kind.CAPITALISED
    return kind | _kazakh_or_guessed(word, key, kind, lexicon, mid_sentence)


def _kazakh_or_guessed(
    word: str, key: str, kind: Kind, lexicon: NameLexicon, mid_sentence: bool
) -> Kind:
    """What the lists did not say: a name built from Kazakh parts, a morphology guess, and
    whether a surname carries a Kazakh case or the given name is also an everyday word."""
    extra = Kind.NONE
    if Kind.SURNAME in kind and has_kazakh_case(key):
        extra |= Kind.KAZAKH_CASE
    if Kind.GIVEN in kind and lexicon.is_common_word(key):
        extra |= Kind.COMMON_WORD
    if Kind.GIVEN in kind or not _CYRILLIC_WORD.fullmatch(word):
        return extra
    # a surname's shape may be only a genitive ending (Бекжанның, Айгүлдің)
    if lexicon.is_built_like_a_name(key, mid_sentence):
        return extra | Kind.GIVEN | Kind.LISTED
    if not kind.is_name_part and looks_like_given_name(word):
        return extra | Kind.GIVEN
    return extra


def _is_acronym(word: str) -> bool:
    """ИИН, ТОО, ЖСН: short all-capital words are abbreviations, not names."""
    return len(word) <= 4 and word.isupper() and len(word) > 1


def joined(left: Token, right: Token, text: str) -> bool:
    """Whether two neighbouring tokens are set apart by spaces only (one name may span them)."""
    return _JOINING_GAP.fullmatch(text, left.end, right.start) is not None
