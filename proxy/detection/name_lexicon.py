"""The word lists behind person-name detection, and the key words are matched by.

Free text reaches the redactor in Kazakh and Russian, typed with or without the Kazakh letters, in
any grammatical case and sometimes in Latin letters. Every word is reduced to one matching key
(lower case, ё→е, Kazakh letters folded to their Russian look-alikes, soft and hard signs dropped;
Latin words get a loose transliteration key) and looked up in plain-text lists kept in
`proxy/detection/data/`: given names, surname and patronymic endings, surnames no ending finds,
and words that are never names. Lookups are set membership on a word's key and its suffixes, so
they cost microseconds next to the NER tagger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

KAZAKH_FOLD = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")
_CYRILLIC = re.compile(r"[а-яё]")
_LATIN_LOOKALIKES = str.maketrans("iaeopcx", "иаеорсх")
_LATIN_FROM_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "j", "з": "z", "и": "i",
    "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh", "ы": "i",
    "э": "e", "ю": "iu", "я": "ia",
}  # fmt: skip
# Case endings a declined given name may carry, and what its nominative may end in instead.
_CASE_ENDINGS = ("ом", "ем", "ой", "ей", "ою", "ею", "ым", "а", "у", "е", "ы", "и", "ю", "я")
_NOMINATIVE_TAILS = ("", "а", "я", "й", "ия")
# Kazakh case suffixes (letters folded) glued to a name in Kazakh text: Ахметовке, Ерланның,
# Айгүлмен, and the possessive before a case (Республикасы, ағасына, інісінен).
_KAZAKH_SUFFIXES = (
    "нын", "нин", "дын", "дин", "тын", "тин",  # genitive
    "га", "ге", "ка", "ке", "на", "не",  # dative
    "ны", "ни", "ды", "ди", "ты", "ти",  # accusative
    "да", "де", "та", "те", "нда", "нде",  # locative
    "дан", "ден", "тан", "тен", "нан", "нен", "ннан", "ннен",  # ablative
    "мен", "бен", "пен", "менен", "бенен", "пенен",  # instrumental
    "сы", "си", "сын", "син", "ын", "ин",  # possessive, and its accusative
    "ына", "ине", "сына", "сине", "ында", "инде", "сында", "синде",
    "ынан", "инен", "сынан", "синен", "ынын", "инин", "сынын", "синин", "ымен", "имен",
)  # fmt: skip
_SURNAME_STEM = re.compile(r"(ов|ев|ова|ева|ин|ина)$")


def word_key(word: str) -> str:
    """The matching key of a word: Cyrillic folded and simplified, or a loose Latin key."""
    lowered = word.lower().translate(KAZAKH_FOLD).replace("ё", "е")
    if _CYRILLIC.search(lowered):
        return lowered.translate(_LATIN_LOOKALIKES).replace("ь", "").replace("ъ", "")
    return latin_key(lowered)


def latin_key(word: str) -> str:
    """A loose key for Latin spellings: Yerlan/Erlan, Kairat/Qairat, Zhanar/Janar meet."""
    key = word.lower().replace("kh", "h").replace("zh", "j").replace("q", "k").replace("y", "i")
    key = re.sub(r"(.)\1", r"\1", key)
    return key[1:] if key.startswith("ie") else key


def transliterated_key(cyrillic_key: str) -> str:
    """The Latin key of a Cyrillic key, so a gazetteer name also finds its Latin spelling."""
    return latin_key("".join(_LATIN_FROM_CYRILLIC.get(c, c) for c in cyrillic_key))


@lru_cache(maxsize=65536)
def kazakh_stems(key: str) -> tuple[str, ...]:
    """The key and the key without a Kazakh case suffix (мусабаевке → мусабаев)."""
    stems = [key]
    stems.extend(
        key[: -len(s)] for s in _KAZAKH_SUFFIXES if key.endswith(s) and len(key) > len(s) + 3
    )
    return tuple(stems)


def has_kazakh_case(key: str) -> bool:
    """Whether a Kazakh suffix follows a surname's ending (Қалиевке, Жақыповаға, Серғалиевтің)."""
    return any(_SURNAME_STEM.search(stem) for stem in kazakh_stems(key)[1:])


def declension_bases(key: str) -> list[str]:
    """The key and the nominatives a declined form may come from (Ерлану → ерлан)."""
    bases = [key]
    for ending in _CASE_ENDINGS:
        if key.endswith(ending) and len(key) - len(ending) >= 2:
            stem = key[: -len(ending)]
            bases.extend(stem + tail for tail in _NOMINATIVE_TAILS)
    return bases


