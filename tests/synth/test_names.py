"""Names: feminine surnames, patronymics, Russified spelling and case forms."""

from __future__ import annotations

from random import Random

import pytest

from proxy.synth.declension import ACC, DAT, GEN, INS, kk_case, ru_given, ru_patronymic, ru_surname
from proxy.synth.names import (
    KAZAKH_LETTERS,
    feminine_surname,
    kk_style_patronymic,
    random_name,
    ru_style_patronymic,
    russify,
)
from proxy.synth.translit import latin


@pytest.mark.parametrize(
    ("male", "female"),
    [
        pytest.param("Ахметов", "Ахметова", id="ov"),
        pytest.param("Жұмабаев", "Жұмабаева", id="ev-kazakh-letters"),
        pytest.param("Ильин", "Ильина", id="in"),
        pytest.param("Ковальский", "Ковальская", id="skiy"),
        pytest.param("Серікұлы", "Серікқызы", id="uly-to-kyzy"),
        pytest.param("Ким", "Ким", id="indeclinable"),
        pytest.param("Шевченко", "Шевченко", id="enko"),
    ],
)
def test_feminine_surname(male: str, female: str) -> None:
    assert feminine_surname(male) == female


@pytest.mark.parametrize(
    ("father", "male", "expected"),
    [
        pytest.param("Серик", True, "Серикович", id="consonant-male"),
        pytest.param("Серик", False, "Сериковна", id="consonant-female"),
        pytest.param("Жумабай", True, "Жумабаевич", id="short-i-male"),
        pytest.param("Жумабай", False, "Жумабаевна", id="short-i-female"),
    ],
)
def test_ru_style_patronymic(father: str, male: bool, expected: str) -> None:
    assert ru_style_patronymic(father, male) == expected


@pytest.mark.parametrize(
    ("father", "male", "russified", "expected"),
    [
        pytest.param("Серік", True, False, "Серікұлы", id="uly"),
        pytest.param("Серік", False, False, "Серікқызы", id="kyzy"),
        pytest.param("Серик", True, True, "Серикулы", id="uly-russified"),
        pytest.param("Серик", False, True, "Сериккызы", id="kyzy-russified"),
    ],
)
def test_kk_style_patronymic(father: str, male: bool, russified: bool, expected: str) -> None:
    assert kk_style_patronymic(father, male, russified) == expected


@pytest.mark.parametrize(
    ("kazakh", "russian"),
    [
        pytest.param("Әсел", "Асел", id="a-schwa"),
        pytest.param("Айгерім", "Айгерим", id="i-dotted"),
        pytest.param("Жұмабаев", "Жумабаев", id="u-bar"),
        pytest.param("Құдайберген", "Кудайберген", id="q"),
        pytest.param("Шыңғыс", "Шынгыс", id="ng-gh"),
    ],
)
def test_russify(kazakh: str, russian: str) -> None:
    assert russify(kazakh) == russian


@pytest.mark.parametrize(
    ("function", "word", "case", "male", "expected"),
    [
        pytest.param(ru_surname, "Ахметов", GEN, True, "Ахметова", id="surname-gen-m"),
        pytest.param(ru_surname, "Ахметов", INS, True, "Ахметовым", id="surname-ins-m"),
        pytest.param(ru_surname, "Ахметова", DAT, False, "Ахметовой", id="surname-dat-f"),
        pytest.param(ru_surname, "Ахметова", ACC, False, "Ахметову", id="surname-acc-f"),
        pytest.param(ru_surname, "Ковальский", DAT, True, "Ковальскому", id="surname-skiy"),
        pytest.param(ru_given, "Нурлан", GEN, True, "Нурлана", id="given-gen-m"),
        pytest.param(ru_given, "Сергей", INS, True, "Сергеем", id="given-ins-y"),
        pytest.param(ru_given, "Ольга", GEN, False, "Ольги", id="given-gen-velar"),
        pytest.param(ru_given, "Мария", DAT, False, "Марии", id="given-dat-iya"),
        pytest.param(ru_given, "Айгерим", DAT, False, "Айгерим", id="given-female-consonant"),
    ],
)
def test_russian_case_forms(function, word: str, case: str, male: bool, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert function(word, case, male) == expected


@pytest.mark.parametrize(
    ("word", "case", "expected"),
    [
        pytest.param("Серикович", GEN, "Сериковича", id="ovich-gen"),
        pytest.param("Сериковна", INS, "Сериковной", id="ovna-ins"),
        pytest.param("Серікұлы", DAT, "Серікұлы", id="uly-unchanged"),
    ],
)
def test_russian_patronymic_case_forms(word: str, case: str, expected: str) -> None:
    assert ru_patronymic(word, case) == expected


@pytest.mark.parametrize(
    ("word", "case", "expected"),
    [
        pytest.param("Нұрлан", GEN, "Нұрланның", id="nasal-gen"),
        pytest.param("Нұрлан", DAT, "Нұрланға", id="nasal-dat"),
        pytest.param("Айгерім", DAT, "Айгерімге", id="front-dat"),
        pytest.param("Асқар", GEN, "Асқардың", id="sonorant-gen"),
        pytest.param("Ерік", DAT, "Ерікке", id="voiceless-front-dat"),
        pytest.param("Дана", ACC, "Дананы", id="vowel-acc"),
        pytest.param("Серікұлы", DAT, "Серікұлына", id="possessive-dat"),
    ],
)
def test_kazakh_case_suffixes(word: str, case: str, expected: str) -> None:
    assert kk_case(word, case) == expected


@pytest.mark.parametrize(
    ("cyrillic", "expected"),
    [
        pytest.param("Жұмабаев", "zhumabaev", id="kazakh-letters"),
        pytest.param("Әсел", "asel", id="schwa"),
        pytest.param("Щербаков", "scherbakov", id="russian"),
    ],
)
def test_latin(cyrillic: str, expected: str) -> None:
    assert latin(cyrillic) == expected


def test_random_names_mix_kazakh_letters_and_russified_forms() -> None:
    rng = Random(11)
    names = [random_name(rng, n % 2 == 0) for n in range(2000)]
    with_letters = sum(any(ch in KAZAKH_LETTERS for ch in n.full) for n in names)
    kazakh_without = sum(n.kazakh and not any(ch in KAZAKH_LETTERS for ch in n.full) for n in names)
    assert with_letters > 400 and kazakh_without > 400
    assert any(n.patronymic and n.patronymic.endswith("ұлы") for n in names)
    assert any(n.patronymic and n.patronymic.endswith("қызы") for n in names)
    assert any(n.patronymic and n.patronymic.endswith("овна") for n in names)
    females = [n for n in names if not n.male and n.last.endswith(("ова", "ева", "ина"))]
    assert len(females) > 300
