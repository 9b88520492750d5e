"""Case forms of names, so free text names people the way Russian and Kazakh sentences do.

Russian: genitive, dative, instrumental and accusative of surnames, given names and patronymics
(Ахметов Нурлан → Ахметова Нурлана, Ахметову Нурлану, Ахметовым Нурланом). Kazakh: genitive,
dative and accusative suffixes chosen by vowel harmony and the final sound (Нұрланның, Айгерімге,
Серікұлына). Good enough for realistic text; not a full morphology.
"""

from __future__ import annotations

GEN, DAT, INS, ACC = "gen", "dat", "ins", "acc"

_HUSHING = set("жшчщц")
_VELAR_HUSHING = set("гкхжшчщ")
_VOWELS_RU = set("аеёиоуыэюя")


def ru_surname(word: str, case: str, male: bool) -> str:
    """A surname in a Russian case."""
    low = word.lower()
    if male:
        if low.endswith(("ов", "ев", "ёв", "ин", "ын")):
            return word + {GEN: "а", DAT: "у", INS: "ым", ACC: "а"}[case]
        if low.endswith("ский") or low.endswith("цкий"):
            return word[:-2] + {GEN: "ого", DAT: "ому", INS: "им", ACC: "ого"}[case]
        if low[-1] in _VOWELS_RU or low.endswith(("ұлы", "улы")):
            return word  # Шевченко, Ли, Серікұлы: indeclinable
        return ru_given(word, case, male=True)
    if low.endswith(("ова", "ева", "ёва", "ина", "ына")):
        return word[:-1] + {GEN: "ой", DAT: "ой", INS: "ой", ACC: "у"}[case]
    if low.endswith(("ская", "цкая")):
        return word[:-2] + {GEN: "ой", DAT: "ой", INS: "ой", ACC: "ую"}[case]
    return word


def ru_given(word: str, case: str, male: bool) -> str:
    """A given name in a Russian case (female names ending in a consonant do not change)."""
    low = word.lower()
    last = low[-1]
    if last == "я":
        stem = word[:-1]
        if low.endswith("ия"):
            return stem + {GEN: "и", DAT: "и", INS: "ей", ACC: "ю"}[case]
        return stem + {GEN: "и", DAT: "е", INS: "ей", ACC: "ю"}[case]
    if last == "а":
        stem = word[:-1]
        gen = "и" if low[-2] in _VELAR_HUSHING else "ы"
        ins = "ей" if low[-2] in _HUSHING else "ой"
        return stem + {GEN: gen, DAT: "е", INS: ins, ACC: "у"}[case]
    if not male:
        if last == "ь":
            return word[:-1] + {GEN: "и", DAT: "и", INS: "ью", ACC: "ь"}[case]
        return word
    if last in "йь":
        return word[:-1] + {GEN: "я", DAT: "ю", INS: "ем", ACC: "я"}[case]
    if last in _VOWELS_RU or last in "әіөүұ":
        return word
    ins = "ем" if last in _HUSHING else "ом"
    return word + {GEN: "а", DAT: "у", INS: ins, ACC: "а"}[case]


def ru_patronymic(word: str, case: str) -> str:
    """A patronymic in a Russian case; Kazakh -ұлы/-қызы forms stay as they are."""
    low = word.lower()
    if low.endswith("ич"):
        return word + {GEN: "а", DAT: "у", INS: "ем", ACC: "а"}[case]
    if low.endswith("на"):
        return word[:-1] + {GEN: "ы", DAT: "е", INS: "ой", ACC: "у"}[case]
    return word


_FRONT = set("әеөүіэ")
_BACK = set("аоұыяё")
_VOICELESS = set("кқпстфхцчшщбвгд")
_NASAL = set("мнң")

_KK_SUFFIX = {
    # (ending class, case): (back vowel form, front vowel form)
    ("vowel", GEN): ("ның", "нің"),
    ("vowel", DAT): ("ға", "ге"),
    ("vowel", ACC): ("ны", "ні"),
    ("nasal", GEN): ("ның", "нің"),
    ("nasal", DAT): ("ға", "ге"),
    ("nasal", ACC): ("ды", "ді"),
    ("voiced", GEN): ("дың", "дің"),
    ("voiced", DAT): ("ға", "ге"),
    ("voiced", ACC): ("ды", "ді"),
    ("voiceless", GEN): ("тың", "тің"),
    ("voiceless", DAT): ("қа", "ке"),
    ("voiceless", ACC): ("ты", "ті"),
}


def kk_case(word: str, case: str) -> str:
    """A Kazakh case suffix attached to a word (usually the last word of a full name)."""
    low = word.lower()
    if low.endswith(("ұлы", "улы", "қызы", "кызы")):
        # third-person possessive words take the pronominal n: Серікұлының, Серікұлына
        return word + {GEN: "ның", DAT: "на", ACC: "н"}[case]
    front = _is_front(low)
    suffix = _KK_SUFFIX[(_ending_class(low[-1]), case)][1 if front else 0]
    return word + suffix


def _is_front(low: str) -> bool:
    for ch in reversed(low):
        if ch in _FRONT:
            return True
        if ch in _BACK:
            return False
    return False


def _ending_class(last: str) -> str:
    if last in "аәеёиоөуұүыіэюя":
        return "vowel"
    if last in _NASAL:
        return "nasal"
    if last in _VOICELESS:
        return "voiceless"
    return "voiced"