@dataclass(frozen=True)
class NameLexicon:
    given_names: frozenset[str]
    surnames: frozenset[str]
    surname_endings: frozenset[str]
    patronymic_endings: frozenset[str]
    not_names: frozenset[str]
    titles: frozenset[str]
    honorifics_after: frozenset[str]
    place_before: frozenset[str]
    place_after: frozenset[str]
    org_markers: frozenset[str]
    common_word_names: frozenset[str]
    name_endings: frozenset[str]
    name_endings_mid: frozenset[str]
    name_beginnings_mid: frozenset[str]
    name_beginnings_cased: frozenset[str]
    kinship_words: frozenset[str]
    speech_verbs: frozenset[str]

    def is_given_name(self, key: str) -> bool:
        return any(b in self.given_names for s in kazakh_stems(key) for b in declension_bases(s))

    def is_known_surname(self, key: str) -> bool:
        return any(b in self.surnames for s in kazakh_stems(key) for b in declension_bases(s))

    def is_surname_shaped(self, key: str) -> bool:
        return any(_has_ending(s, self.surname_endings, 3) for s in kazakh_stems(key))

    def is_adjective_shaped(self, key: str) -> bool:
        """-ский / -ская: surnames, but also "Карагандинская Область"; never alone evidence."""
        return re.search(r"(ск|цк)(ий|ого|ому|им|ом|ая|ой|ую)$", key) is not None

    def is_patronymic_shaped(self, key: str) -> bool:
        return any(_has_ending(s, self.patronymic_endings, 2) for s in kazakh_stems(key))

    def is_not_name(self, key: str) -> bool:
        return any(b in self.not_names for s in kazakh_stems(key) for b in declension_bases(s))

    def is_common_word(self, key: str) -> bool:
        """Бақыт, Жеңіс, Роза: given names that are also everyday words."""
        return any(s in self.common_word_names for s in kazakh_stems(key))

    def is_built_like_a_name(self, key: str, mid_sentence: bool) -> bool:
        """Kazakh names are built from parts: Бекжан, Айгүл, Нұрғали, Айсұлу, Есентай.

        The endings in `name_endings` are safe anywhere; the weaker ones (-бай, -ай, -тай also
        make verbs and adverbs: айтпай, қалай, сондай) and the beginnings count only for a word
        capitalised in the middle of a sentence."""
        stems = kazakh_stems(key)
        if any(_has_part(s, self.name_endings) for s in stems):
            return True
        # a case suffix on the word (Балтабайға) rules out the adverb and the verb readings
        weak_stems = stems if mid_sentence else stems[1:]
        if any(_has_part(s, self.name_endings_mid) for s in weak_stems):
            return True
        return mid_sentence and any(_starts_with_part(s, self.name_beginnings_mid) for s in stems)


def _has_ending(key: str, endings: frozenset[str], min_stem: int) -> bool:
    return any(key[-n:] in endings for n in range(2, min(8, len(key) - min_stem + 1)))


def _has_part(key: str, parts: frozenset[str]) -> bool:
    """Whether the key ends in a part after at least two letters (three before a two-letter
    part): Айсұлу, Айбике, but not Бек or Сай."""
    return any(key[-n:] in parts and len(key) - n >= max(2, 5 - n) for n in range(2, 7))


def _starts_with_part(key: str, parts: frozenset[str]) -> bool:
    return any(key[:n] in parts for n in range(2, min(6, len(key) - 2)))


def _read_words(filename: str) -> list[str]:
    text = resources.files("proxy.detection.data").joinpath(filename).read_text(encoding="utf-8")
    lines = (line.strip() for line in text.splitlines())
    return [word for line in lines if line and not line.startswith("#") for word in line.split()]


def _read_lines(filename: str) -> frozenset[str]:
    text = resources.files("proxy.detection.data").joinpath(filename).read_text(encoding="utf-8")
    lines = (line.strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _keys_with_latin(words: list[str]) -> frozenset[str]:
    keys = {word_key(word) for word in words}
    return frozenset(keys | {transliterated_key(key) for key in keys})


@cache
def lexicon() -> NameLexicon:
    """The lists, read once from the package data."""
    given = _read_words("given_names_kk.txt") + _read_words("given_names_ru.txt")
    return NameLexicon(
        given_names=_keys_with_latin(given),
        surnames=_keys_with_latin(_read_words("surnames.txt")),
        surname_endings=frozenset(word_key(w) for w in _read_words("surname_endings.txt")),
        patronymic_endings=frozenset(word_key(w) for w in _read_words("patronymic_endings.txt")),
        not_names=frozenset(word_key(w) for w in _read_lines("not_names.txt")),
        titles=_read_lines("titles.txt"),
        honorifics_after=_read_lines("honorifics_after.txt"),
        place_before=_read_lines("place_markers_before.txt"),
        place_after=_read_lines("place_markers_after.txt"),
        org_markers=_read_lines("org_markers.txt"),
        common_word_names=frozenset(word_key(w) for w in _read_words("common_word_names.txt")),
        name_endings=frozenset(word_key(w) for w in _read_words("name_endings.txt")),
        name_endings_mid=frozenset(word_key(w) for w in _read_words("name_endings_mid.txt")),
        name_beginnings_mid=frozenset(word_key(w) for w in _read_words("name_beginnings_mid.txt")),
        name_beginnings_cased=frozenset(
            word_key(w) for w in _read_words("name_beginnings_cased.txt")
        ),
        kinship_words=frozenset(w.lower() for w in _read_words("kinship_words.txt")),
        speech_verbs=frozenset(w.lower() for w in _read_words("speech_verbs.txt")),
    )
