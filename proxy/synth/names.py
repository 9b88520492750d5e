"""Kazakh and Russian personal names, in the spellings found in Kazakh records.

Kazakhs appear with Kazakh letters (Нұрлан Серікұлы Жұмабаев) or in the Russified spelling most
bank documents use (Нурлан Серикович Жумабаев); patronymics are Russian-style (-ович/-овна) or
Kazakh (-ұлы/-қызы); women take the feminine surname (Жумабаева). Rules: kz_domain.md §2.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from random import Random

from proxy.synth.wordlists import lines, rows

KAZAKH_LETTERS = "әғқңөұүһіӘҒҚҢӨҰҮҺІ"
_RUSSIFY = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")

KAZAKH_SHARE = 0.72  # share of Kazakh names among subjects, roughly the population's


def russify(text: str) -> str:
    """Kazakh letters replaced by the Russian letters people type instead (Әсел → Асел)."""
    return text.translate(_RUSSIFY)


@dataclass(frozen=True, slots=True)
class FullName:
    """A person's name as written in the record, plus what relatives inherit from it."""

    last: str
    first: str
    patronymic: str | None
    male: bool
    kazakh: bool
    russified: bool
    family: str  # the male form of the family surname, in the record's spelling
    father: str  # the father's given name, in the record's spelling

    @property
    def full(self) -> str:
        return " ".join(p for p in (self.last, self.first, self.patronymic) if p)

    @property
    def short(self) -> str:
        """Surname and initials: Ахметов Н.С."""
        initials = self.first[0] + "." + (self.patronymic[0] + "." if self.patronymic else "")
        return f"{self.last} {initials}"


@dataclass(frozen=True)
class _Bank:
    kk_male: tuple[str, ...]
    kk_female: tuple[str, ...]
    kk_fathers: tuple[str, ...]
    kk_surnames: tuple[str, ...]
    ru_male: tuple[tuple[str, ...], ...]
    ru_female: tuple[str, ...]
    ru_surnames: tuple[str, ...]


@cache
def _bank() -> _Bank:
    kk_male = lines("kk_male_names.txt")
    return _Bank(
        kk_male=kk_male,
        kk_female=lines("kk_female_names.txt"),
        kk_fathers=tuple(n for n in kk_male if n[-1] not in "аеиоуыэюяәөүұі"),
        kk_surnames=lines("kk_surnames.txt"),
        ru_male=rows("ru_male_names.txt"),
        ru_female=lines("ru_female_names.txt"),
        ru_surnames=lines("ru_surnames.txt"),
    )


def feminine_surname(surname: str) -> str:
    """The female form of a surname: Ахметов → Ахметова, Ковальский → Ковальская, Ким → Ким."""
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    if surname.endswith(("ский", "цкий")):
        return surname[:-2] + "ая"
    if surname.endswith(("ұлы", "улы")):
        return surname[:-3] + ("қызы" if surname.endswith("ұлы") else "кызы")
    return surname


def gendered(surname: str, male: bool) -> str:
    return surname if male else feminine_surname(surname)


def ru_style_patronymic(father: str, male: bool) -> str:
    """Серик → Серикович/Сериковна; Жумабай → Жумабаевич/Жумабаевна."""
    if father.endswith("й"):
        return father[:-1] + ("евич" if male else "евна")
    return father + ("ович" if male else "овна")


def kk_style_patronymic(father: str, male: bool, russified: bool) -> str:
    """Серік → Серікұлы/Серікқызы (Серикулы/Серіккызы when typed without Kazakh letters)."""
    suffix = ("улы" if male else "кызы") if russified else ("ұлы" if male else "қызы")
    return father + suffix


def random_name(rng: Random, male: bool, kazakh: bool | None = None) -> FullName:
    """A complete name for a new person (no family ties)."""
    if kazakh is None:
        kazakh = rng.random() < KAZAKH_SHARE
    if not kazakh:
        return _russian_name(rng, male, rng.choice(_bank().ru_surnames))
    bank = _bank()
    if rng.random() < 0.08:  # surname built from a grandfather's name: Серікұлы
        return _kazakh_name(rng, male, rng.choice(bank.kk_fathers) + "ұлы", rng.random() < 0.5)
    return _kazakh_name(rng, male, rng.choice(bank.kk_surnames), rng.random() < 0.55)


def relative_name(
    rng: Random, of: FullName, male: bool, same_family: bool, father: str | None = None
) -> FullName:
    """A relative's name: same family surname when `same_family`, father's name when given."""
    if not same_family:
        return random_name(rng, male, of.kazakh if rng.random() < 0.85 else None)
    if not of.kazakh:
        return _russian_name(rng, male, of.family, father)
    return _kazakh_name(rng, male, of.family, of.russified, father)


def _kazakh_name(
    rng: Random, male: bool, family: str, russified: bool, father: str | None = None
) -> FullName:
    bank = _bank()
    first = rng.choice(bank.kk_male if male else bank.kk_female)
    father = father or rng.choice(bank.kk_fathers)
    if russified:
        first, father, family = russify(first), russify(father), russify(family)
    if family.endswith(("ұлы", "улы")):
        patronymic = None  # the surname already names the father's line
    elif rng.random() < (0.15 if russified else 0.6):
        patronymic = kk_style_patronymic(father, male, russified)
    elif rng.random() < 0.92:
        patronymic = ru_style_patronymic(russify(father), male)
    else:
        patronymic = None
    last = gendered(family, male)
    return FullName(last, first, patronymic, male, True, russified, family, father)


def _russian_name(rng: Random, male: bool, family: str, father: str | None = None) -> FullName:
    bank = _bank()
    father_row = _father_row(rng, father)
    first = rng.choice(bank.ru_male)[0] if male else rng.choice(bank.ru_female)
    patronymic = father_row[1] if male else father_row[2]
    last = gendered(family, male)
    return FullName(last, first, patronymic, male, False, True, family, father_row[0])


def _father_row(rng: Random, father: str | None) -> tuple[str, ...]:
    bank = _bank()
    if father is not None:
        for row in bank.ru_male:
            if row[0] == father:
                return row
    return rng.choice(bank.ru_male)
