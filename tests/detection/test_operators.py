"""The redaction operators: replace, partial and keyed pseudonyms."""

from __future__ import annotations

import pytest

from proxy.detection.engine import Finding
from proxy.detection.operators import (
    Pseudonymiser,
    normalise,
    partial,
    partially_mask_findings,
)

KEY = b"k" * 32
OTHER_KEY = b"o" * 32


def finding(entity: str, start: int, end: int) -> Finding:
    return Finding(start, end, entity, 1.0)


@pytest.mark.parametrize(
    ("entity", "value", "shown"),
    [
        ("KZ_IIN", "850215312346", "********2346"),
        ("PHONE_NUMBER", "8 (701) 123-45-67", "* (***) ***-45-67"),
        ("PHONE_NUMBER", "+77011234567", "+*******4567"),
        ("IBAN_CODE", "KZ86 125K ZT50 0410 0100", "**** **** **** **** 0100"),
        ("PERSON", "Әбенов Нұрлан Серікұлы", "Ә***** Н***** С*******"),
        ("EMAIL_ADDRESS", "a_omarova88@bk.ru", "a**********@bk.ru"),
        ("KZ_IIN", "123", "123"),  # four characters or fewer: nothing left to hide behind
    ],
)
def test_partial_keeps_shape_and_little_else(entity: str, value: str, shown: str) -> None:
    assert partial(entity, value) == shown
    assert len(partial(entity, value)) == len(value)


def test_partial_masking_in_text_merges_overlaps() -> None:
    text = "Должник Ахметов Ерлан, ИИН 850215312346."
    findings = [finding("PERSON", 8, 21), finding("PERSON", 16, 21), finding("KZ_IIN", 27, 39)]
    assert partially_mask_findings(text, findings) == "Должник А****** Е****, ИИН ********2346."


@pytest.mark.parametrize(
    ("entity", "spellings"),
    [
        ("PHONE_NUMBER", ["8 (701) 123-45-67", "+7 701 123 45 67", "87011234567"]),
        ("KZ_IIN", ["850215312346", "8502 1531 2346"]),
        ("IBAN_CODE", ["KZ86125KZT5004100100", "kz86 125k zt50 0410 0100"]),
        ("PERSON", ["Ахметов  Ерлан", "АХМЕТОВ ЕРЛАН"]),
        ("EMAIL_ADDRESS", ["A.Omarova@BK.ru", "a.omarova@bk.ru"]),
    ],
)
def test_one_value_in_any_spelling_gets_one_pseudonym(entity: str, spellings: list[str]) -> None:
    pseudonyms = Pseudonymiser(KEY)
    tokens = {pseudonyms.token(entity, spelling) for spelling in spellings}
    assert len(tokens) == 1
    [token] = tokens
    assert token.startswith(f"<{entity}:") and token.endswith(">")
    assert normalise(entity, spellings[0]) not in token


def test_pseudonyms_depend_on_the_key_the_type_and_the_value() -> None:
    one, other = Pseudonymiser(KEY), Pseudonymiser(OTHER_KEY)
    assert one.token("KZ_IIN", "850215312346") != other.token("KZ_IIN", "850215312346")
    assert one.token("KZ_IIN", "850215312346") != one.token("KZ_BIN", "850215312346")
    assert one.token("KZ_IIN", "850215312346") != one.token("KZ_IIN", "850215312347")


def test_pseudonyms_in_text_match_pseudonyms_of_whole_values() -> None:
    pseudonyms = Pseudonymiser(KEY)
    text = "Звонил 8 (701) 123-45-67"
    masked = pseudonyms.pseudonymise_findings(text, [finding("PHONE_NUMBER", 7, 24)])
    assert masked == f"Звонил {pseudonyms.token('PHONE_NUMBER', '+77011234567')}"


def test_the_key_is_withheld_and_must_be_long() -> None:
    assert "k" * 8 not in repr(Pseudonymiser(KEY))
    with pytest.raises(ValueError, match="32 bytes"):
        Pseudonymiser(b"short")
